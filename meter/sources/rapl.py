"""Intel/AMD RAPL through the powercap sysfs tree. First version: not probed yet."""

from __future__ import annotations

from meter.measurement import Probe
from meter.source import Clock, EnergySource


def probe_rapl(root: str | None = None, clock: Clock | None = None) -> tuple[list[EnergySource], list[Probe]]:
    return [], [Probe("rapl", "cpu", False, "RAPL support not implemented yet")]
