"""The run recorder: joins a :class:`meter.Meter` to the ledger for one run.

It writes ``RunStarted``, then at every flush an additive ``run``-window Energy segment
per device (energy since the previous flush), the power samples and any meter problems,
and finally ``RunEnded``. A process that joins an existing run (``owner=False``) writes
only its windows, usage and problems, never the run's total or its start/end.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from accounting.entries import (
    RUN_WINDOW,
    DeviceFacts,
    Energy,
    EntrySource,
    PowerSample,
    Problem,
    RunEnded,
    RunStarted,
    RunStatus,
    Usage,
)
from accounting.store import Ledger
from accounting.store.writer import DEFAULT_FLUSH_INTERVAL_S, BufferedWriter
from meter import Measurement, Meter
from meter.meter import Snapshot
from train_hooks.hostinfo import host_name
from train_hooks.power_batches import PowerBatcher


def _warn(message: str) -> None:
    print(f"ecoledger: warning: {message}", file=sys.stderr)


class RunRecorder:
    def __init__(
        self,
        ledger: Ledger,
        run_id: str,
        *,
        meter: Meter | None = None,
        owner: bool = True,
        record_total: bool = True,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        rank: int | None = None,
        origin: str = "ecoledger",
        warn: Callable[[str], None] = _warn,
        t0_monotonic: float | None = None,
        sync: Callable[[], None] | None = None,
    ) -> None:
        """``t0_monotonic``: when the run began (e.g. just before its child started).

        ``sync``: called before the counters are read at the run's start and end (and by
        every window of the run through :meth:`sync`), so that work queued on a device is
        counted in the window that queued it (see :mod:`train_hooks.sync`).
        """
        self.ledger = ledger
        self.run_id = run_id
        self.meter = meter
        self.owner = owner
        self.record_total = record_total and meter is not None
        self.source = EntrySource(host=host_name(), pid=os.getpid(), rank=rank, origin=origin)
        self._warn = warn
        self.writer = BufferedWriter(
            ledger, flush_interval_s=flush_interval_s, before_flush=self._collect, warn=warn
        )
        self._last: Snapshot | None = None
        self._collect_lock = threading.Lock()
        self._t0 = time.monotonic() if t0_monotonic is None else t0_monotonic
        self.energy_j = 0.0
        self.power_w = 0.0
        self.problem_codes: list[str] = []
        """Each code this run reported, once (bounded however often a problem recurs)."""
        self._collectors: list[Callable[[], None]] = []
        self._power = PowerBatcher()
        """Samples wait for ~10 s a device (one entry, not one per flush); all at the end."""
        self._finished = False
        self._sealed = False
        """After the last collection nothing more is measured (no sliver after run_ended)."""
        self.sync_fn = sync
        self._sync_failed: set[str] = set()

    # -- life cycle ------------------------------------------------------------------------
    def start(self, started: RunStarted | None = None, *, background: bool = True) -> RunRecorder:
        """Write ``started`` (owner only) and start metering and the flush thread.

        ``background=False`` starts neither the sampler nor the flush thread: the caller
        drives ``meter.sample_once()`` and :meth:`flush` on its own clock (simulations).
        """
        if started is not None and self.owner:
            self.writer.put(started)
            self.writer.flush()
        if background:
            self.writer.start()  # first: its thread's start-up is not the run's first window
        if self.meter is not None:
            try:
                self.meter.start(background=background)
                self.sync(RUN_WINDOW)
                self._last = self.meter.snapshot()
                self._record_devices()
            except Exception as exc:
                self.problem("meter_failed", f"the meter could not start: {exc}", "error")
                self.meter = None
                self.record_total = False
        return self

    def finish(
        self,
        status: RunStatus,
        *,
        exit_code: int | None = None,
        error: str | None = None,
    ) -> None:
        if self._finished:
            return
        self._finished = True
        meter_cpu_s = None
        if self.meter is not None:
            self.sync(RUN_WINDOW)
            try:
                self.meter.stop()
            except Exception as exc:
                self.problem("meter_failed", f"the meter did not stop cleanly: {exc}")
            meter_cpu_s = self.meter.sampler_cpu_s
            self._record_devices(final=True)
        self._collect()
        self._sealed = True
        if self.owner:
            self.writer.put(
                RunEnded(
                    run_id=self.run_id,
                    source=self.source,
                    status=status,
                    ended_at=datetime.now(UTC),
                    duration_s=time.monotonic() - self._t0,
                    exit_code=exit_code,
                    error=error,
                    meter_cpu_s=meter_cpu_s,
                )
            )
        if not self.writer.close() and not self.writer.journal_only:  # (it said so once)
            self._warn(
                f"{self.writer.pending} entries could not be written to {self.ledger.display}"
            )
        if self.meter is not None:
            self.meter.close()

    def _record_devices(self, final: bool = False) -> None:
        """A DeviceFacts entry per GPU (limits, driver, memory, MIG, shared share); at the
        end, a ``gpu_unused`` note for a GPU the tree never ran on, whose utilization stayed 0."""
        if self.meter is None or not self.record_total:
            return
        for source in self.meter.sources:
            facts = getattr(source, "facts", None)
            if facts is None:
                continue
            info = source.info
            try:
                self.writer.put(
                    DeviceFacts(
                        run_id=self.run_id,
                        source=self.source,
                        device_id=info.device_id,
                        device_kind=info.kind,
                        model=info.model,
                        **facts(),
                    )
                )
            except Exception as exc:
                self._warn(f"could not record the facts of {info.device_id}: {exc}")
            if final and getattr(source, "unused", False):
                self.problem(
                    "gpu_unused",
                    f"GPU {info.device_id} ({info.model}) was metered but this run's processes "
                    "never ran on it and its utilization stayed at 0 %: a reserved, idle GPU, "
                    "whose idle power is in the bill",
                    "info",
                    info.device_id,
                )

    def sync(self, window: str, fn: Callable[[], None] | None = None) -> None:
        """Call ``fn`` (default: the run's sync function) before ``window``'s counters are
        read; never raises.

        A sync that raises is recorded once per window key as a ``sync_failed`` problem
        (the window is then read without waiting for the device).
        """
        fn = fn if fn is not None else self.sync_fn
        if fn is None:
            return
        try:
            fn()
        except Exception as exc:
            if window not in self._sync_failed:
                self._sync_failed.add(window)
                self.problem(
                    "sync_failed",
                    f"the device sync before reading window {window!r} raised "
                    f"{type(exc).__name__}: {exc}; the window was read without waiting for "
                    "the device, so its energy may be shifted to the next window",
                )

    # -- entries ---------------------------------------------------------------------------
    def add(self, entry: Any) -> None:
        self.writer.put(entry)

    def problem(
        self, code: str, message: str, severity: str = "warning", device_id: str | None = None
    ) -> None:
        if code not in self.problem_codes:
            self.problem_codes.append(code)
        self.writer.put(
            Problem(
                run_id=self.run_id,
                source=self.source,
                code=code,
                severity=severity,  # type: ignore[arg-type]
                message=message,
                device_id=device_id,
                at=datetime.now(UTC),
            )
        )

    def record_window(self, measurement: Measurement, count: int | None = None) -> None:
        """One Energy entry per device for a named window (a phase, an epoch, a step range)."""
        self.writer.put_many(self._energy_entries(measurement, measurement.key, count))

    def record_usage(
        self, requests: int, tokens: int, items: int, window: Measurement | None = None
    ) -> None:
        """A Usage entry: requests, tokens and items served; with ``window`` (the calls' own
        window, recorded by :meth:`record_window`), its key, energy and times too."""
        self.writer.put(
            Usage(
                run_id=self.run_id,
                source=self.source,
                requests=requests,
                tokens=tokens,
                items=items,
                window=window.key if window is not None else None,
                joules=window.joules if window is not None else None,
                start=window.start_time if window is not None else None,
                end=window.end_time if window is not None else None,
            )
        )

    def _energy_entries(self, m: Measurement, window: str, count: int | None) -> list[Energy]:
        return [
            Energy(
                run_id=self.run_id,
                source=self.source,
                window=window,
                device_id=d.device_id,
                device_kind=d.kind,
                device_model=d.model,
                method=d.method,
                approximated=d.approximated,
                joules=d.joules,
                start=m.start_time,
                end=m.end_time,
                duration_s=m.duration_s,
                count=count,
            )
            for d in m.devices
        ]

    def add_collector(self, collect: Callable[[], None]) -> None:
        """Call ``collect`` before every flush (from the writer thread) and at the finish."""
        self._collectors.append(collect)

    def _collect(self) -> None:
        """Turn what the meter saw since the last flush into entries (runs before each flush)."""
        if self._sealed:
            return
        for collect in list(self._collectors):
            try:
                collect()
            except Exception as exc:  # a collector must never stop the flush
                self._warn(f"could not collect usage: {exc}")
        meter = self.meter
        if meter is None:
            return
        with self._collect_lock:
            if self.record_total and self._last is not None:
                now = meter.snapshot()
                segment = meter.between(RUN_WINDOW, self._last, now, contiguous=True)
                if segment.duration_s > 0:
                    self.writer.put_many(self._energy_entries(segment, RUN_WINDOW, None))
                    self.energy_j += segment.joules
                    self.power_w = segment.joules / segment.duration_s
                self._last = now
            for series in meter.drain_samples():
                if self.record_total:
                    self._power.add(series)
            for series in self._power.take(everything=self._finished):
                self.writer.put(
                    PowerSample(
                        run_id=self.run_id,
                        source=self.source,
                        device_id=series.device_id,
                        device_kind=series.kind,
                        method=series.method,
                        t_s=series.t_s,
                        power_w=series.power_w,
                    )
                )
            for p in meter.drain_problems():
                self.problem(p.code, p.message, p.severity, p.device_id)

    def flush(self) -> bool:
        return self.writer.flush()
