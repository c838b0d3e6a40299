"""NVIDIA GPUs through NVML (the ``pynvml`` module of ``nvidia-ml-py``).

First version: the energy counter only. The meter issue completes it (sampled fallback,
CUDA_VISIBLE_DEVICES mapping, processes, faults).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from meter.measurement import CounterReading, DeviceInfo, MeterProblem, Probe
from meter.source import Clock, EnergySource


class NvmlEnergyCounter:
    def __init__(self, handle: object, info: DeviceInfo, clock: Clock = time.monotonic) -> None:
        import pynvml

        self._nvml = pynvml
        self._handle = handle
        self.info = info
        self._clock = clock
        self._power_w: float | None = None

    def read(self) -> CounterReading:
        energy_mj = self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        return CounterReading(self._clock(), energy_mj / 1000.0, self._power_w)

    def sample(self) -> float | None:
        self._power_w = self._nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000.0
        return self._power_w

    def take_problems(self) -> list[MeterProblem]:
        return []

    def close(self) -> None:
        return None


def probe_nvml_gpus(
    gpus: Sequence[str] | None, root_pid: int, clock: Clock
) -> tuple[list[EnergySource], list[Probe]]:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as exc:
        return [], [Probe("nvml", "gpu", False, f"no NVML library or driver: {exc}")]
    sources: list[EnergySource] = []
    probes: list[Probe] = []
    for index in range(pynvml.nvmlDeviceGetCount()):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        uuid = pynvml.nvmlDeviceGetUUID(handle)
        name = pynvml.nvmlDeviceGetName(handle)
        info = DeviceInfo(uuid, "gpu", str(name), "nvml_energy_counter", False, 0.1, index)
        sources.append(NvmlEnergyCounter(handle, info, clock))
        probes.append(Probe(f"nvml:{index}", "gpu", True, "energy counter", uuid, info.method))
    return sources, probes
