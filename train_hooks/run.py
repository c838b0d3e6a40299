"""The run handle that ``ecoledger.track()`` yields: phases, steps, usage, prediction, budget.

Everything here is framework-free; torch is touched only through the optimizer object the
user hands to :meth:`Run.watch`. A ``Run`` whose meter could not start (or whose ledger was
refused) still answers every call, as a no-op, so metering never stops the user's job.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from meter import Measurement, Meter
from meter.meter import Snapshot
from train_hooks.carbon import kgco2e
from train_hooks.errors import BudgetExceeded
from train_hooks.predict import MAX_RANGES, Prediction, Unit, coarsen, forecast
from train_hooks.recorder import RunRecorder
from train_hooks.steps import DEFAULT_WINDOW_STEPS, StepRanges, require_at_least_one

log = logging.getLogger("ecoledger")
_EPOCH = re.compile(r"^epoch:(\d+)$")


def window_key(name: str) -> str:
    """``train`` → ``phase:train``; a name with a colon (``epoch:3``) is kept as it is."""
    name = str(name).strip()
    if not name:
        raise ValueError("phase name must not be empty")
    return name if ":" in name else f"phase:{name}"


@dataclass
class PhaseWindow:
    """What ``with run.phase(name) as w:`` yields; ``w.measurement`` is set on exit."""

    key: str
    measurement: Measurement | None = field(default=None)


@dataclass(frozen=True)
class Budget:
    kgco2e: float
    on_budget: str  # warn | stop


class WatchHandle:
    """Returned by :meth:`Run.watch`; ``remove()`` detaches the optimizer hook."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


@dataclass(frozen=True)
class UsageCounts:
    """Requests, tokens and items served, not yet written."""

    requests: int = 0
    tokens: int = 0
    items: int = 0

    def plus(self, requests: int, tokens: int, items: int) -> UsageCounts:
        return UsageCounts(self.requests + requests, self.tokens + tokens, self.items + items)


class Run:
    """A metered run. Get one from ``with ecoledger.track(...) as run:``."""

    def __init__(
        self,
        run_id: str,
        recorder: RunRecorder | None,
        *,
        pue: float,
        intensity_g_per_kwh: float,
        budget: Budget | None = None,
        rank: int | None = None,
        total_epochs: int | None = None,
        total_steps: int | None = None,
    ) -> None:
        self.run_id = run_id
        self.rank = rank
        self.pue = pue
        self.intensity_g_per_kwh = intensity_g_per_kwh
        self.budget = budget
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self._recorder = recorder
        self._meter: Meter | None = recorder.meter if recorder is not None else None
        self._start: Snapshot | None = self._meter.snapshot() if self._meter else None
        self._open: dict[str, Snapshot] = {}
        self._steps: StepRanges | None = None
        self._epochs: dict[int, Unit] = {}
        self._epoch_base_j = 0.0
        self._ranges: list[Unit] = []
        self._range_base_j = 0.0
        self._usage = UsageCounts()
        self._usage_lock = threading.Lock()
        self._closers: list[Callable[[], None]] = []
        self._budget_hit = False
        self._budget_raised = False
        self._warned: set[str] = set()
        self.window_listeners: list[Any] = []
        """Called with (measurement, step count or None) for each recorded window (MLflow)."""
        self.budget_stopped = False
        """True once the budget stopped the run (its status will be ``budget_exceeded``)."""
        if recorder is not None:
            recorder.add_collector(self._collect_usage)

    # -- the active run ------------------------------------------------------------------
    @classmethod
    def current(cls) -> Run | None:
        """The innermost run opened by ``track()`` in this process, or None."""
        from train_hooks.context import tracking

        return tracking().current_run()

    @property
    def metered(self) -> bool:
        """False when nothing is measured (no source, or the ledger was refused)."""
        return self._meter is not None

    @property
    def meter(self) -> Meter | None:
        """This process's meter (None when nothing is measured)."""
        return self._meter

    @property
    def recorder(self) -> RunRecorder | None:
        """What writes this run's entries (None when the ledger was refused)."""
        return self._recorder

    def on_close(self, close: Callable[[], None]) -> None:
        """Call ``close`` when the run closes (before its windows end), newest first."""
        self._closers.append(close)

    # -- energy so far ---------------------------------------------------------------------
    def _joules_since_start(self, now: Snapshot) -> float:
        if self._start is None:
            return 0.0
        _, _, started = self._start
        _, _, readings = now
        return sum(
            max(0.0, b.energy_j - a.energy_j) for a, b in zip(started, readings, strict=True)
        )

    @property
    def energy_j(self) -> float:
        """Energy measured by this process's meter since the run started (J)."""
        if self._meter is None:
            return 0.0
        return self._joules_since_start(self._meter.snapshot())

    @property
    def kgco2e(self) -> float:
        """Operational CO2e so far (kg), at the run's PUE and grid intensity."""
        return kgco2e(self.energy_j, self.pue, self.intensity_g_per_kwh)

    def _sync(self, key: str) -> None:
        """Wait for the metered devices before a window boundary (``track(sync=...)``)."""
        if self._recorder is not None:
            self._recorder.sync(key)

    # -- phases ----------------------------------------------------------------------------
    def begin(self, name: str) -> str:
        """Open a named window (``train``, ``eval``, ``epoch:3``); returns its ledger key."""
        key = window_key(name)
        if self._meter is None:
            return key
        if key in self._open:
            raise ValueError(f"phase {key!r} is already open")
        self._sync(key)
        if self._steps is not None:
            self._steps.cut()
        self._open[key] = self._meter.snapshot()
        return key

    def end(self, name: str) -> Measurement | None:
        """Close a window opened by :meth:`begin` and record it."""
        key = window_key(name)
        if self._meter is None:
            return None
        start = self._open.pop(key, None)
        if start is None:
            raise ValueError(f"phase {key!r} was never begun")
        self._sync(key)
        if self._steps is not None:
            self._steps.cut()
        now = self._meter.snapshot()
        measurement = self._meter.between(key, start, now)
        self._record(measurement, None)
        match = _EPOCH.match(key)
        if match:
            index = int(match.group(1))
            self._epochs[index] = Unit(index, measurement.joules)
            self._epoch_base_j = self._joules_since_start(now)
        self._check_budget(now)
        if match and self.budget is not None and self.total_epochs:
            self._check_prediction()
        return measurement

    @contextmanager
    def phase(self, name: str) -> Iterator[PhaseWindow]:
        """``with run.phase("eval"):`` records the energy of the block as window ``phase:eval``."""
        window = PhaseWindow(self.begin(name))
        try:
            yield window
        finally:
            if self._meter is not None and window.key in self._open:
                window.measurement = self.end(window.key)

    # -- steps -----------------------------------------------------------------------------
    def watch(
        self,
        optimizer: Any,
        every: int = 1,
        window_steps: int = DEFAULT_WINDOW_STEPS,
        *,
        sync: bool = False,
    ) -> WatchHandle:
        """Count ``optimizer.step()`` calls as training steps (``register_step_post_hook``).

        ``every``: read the meter every N steps (1 = every step, a few µs each).
        ``window_steps``: steps per ledger window (``step:0-99``, ``step:100-199``, ...).
        ``sync``: call the run's device sync before each read (off by default: a sync per
        step stalls the pipeline; phase and epoch windows always sync).
        """
        self.ensure_steps(every, window_steps)
        if self._meter is None:
            return WatchHandle(None)
        if self._steps is not None and sync:
            self._steps.sync = lambda: self._sync("step")
        return WatchHandle(optimizer.register_step_post_hook(self._on_optimizer_step))

    def _on_optimizer_step(self, _optimizer: Any, _args: Any, _kwargs: Any) -> None:
        self.step()

    def ensure_steps(self, every: int = 1, window_steps: int = DEFAULT_WINDOW_STEPS) -> None:
        require_at_least_one(every=every, window_steps=window_steps)
        if self._steps is None and self._meter is not None:
            self._steps = StepRanges(
                self._meter,
                self._on_range,
                window_steps=window_steps,
                every=every,
                on_read=self._check_budget,
            )

    def step(self, n: int = 1) -> None:
        """Mark the end of ``n`` training steps (what ``watch`` does; adapters call it)."""
        if self._steps is None:
            self.ensure_steps()
            if self._steps is None:
                return
        self._steps.step(n)
        if self._budget_hit and not self._budget_raised and self.budget is not None:
            if self.budget.on_budget == "stop":
                self._budget_raised = True
                self.budget_stopped = True
                self._steps.cut()
                if self._recorder is not None:
                    self._recorder.flush()
                raise BudgetExceeded(self.run_id, self._measured_kg(), self.budget.kgco2e)

    @property
    def steps(self) -> int:
        return self._steps.steps if self._steps is not None else 0

    def _on_range(self, measurement: Measurement, count: int, now: Snapshot) -> None:
        self._record(measurement, count)
        self._ranges.append(Unit(len(self._ranges), measurement.joules, count))
        if len(self._ranges) > MAX_RANGES:
            self._ranges = coarsen(self._ranges)
        self._range_base_j = self._joules_since_start(now)
        if self.budget is not None and self.total_steps:
            self._check_prediction()

    # -- usage -----------------------------------------------------------------------------
    def count(self, requests: int = 0, tokens: int = 0, items: int = 0) -> None:
        """Add requests, tokens and items served (written as Usage entries at each flush)."""
        for label, value in (("requests", requests), ("tokens", tokens), ("items", items)):
            if int(value) < 0:
                raise ValueError(f"{label} must be ≥ 0, got {value}")
        with self._usage_lock:
            self._usage = self._usage.plus(int(requests), int(tokens), int(items))

    def _collect_usage(self) -> None:
        with self._usage_lock:
            usage, self._usage = self._usage, UsageCounts()
        if usage != UsageCounts() and self._recorder is not None:
            self._recorder.record_usage(usage.requests, usage.tokens, usage.items)

    # -- prediction ------------------------------------------------------------------------
    def predict(
        self, total_epochs: int | None = None, total_steps: int | None = None
    ) -> Prediction:
        """The predicted energy (kWh) and CO2e (kg) of the whole run, with a ≈95 % interval.

        From the ``epoch:N`` windows closed so far (``total_epochs``), or from the step ranges
        (``total_steps``). Raises ValueError when neither total is known or nothing is measured.
        """
        total_epochs = total_epochs if total_epochs is not None else self.total_epochs
        total_steps = total_steps if total_steps is not None else self.total_steps
        if total_epochs is None and total_steps is None:
            raise ValueError("predict: give total_epochs or total_steps")
        if total_epochs is not None and (total_steps is None or self._epochs):
            units = [self._epochs[i] for i in sorted(self._epochs)]
            f = forecast(units, self._epoch_base_j, int(total_epochs), "epochs")
        else:
            f = forecast(self._ranges, self._range_base_j, int(total_steps or 0), "steps")
        return Prediction.of(f, self.pue, self.intensity_g_per_kwh)

    # -- budget ----------------------------------------------------------------------------
    def _measured_kg(self, now: Snapshot | None = None) -> float:
        if self._meter is None:
            return 0.0
        now = now if now is not None else self._meter.snapshot()
        return kgco2e(self._joules_since_start(now), self.pue, self.intensity_g_per_kwh)

    def _check_budget(self, now: Snapshot) -> None:
        if self.budget is None or self._budget_hit:
            return
        measured = self._measured_kg(now)
        if measured >= self.budget.kgco2e:
            self._budget_hit = True
            self._warn_once(
                "budget_exceeded",
                f"run {self.run_id[:12]} has used {measured:.6g} kgCO2e, over its budget of "
                f"{self.budget.kgco2e:.6g} kgCO2e"
                + (" (stopping at the next step)" if self.budget.on_budget == "stop" else ""),
            )

    def _check_prediction(self) -> None:
        assert self.budget is not None
        try:
            p = self.predict()
        except ValueError:
            return
        if p.kgco2e > self.budget.kgco2e:
            self._warn_once(
                "budget_predicted",
                f"run {self.run_id[:12]} is predicted to emit {p.kgco2e:.6g} kgCO2e "
                f"({p.low_kgco2e:.6g}–{p.high_kgco2e:.6g}) over {p.total} {p.basis}, over its "
                f"budget of {self.budget.kgco2e:.6g} kgCO2e",
            )

    def _warn_once(self, code: str, message: str) -> None:
        if code in self._warned:
            return
        self._warned.add(code)
        log.warning("ecoledger: %s", message)
        if self._recorder is not None:
            self._recorder.problem(code, message)

    # -- recording -------------------------------------------------------------------------
    def _record(self, measurement: Measurement, count: int | None) -> None:
        if self._recorder is not None:
            self._recorder.record_window(measurement, count)
        for listener in self.window_listeners:
            listener(measurement, count)

    def flush(self) -> bool:
        """Write everything queued now (the writer also flushes every few seconds)."""
        return self._recorder.flush() if self._recorder is not None else True

    def close(self) -> None:
        """End every open window and call what :meth:`on_close` registered (by ``track()``
        when the run ends)."""
        for close in reversed(self._closers):
            try:
                close()
            except Exception as exc:
                log.warning("ecoledger: could not close an inference meter: %s", exc)
        self._closers.clear()
        if self._meter is None:
            return
        for key in list(self._open):
            self.end(key)
        if self._steps is not None:
            self._steps.cut()
        if self.budget is not None and (self.total_epochs or self.total_steps):
            self._check_prediction()
