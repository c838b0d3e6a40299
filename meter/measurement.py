"""Frozen results of the meter: what a device is, one reading, and a measured window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

DeviceKind = Literal["gpu", "cpu", "ram"]


@dataclass(frozen=True)
class DeviceInfo:
    """What a source measures and how.

    ``method`` is one of ``nvml_energy_counter``, ``nvml_power_sampled``, ``rapl``,
    ``cpu_tdp_load``, ``ram_estimate``. ``counter_period_s`` is how often the underlying
    counter updates: windows shorter than it are estimated from power × time and flagged.
    """

    device_id: str
    kind: DeviceKind
    model: str
    method: str
    approximated: bool
    counter_period_s: float = 0.0
    index: int | None = None


class CounterReading(NamedTuple):
    """A cumulative energy counter (J) at a monotonic time (s), with the latest power (W).

    ``estimated_j`` is the part of ``energy_j`` that was estimated rather than measured
    (a counter reset bridged by power × time); a window over which it grows is approximated.
    Immutable; a named tuple because window boundaries make several per device, and a tuple
    is the cheapest immutable record Python builds.
    """

    t_s: float
    energy_j: float
    power_w: float | None = None
    estimated_j: float = 0.0


@dataclass(frozen=True)
class DeviceEnergy:
    device_id: str
    kind: DeviceKind
    model: str
    method: str
    joules: float
    approximated: bool


@dataclass(frozen=True)
class Measurement:
    """The energy of one window, per device. ``approximated`` when any device is."""

    key: str
    start_time: datetime
    end_time: datetime
    duration_s: float
    devices: tuple[DeviceEnergy, ...]

    @property
    def joules(self) -> float:
        """Total over every device (GPU, CPU and RAM alike; see ``devices`` for the split)."""
        return sum(device.joules for device in self.devices)

    @property
    def approximated(self) -> bool:
        return any(device.approximated for device in self.devices)

    def joules_of(self, kind: DeviceKind) -> float:
        return sum(device.joules for device in self.devices if device.kind == kind)


@dataclass(frozen=True)
class PowerSeries:
    """Power samples of one device: Unix times (s) and watts."""

    device_id: str
    kind: DeviceKind
    method: str
    t_s: tuple[float, ...]
    power_w: tuple[float, ...]


@dataclass(frozen=True)
class MeterProblem:
    """Something the user should know about a measurement (a lost device, a reset counter)."""

    code: str
    message: str
    severity: Literal["info", "warning", "error"] = "warning"
    device_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Probe:
    """One candidate source that detection looked at: used or not, and why."""

    name: str
    kind: DeviceKind
    used: bool
    reason: str
    device_id: str | None = None
    method: str | None = None
