"""Embodied (manufacturing) carbon of GPUs and hosts, amortized over lifetime × utilization.

embodied_kgco2e = device_hours × embodied_kg / (lifetime_years × 8760 × utilization)

The boundary matters by an order of magnitude: a chip-only figure (LLMCarbon, ≈10-15 kg per
GPU die) is about ten times smaller than a board/baseboard figure (NVIDIA's HGX H100 PCF,
1,312 kg per 8-GPU baseboard ≈164 kg per GPU). Every preset states its boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounting.errors import InputError
from accounting.factors.factor import Factor, by_name
from accounting.factors.suggest import unknown_message

GPU = "embodied_per_gpu"
HOST = "embodied_per_host"
LIFETIME = "lifetime"
UTILIZATION = "utilization"
KG_UNIT = "kgCO2e/device"
HOURS_PER_YEAR = 8760.0

_LLMCARBON = (
    "Faiz et al. 2024, LLMCarbon (ICLR 2024), embodied carbon per chip = die area × carbon "
    "per area (the authors' data/hardware.csv)"
)
_SC23 = (
    "Li, Basu Roy, Wang, Samsi, Gadepally, Tiwari 2023, Toward Sustainable HPC (SC'23), "
    "embodied_carbon_by_component.csv (ACT-modelled manufacturing plus packaging)"
)
_SC23_BOUNDARY = "GPU die and memory manufacturing plus packaging (ACT model), no board"
_LUCCIONI = (
    "Luccioni, Viguier, Ligozat 2023, Estimating the Carbon Footprint of BLOOM (JMLR 24), §4.1"
)


@dataclass(frozen=True)
class GpuEmbodiedPreset:
    name: str
    factor: Factor
    boundary: str


GPU_PRESETS: dict[str, GpuEmbodiedPreset] = by_name(
    GpuEmbodiedPreset(
        "embodied:hgx-h100",
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
        "embodied:llmcarbon-v100",
        Factor(
            GPU,
            9.78,
            KG_UNIT,
            4.89,
            19.56,
            f"{_LLMCARBON}: V100, TSMC 12 nm, 815 mm² × 1.2 kgCO2e/cm² = 9.78 kgCO2e; "
            "boundary: chip only; range ×0.5-×2 ecoledger assumption",
            2024,
        ),
        "chip only",
    ),
    GpuEmbodiedPreset(
        "embodied:llmcarbon-h100",
        Factor(
            GPU,
            14.652,
            KG_UNIT,
            7.326,
            29.304,
            f"{_LLMCARBON}: H100, TSMC 4 nm, 814 mm² × 1.8 kgCO2e/cm² = 14.652 kgCO2e; "
            "boundary: chip only; range ×0.5-×2 ecoledger assumption",
            2024,
        ),
        "chip only",
    ),
    GpuEmbodiedPreset(
        "embodied:sc23-v100",
        Factor(
            GPU,
            19.949,
            KG_UNIT,
            10.0,
            40.0,
            f"{_SC23}: V100 SXM2 32GB 19,949 gCO2e (16,049 g manufacturing + 3,900 g "
            f"packaging); boundary: {_SC23_BOUNDARY}; range ×0.5-×2 ecoledger assumption",
            2023,
        ),
        _SC23_BOUNDARY,
    ),
    GpuEmbodiedPreset(
        "embodied:sc23-a100-pcie-40gb",
        Factor(
            GPU,
            26.357,
            KG_UNIT,
            13.0,
            53.0,
            f"{_SC23}: A100 PCIe 40GB 26,357 gCO2e (22,457 g manufacturing + 3,900 g "
            f"packaging); boundary: {_SC23_BOUNDARY}; range ×0.5-×2 ecoledger assumption",
            2023,
        ),
        _SC23_BOUNDARY,
    ),
    GpuEmbodiedPreset(
        "embodied:sc23-a100-pcie-80gb",
        Factor(
            GPU,
            28.957,
            KG_UNIT,
            14.5,
            58.0,
            f"{_SC23}: A100 PCIe 80GB 28,957 gCO2e (25,057 g manufacturing + 3,900 g "
            f"packaging); boundary: {_SC23_BOUNDARY}; range ×0.5-×2 ecoledger assumption",
            2023,
        ),
        _SC23_BOUNDARY,
    ),
    GpuEmbodiedPreset(
        "embodied:unknown-gpu",
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


@dataclass(frozen=True)
class GpuModel:
    """A GPU model ecoledger recognises, and the published footprint bundled for it (if any).

    ``aliases`` match whole tokens of a lower-cased device name, so ``a10`` never matches
    ``A100`` and ``l4`` never matches ``L40S``.
    """

    name: str
    aliases: tuple[str, ...]
    preset: str | None
    """A :data:`GPU_PRESETS` key; ``None``: no published product carbon footprint bundled."""
    other_boundaries: tuple[str, ...] = ()
    """Presets with a published figure for this model at another boundary (e.g. die and memory
    only): offered with ``--embodied``, never chosen by default, which would mix boundaries."""

    def matches(self, device_name: str) -> bool:
        text = device_name.lower()
        return any(
            re.search(rf"(?<![a-z0-9]){re.escape(a)}(?![a-z0-9])", text) for a in self.aliases
        )


GPU_MODELS: tuple[GpuModel, ...] = (
    # NVIDIA HGX H100 PCF (8-GPU SXM baseboard); applied to every H100 form factor
    GpuModel("H100", ("h100",), "embodied:hgx-h100", ("embodied:llmcarbon-h100",)),
    # Luccioni et al. 2023's 150 kg per A100 card; the A800 is the A100's export variant
    GpuModel(
        "A100",
        ("a100",),
        "embodied:bloom-a100",
        ("embodied:sc23-a100-pcie-40gb", "embodied:sc23-a100-pcie-80gb"),
    ),
    GpuModel("A800", ("a800",), "embodied:bloom-a100"),
    # recognised, but no published product carbon footprint was found and read for them:
    # they get the stated unknown-GPU default with its wider range, and a note
    GpuModel("H200", ("h200",), None),
    GpuModel("H800", ("h800",), None),
    GpuModel("GH200", ("gh200",), None),
    GpuModel("B100", ("b100",), None),
    GpuModel("B200", ("b200",), None),
    GpuModel("GB200", ("gb200",), None),
    GpuModel("V100", ("v100", "v100s"), None, ("embodied:sc23-v100", "embodied:llmcarbon-v100")),
    GpuModel("T4", ("t4",), None),
    GpuModel("L4", ("l4",), None),
    GpuModel("L40", ("l40",), None),
    GpuModel("L40S", ("l40s",), None),
    GpuModel("A10", ("a10", "a10g"), None),
    GpuModel("A30", ("a30",), None),
    GpuModel("A40", ("a40",), None),
    GpuModel("P100", ("p100",), None),
    GpuModel("K80", ("k80",), None),
)
"""Every GPU model ``--gpu-model`` accepts; measured runs match their NVML device name."""


def gpu_model_for(device_name: str) -> GpuModel | None:
    """The recognised model in an NVML device name or a ``--gpu-model`` value, if any."""
    return next((m for m in GPU_MODELS if m.matches(device_name)), None)


def check_gpu_model(name: str, field: str = "gpu_model") -> GpuModel:
    """The model ``name`` names; an unrecognised name is an :class:`InputError` listing them."""
    found = gpu_model_for(name)
    if found is None:
        known = ", ".join(m.name for m in GPU_MODELS)
        raise InputError(
            f"`{field}`: unknown GPU model {name!r}; known: {known} (or give `embodied_kg_per_gpu`)"
        )
    return found


def gpu_preset_for_model(model: str) -> GpuEmbodiedPreset:
    """The preset for an NVML model string or ``--gpu-model``.

    A model no published figure covers (recognised or not) gets the stated unknown-GPU
    default (wider range).
    """
    found = gpu_model_for(model)
    if found is None or found.preset is None:
        return GPU_PRESETS[UNKNOWN_GPU_PRESET]
    return GPU_PRESETS[found.preset]


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
