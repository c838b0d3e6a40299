"""Measure energy: GPUs through NVML, CPU through RAPL or TDP × load, RAM by estimate.

Knows nothing of money, carbon, the ledger or torch.
"""

from meter.detect import Detection, detect_sources
from meter.errors import DeviceLost, MeterError, PermissionDenied, Unavailable
from meter.measurement import (
    DeviceEnergy,
    DeviceInfo,
    Measurement,
    MeterProblem,
    PowerSeries,
    Probe,
)
from meter.meter import Meter

__all__ = [
    "Detection",
    "DeviceEnergy",
    "DeviceInfo",
    "DeviceLost",
    "Measurement",
    "Meter",
    "MeterError",
    "MeterProblem",
    "PermissionDenied",
    "PowerSeries",
    "Probe",
    "Unavailable",
    "detect_sources",
]
