"""Embodied (manufacturing) carbon of GPUs and hosts, amortized over lifetime × utilization.

embodied_kgco2e = device_hours × embodied_kg / (lifetime_years × 8760 × utilization)

The boundary matters by an order of magnitude: a chip-only figure (LLMCarbon, ≈10-15 kg per
GPU die) is about ten times smaller than a board/baseboard figure (NVIDIA's HGX H100 PCF,
1,312 kg per 8-GPU baseboard ≈164 kg per GPU). Every preset states its boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounting.errors import InputError
from accounting.factors.factor import Factor
from accounting.factors.suggest import unknown_message

GPU = "embodied_per_gpu"
HOST = "embodied_per_host"
LIFETIME = "lifetime"
UTILIZATION = "utilization"
KG_UNIT = "kgCO2e/device"
HOURS_PER_YEAR = 8760.0

_LUCCIONI = (
    "Luccioni, Viguier, Ligozat 2023, Estimating the Carbon Footprint of BLOOM (JMLR 24), §4.1"
)


@dataclass(frozen=True)
class GpuEmbodiedPreset:
    name: str
    matches: tuple[str, ...]
    factor: Factor
    boundary: str


GPU_PRESETS: dict[str, GpuEmbodiedPreset] = {
    p.name: p
    for p in (
        GpuEmbodiedPreset(
            "embodied:hgx-h100",
            ("h100",),
            Factor(
                GPU,
                164.0,
                KG_UNIT,
                120.0,
                250.0,
                "NVIDIA HGX H100 product carbon footprint: 1,312 kgCO2e cradle-to-gate per 8-GPU "
                "baseboard (≈164 kg/GPU); boundary: baseboard share; range ecoledger assumption",
                2023,
            ),
            "baseboard share (GPU, HBM, board)",
        ),
        GpuEmbodiedPreset(
            "embodied:bloom-a100",
            ("a100", "a800"),
            Factor(
                GPU,
                150.0,
                KG_UNIT,
                100.0,
                250.0,
                f"{_LUCCIONI}: 150 kgCO2e per GPU, a lower bound; boundary: GPU card; range "
                "ecoledger assumption",
                2023,
            ),
            "GPU card",
        ),
        GpuEmbodiedPreset(
            "embodied:llmcarbon-chip",
            (),
            Factor(
                GPU,
                12.5,
                KG_UNIT,
                10.0,
                15.0,
                "LLMCarbon (Faiz et al. 2024) chip-only estimate ≈10-15 kgCO2e per GPU die; "
                "boundary: chip only",
                2024,
            ),
            "chip only",
        ),
        GpuEmbodiedPreset(
            "embodied:unknown-gpu",
            (),
            Factor(
                GPU,
                150.0,
                KG_UNIT,
                50.0,
                400.0,
                "stated default for a GPU model with no published product carbon footprint "
                f"(V100, T4, L4, P100, L40...): {_LUCCIONI}'s 150 kgCO2e per GPU card, with a "
                "wider range 50-400 kg (a small inference card to a large board, ecoledger "
                "assumption); boundary: unknown",
                2023,
            ),
            "unknown (stated default)",
        ),
    )
}
DEFAULT_GPU_PRESET = "embodied:bloom-a100"
"""Used when nothing says which GPU (an estimate without --gpu-model)."""
UNKNOWN_GPU_PRESET = "embodied:unknown-gpu"
"""Used when the GPU model is known but no published figure covers it."""

HOST_DEFAULT = Factor(
    HOST,
    2500.0,
    KG_UNIT,
    1500.0,
    4000.0,
    f"{_LUCCIONI}: 2,500 kgCO2e per compute server (CPUs, memory, board, chassis; GPUs "
    "counted separately); boundary: server without GPUs; range ecoledger assumption",
    2023,
)
LIFETIME_DEFAULT = Factor(
    LIFETIME,
    6.0,
    "years",
    4.0,
    7.0,
    f"{_LUCCIONI}: 6-year replacement; range 4-7 years (ecoledger assumption)",
    2023,
)
UTILIZATION_DEFAULT = Factor(
    UTILIZATION,
    0.85,
    "fraction",
    0.5,
    1.0,
    f"{_LUCCIONI}: 85 % utilization; range 0.5-1.0 (ecoledger assumption)",
    2023,
)
GPUS_PER_HOST_DEFAULT = 8
"""Servers hold 8 GPUs (Luccioni et al. 2023); host-hours of an estimate = GPU-hours / 8."""


def gpu_preset(name: str, field: str = "embodied") -> GpuEmbodiedPreset:
    key = name.strip().lower()
    if not key.startswith("embodied:"):
        key = "embodied:" + key
    found = GPU_PRESETS.get(key)
    if found is None:
        raise InputError(unknown_message(field, "embodied-carbon preset", name, GPU_PRESETS))
    return found


def gpu_preset_for_model(model: str) -> GpuEmbodiedPreset:
    """The preset whose model names match an NVML model string or ``--gpu-model``.

    A model no published figure covers gets the stated unknown-GPU default (wider range).
    """
    text = model.lower().replace(" ", "")
    for preset in GPU_PRESETS.values():
        if any(token and token in text for token in preset.matches):
            return preset
    return GPU_PRESETS[UNKNOWN_GPU_PRESET]


def user_kg(name: str, kg: float, field: str) -> Factor:
    if not kg >= 0:
        raise InputError(f"`{field}`: must be ≥ 0 kgCO2e, got {kg}")
    return Factor.exact_value(name, kg, KG_UNIT, f"user-supplied ({field})")


def user_lifetime(years: float, field: str = "lifetime_years") -> Factor:
    if not years > 0:
        raise InputError(f"`{field}`: must be > 0 years, got {years}")
    return Factor.exact_value(LIFETIME, years, "years", f"user-supplied ({field})")


def user_utilization(fraction: float, field: str = "utilization") -> Factor:
    if not 0 < fraction <= 1:
        raise InputError(f"`{field}`: must be in (0, 1], got {fraction}")
    return Factor.exact_value(UTILIZATION, fraction, "fraction", f"user-supplied ({field})")
