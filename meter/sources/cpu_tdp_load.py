"""``cpu_tdp_load``: CPU power estimated as TDP × the CPU load of the metered process tree.

power_w = TDP_w × (tree CPU-seconds per second) / logical CPUs, over each sampler interval. The TDP comes from
codecarbon's CPU table (:mod:`meter.sources.cpu_tdp_table`), or a stated default.
Always ``approximated``.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from meter.measurement import DeviceInfo
from meter.process_tree import ProcessTree
from meter.source import Clock, PowerIntegratingSource
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


class CpuTdpLoad(PowerIntegratingSource):
    def __init__(
        self,
        root_pid: int | None = None,
        clock: Clock = time.monotonic,
        tree: ProcessTree | None = None,
    ) -> None:
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
        self.tree = tree or ProcessTree(root_pid if root_pid is not None else os.getpid())
        self._last_cpu_s = self.tree.cpu_seconds()
        self._last_t_s = clock()

    def power_w(self) -> float:
        cpu_s = self.tree.cpu_seconds()
        now = self._clock()
        dt = now - self._last_t_s
        load = (cpu_s - self._last_cpu_s) / dt / self.threads if dt > 0 else 0.0
        self._last_cpu_s, self._last_t_s = cpu_s, now
        return self.tdp_w * min(1.0, max(0.0, load))
