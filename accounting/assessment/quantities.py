"""The physical and declared inputs of one assessment, independent of where they came from."""

from __future__ import annotations

from dataclasses import dataclass

from accounting.assessment.factor_set import Segments


@dataclass(frozen=True)
class Quantities:
    """Everything the formulas need besides the factors. Units are in the names."""

    energy_it_kwh: float
    gpu_hours: float = 0.0
    host_hours: float = 0.0
    social_benefit_usd: float = 0.0
    """Declared social benefit in total (lump sums + per-use rates × counted uses)."""
    social_lump_sum_usd: float = 0.0
    """The part of the social benefit that does not scale with uses."""
    environmental_usd: float = 0.0
    """Declared environmental benefit given directly in USD."""
    avoided_kgco2e: float = 0.0
    uses: int = 0
    """Requests (else items, else tokens) counted in Usage entries."""
    use_unit: str = "request"
    counts: tuple[tuple[str, int], ...] = ()
    """Functional units counted: (request|token|sample|step, count) pairs, for the SCI."""
    segments: Segments | None = None
    energy_source: str = ""
    device_hours_source: str = ""

    def __post_init__(self) -> None:
        for name in ("energy_it_kwh", "gpu_hours", "host_hours", "avoided_kgco2e"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be ≥ 0")
