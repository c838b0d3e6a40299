"""The protocol every energy source follows, and the bases the sources share.

A source exposes what it is (:class:`DeviceInfo`) and one cheap read: a cumulative energy
counter in joules at a monotonic time. Sources that only know power (NVML without the
energy counter, estimates) integrate it in :meth:`sample`, which the meter's background
sampler calls; their :meth:`read` extrapolates from the last sample, so a window boundary
costs microseconds.

Neither :meth:`read` nor :meth:`sample` raises: a failure becomes a :class:`MeterProblem`
(drained by the meter) and the counter keeps its last value. A lost device stops: its
counter freezes and :meth:`sample` returns None from then on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, Protocol, runtime_checkable

from meter.errors import DeviceLost
from meter.measurement import CounterReading, DeviceInfo, MeterProblem

Clock = Callable[[], float]
Severity = Literal["info", "warning", "error"]


@runtime_checkable
class EnergySource(Protocol):
    info: DeviceInfo

    def read(self) -> CounterReading:
        """The cumulative energy counter now. Cheap; safe from any thread; never raises."""
        ...

    def sample(self) -> float | None:
        """Called by the sampler at its rate: refresh, integrate, return power in W (or None)."""
        ...

    def take_problems(self) -> list[MeterProblem]:
        """Problems seen since the last call (device lost, counter reset)."""
        ...

    def close(self) -> None: ...


class SourceBase:
    """Problems (each code reported once per source unless asked otherwise) and the lost state."""

    info: DeviceInfo

    def __init__(self, info: DeviceInfo, clock: Clock = time.monotonic) -> None:
        self.info = info
        self._clock = clock
        self._lock = threading.Lock()
        self._problems: list[MeterProblem] = []
        self._reported: set[str] = set()
        self.lost = False

    def _report(
        self, code: str, message: str, severity: Severity = "warning", *, once: bool = True
    ) -> None:
        """Record a problem for the meter to drain. Call with ``self._lock`` held."""
        if once and code in self._reported:
            return
        self._reported.add(code)
        self._problems.append(
            MeterProblem(code, message, severity, self.info.device_id, datetime.now(UTC))
        )

    def _lose(self, exc: BaseException) -> None:
        if self.lost:
            return
        self.lost = True
        self._report(
            "device_lost",
            f"{self.info.kind} {self.info.device_id} ({self.info.model}) was lost mid-run ({exc}); "
            "its series ends here and its energy counter is frozen at the last good reading",
            "error",
        )

    def take_problems(self) -> list[MeterProblem]:
        with self._lock:
            problems, self._problems = self._problems, []
        return problems

    def close(self) -> None:
        return None


class PowerIntegratingSource(SourceBase):
    """Base for sources that know power only: integrates :meth:`power_w` samples.

    Each sample's power describes the interval since the previous sample (CPU load over that
    interval, NVML's trailing power average), so energy grows by ``P_k × (t_k − t_{k−1})``.
    Between samples :meth:`read` extrapolates the last power; the counter it returns never
    goes backwards (when the next sample comes in lower than the extrapolation, the counter
    holds until the integral catches up), so windows are never negative.

    Subclasses implement :meth:`power_w`, which may raise (``DeviceLost`` stops the source).
    """

    def __init__(self, info: DeviceInfo, clock: Clock = time.monotonic) -> None:
        super().__init__(info, clock)
        self._t_s: float | None = None
        self._energy_j = 0.0
        self._exposed_j = 0.0
        self._power_w: float | None = None
        self._slope_w: float | None = None
        """Power that :meth:`read` extrapolates with, when a subclass sets one (else the last)."""

    def power_w(self) -> float:
        raise NotImplementedError

    def sample(self) -> float | None:
        if self.lost:
            return None
        try:
            power = self.power_w()
        except DeviceLost as exc:
            with self._lock:
                self._lose(exc)
                self._power_w = None
            return None
        except Exception as exc:
            with self._lock:
                self._report(
                    "meter_read_failed",
                    f"cannot read the power of {self.info.device_id}: {exc}; "
                    "its last power is kept",
                )
            return None
        now = self._clock()
        with self._lock:
            if self._t_s is not None:
                self._energy_j += power * max(0.0, now - self._t_s)
            self._t_s, self._power_w = now, power
        return power

    def read(self) -> CounterReading:
        return self._read_extrapolated(None)

    def _read_extrapolated(
        self, power_now_w: float | None, now: float | None = None
    ) -> CounterReading:
        """The integral, extrapolated to ``now`` (the clock's reading by default) with
        ``power_now_w`` when a subclass measured the power then, else with the slope (or
        the last power)."""
        if now is None:
            now = self._clock()
        with self._lock:
            if self._t_s is None:
                return CounterReading(now, self._exposed_j, self._power_w)
            value = self._energy_j
            slope = self._slope_w if self._slope_w is not None else self._power_w
            if power_now_w is not None:
                slope = power_now_w
            if slope is not None and now > self._t_s:
                value += slope * (now - self._t_s)
            if value > self._exposed_j:
                self._exposed_j = value
            return CounterReading(now, self._exposed_j, self._power_w)
