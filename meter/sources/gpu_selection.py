"""Which NVML devices a run meters: ``--gpus``, else ``CUDA_VISIBLE_DEVICES``, else all.

NVML numbers devices in PCI bus order and ignores ``CUDA_VISIBLE_DEVICES``, so the variable
is mapped here, as CUDA reads it: a comma-separated list of indices or of UUIDs (``GPU-…``,
a unique prefix is enough); the list ends at the first entry that matches nothing; an empty
value or ``-1`` hides every GPU. Indices are taken as NVML indices, which match CUDA's when
``CUDA_DEVICE_ORDER=PCI_BUS_ID``; UUIDs are unambiguous and preferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NvmlDeviceId:
    index: int
    uuid: str


@dataclass(frozen=True)
class GpuSelection:
    """The chosen NVML indices, in order, where the choice came from, and notes on entries."""

    indices: tuple[int, ...]
    origin: str
    notes: tuple[str, ...] = ()


def parse_gpu_list(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"0,2"`` or ``["0", "GPU-1234"]`` → entries; raises ValueError naming a bad entry."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for raw in items:
        item = str(raw).strip()
        if not item:
            raise ValueError(f"`gpus` has an empty entry in {value!r}")
        if not (item.isdigit() or item.upper().startswith(("GPU-", "MIG-"))):
            raise ValueError(
                f"`gpus` entry {item!r} is neither a GPU index (0, 1, …) nor a UUID (GPU-…)"
            )
        out.append(item)
    return tuple(out)


def _match(entry: str, devices: Sequence[NvmlDeviceId]) -> NvmlDeviceId | str:
    """The device an entry names, or why it names none."""
    if entry.lstrip("-").isdigit():
        index = int(entry)
        for device in devices:
            if device.index == index:
                return device
        return f"no GPU with index {index} (NVML sees {len(devices)})"
    if entry.upper().startswith("MIG-"):
        return f"{entry}: MIG instances are not metered separately (meter the parent GPU)"
    wanted = entry if entry.upper().startswith("GPU-") else f"GPU-{entry}"
    found = [d for d in devices if d.uuid.lower().startswith(wanted.lower())]
    if len(found) == 1:
        return found[0]
    if not found:
        return f"no GPU with UUID {entry}"
    return f"{entry} matches {len(found)} GPUs; give more of the UUID"


def select_gpus(
    devices: Sequence[NvmlDeviceId],
    override: Sequence[str] | None,
    cuda_visible_devices: str | None,
) -> GpuSelection:
    """Apply ``--gpus`` (every entry must match) or ``CUDA_VISIBLE_DEVICES`` (CUDA's rules)."""
    if override is not None:
        indices: list[int] = []
        notes: list[str] = []
        for entry in override:
            match = _match(entry, devices)
            if isinstance(match, str):
                notes.append(f"`gpus` {entry}: {match}")
            elif match.index not in indices:
                indices.append(match.index)
        return GpuSelection(tuple(indices), f"`gpus` {','.join(override)}", tuple(notes))
    if cuda_visible_devices is None:
        return GpuSelection(tuple(d.index for d in devices), "all GPUs NVML sees")
    origin = f"CUDA_VISIBLE_DEVICES={cuda_visible_devices}"
    indices = []
    notes = []
    for raw in cuda_visible_devices.split(","):
        entry = raw.strip()
        if entry.startswith("-"):
            break  # CUDA: a negative index ends the list
        if not entry:
            notes.append("an empty entry ends the list")
            break
        match = _match(entry, devices)
        if isinstance(match, str):
            notes.append(f"{entry}: {match}; CUDA ignores it and every later entry")
            break
        if match.index not in indices:
            indices.append(match.index)
    return GpuSelection(tuple(indices), origin, tuple(notes))
