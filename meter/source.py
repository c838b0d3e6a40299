"""The protocol every energy source follows, and a base for sources that only know power.

A source exposes what it is (:class:`DeviceInfo`) and one cheap read: a cumulative energy
counter in joules at a monotonic time. Sources that only know power (NVML without the
energy counter, estimates) integrate it in :meth:`sample`, which the meter's background
sampler calls; their :meth:`read` extrapolates from the last sample, so a window boundary
costs microseconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from meter.measurement import CounterReading, DeviceInfo, MeterProblem

Clock = Callable[[], float]


@runtime_checkable
class EnergySource(Protocol):
    info: DeviceInfo

    def read(self) -> CounterReading:
        """The cumulative energy counter now. Cheap; safe from any thread."""
        ...

    def sample(self) -> float | None:
        """Called by the sampler at its rate: refresh, integrate, return power in W (or None)."""
        ...

    def take_problems(self) -> list[MeterProblem]:
        """Problems seen since the last call (device lost, counter reset)."""
        ...

    def close(self) -> None: ...


class PowerIntegratingSource:
    """Base for sources that know power only: trapezoid-integrates :meth:`power_w` samples.

    Subclasses implement :meth:`power_w`. The first :meth:`sample` starts the integration.
    """

    info: DeviceInfo

    def __init__(self, info: DeviceInfo, clock: Clock = time.monotonic) -> None:
        self.info = info
        self._clock = clock
        self._lock = threading.Lock()
        self._t_s: float | None = None
        self._energy_j = 0.0
        self._power_w = 0.0
        self._problems: list[MeterProblem] = []

    def power_w(self) -> float:
        raise NotImplementedError

    def sample(self) -> float | None:
        power = self.power_w()
        now = self._clock()
        with self._lock:
            if self._t_s is not None:
                self._energy_j += 0.5 * (self._power_w + power) * max(0.0, now - self._t_s)
            self._t_s, self._power_w = now, power
        return power

    def read(self) -> CounterReading:
        now = self._clock()
        with self._lock:
            if self._t_s is None:
                return CounterReading(now, 0.0, None)
            extra = self._power_w * max(0.0, now - self._t_s)
            return CounterReading(now, self._energy_j + extra, self._power_w)

    def take_problems(self) -> list[MeterProblem]:
        with self._lock:
            problems, self._problems = self._problems, []
        return problems

    def close(self) -> None:
        return None
