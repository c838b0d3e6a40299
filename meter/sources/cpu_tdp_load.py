"""``cpu_tdp_load``: CPU power estimated as TDP × the CPU load of the metered process tree.

energy_j = TDP_w / logical CPUs × the tree's CPU seconds (so power_w = TDP_w × tree CPU-seconds per
second / logical CPUs), read at each window boundary. The TDP comes from
codecarbon's CPU table (:mod:`meter.sources.cpu_tdp_table`), or a stated default.
Always ``approximated``.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from meter.measurement import CounterReading, DeviceInfo
from meter.process_tree import ProcessTree
from meter.source import Clock, SourceBase
from meter.sources.cpu_tdp_table import DEFAULT_SOURCE, DEFAULT_W_PER_THREAD, lookup_tdp_w


def cpu_model_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_tdp(model: str, threads: int) -> tuple[float, str]:
    """(TDP in W, where it came from) for this CPU."""
    found = lookup_tdp_w(model)
    if found is not None:
        return found[0], f"codecarbon CPU table: {found[1]} = {found[0]:g} W"
    tdp_w = DEFAULT_W_PER_THREAD * threads
    return tdp_w, (
        f"{model!r} is not in codecarbon's CPU table; {DEFAULT_SOURCE}: "
        f"{threads} × {DEFAULT_W_PER_THREAD:g} W = {tdp_w:g} W"
    )


class CpuTdpLoad(SourceBase):
    """A counter, not an integral of samples: energy_j = TDP_w / logical CPUs × the tree's CPU
    seconds, read at every window boundary (about a microsecond for this process, see
    :class:`ProcessTree`). A window of any length holds the CPU time spent inside it, so
    windows tile the run; the sampler only derives the power timeline from it."""

    def __init__(self, tree: ProcessTree | None = None, clock: Clock = time.monotonic) -> None:
        self.threads = os.cpu_count() or 1
        self.model = cpu_model_name()
        self.tdp_w, self.tdp_source = cpu_tdp(self.model, self.threads)
        info = DeviceInfo(
            device_id="cpu:0",
            kind="cpu",
            model=self.model,
            method="cpu_tdp_load",
            approximated=True,
        )
        super().__init__(info, clock)
        self.tree = tree or ProcessTree.of_this_process()
        self._j_per_cpu_s = self.tdp_w / self.threads
        self._base_cpu_s = self.tree.cpu_seconds()
        self._exposed_j = 0.0
        self._last_t_s = clock()
        self._last_j = 0.0
        self._power_w: float | None = None

    def read(self) -> CounterReading:
        try:
            cpu_s = self.tree.cpu_seconds()
        except Exception as exc:  # never raises: the counter keeps its last value
            now = self._clock()
            with self._lock:
                self._report("meter_read_failed", f"cannot read the CPU time: {exc}")
                return CounterReading(now, self._exposed_j, self._power_w)
        now = self._clock()
        joules = (cpu_s - self._base_cpu_s) * self._j_per_cpu_s
        with self._lock:
            if joules > self._exposed_j:
                self._exposed_j = joules
            return CounterReading(now, self._exposed_j, self._power_w)

    def sample(self) -> float | None:
        """Power over the last sampler interval: TDP × the tree's load, capped at TDP."""
        reading = self.read()
        with self._lock:
            dt = reading.t_s - self._last_t_s
            if dt > 0:
                power = (reading.energy_j - self._last_j) / dt
                self._power_w = min(self.tdp_w, max(0.0, power))
                self._last_t_s, self._last_j = reading.t_s, reading.energy_j
            return self._power_w
