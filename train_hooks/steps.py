"""Aggregate training steps into ledger windows: ``step:1200-1299`` with ``count=100``.

A step boundary costs one counter read every ``every`` steps (a few microseconds) and a few
additions; the ledger gets one Energy entry per device per ``window_steps`` steps, so a million
steps do not become a million entries. Step ranges are contiguous in time, from one boundary
to the next, and are cut at phase boundaries (entering or leaving ``eval`` closes the open
range and restarts it), so step windows and eval phases add up without overlap.
"""

from __future__ import annotations

from collections.abc import Callable

from meter import Measurement, Meter
from meter.meter import Snapshot

DEFAULT_WINDOW_STEPS = 100


def require_at_least_one(**counts: int) -> None:
    """Raise ValueError naming the first of ``counts`` below 1 (``every must be ≥ 1, got 0``)."""
    for name, value in counts.items():
        if value < 1:
            raise ValueError(f"{name} must be ≥ 1, got {value}")


class StepRanges:
    def __init__(
        self,
        meter: Meter,
        on_range: Callable[[Measurement, int, Snapshot], None],
        *,
        window_steps: int = DEFAULT_WINDOW_STEPS,
        every: int = 1,
        on_read: Callable[[Snapshot], None] | None = None,
    ) -> None:
        require_at_least_one(window_steps=window_steps, every=every)
        self.meter = meter
        self.window_steps = max(window_steps, every)
        self.every = every
        self._on_range = on_range
        self._on_read = on_read
        self.steps = 0
        """Steps seen so far (the global index of the next step)."""
        self._first = 0
        self._pending = 0
        self._since_read = 0
        self._start: Snapshot = meter.snapshot()
        self.sync: Callable[[], None] | None = None
        """Called before each step read when set (``watch(optimizer, sync=True)``)."""

    def step(self, n: int = 1) -> None:
        """``n`` steps have ended (the optimizer stepped)."""
        self.steps += n
        self._pending += n
        self._since_read += n
        if self._since_read < self.every:
            return
        self._since_read = 0
        if self.sync is not None:
            self.sync()
        now = self.meter.snapshot()
        if self._pending >= self.window_steps:
            self._close(now)
        if self._on_read is not None:
            self._on_read(now)

    def cut(self) -> None:
        """A phase boundary: close the open range (if any steps) and restart it now."""
        now = self.meter.snapshot()
        if self._pending:
            self._close(now)
        else:
            self._start = now
            self._first = self.steps

    def _close(self, now: Snapshot) -> None:
        key = f"step:{self._first}-{self._first + self._pending - 1}"
        measurement = self.meter.between(key, self._start, now)
        count = self._pending
        self._start, self._first, self._pending = now, self.steps, 0
        self._on_range(measurement, count, now)
