"""An assessment without a measured run: energy from hardware × hours, or given in kWh.

For planning, and for papers that report hardware × hours (Strubell et al. 2019, Patterson
et al. 2021, Luccioni et al. 2023).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accounting.assessment.counterfactual_places import compare_factors
from accounting.assessment.engine import assess
from accounting.assessment.factor_set import ENERGY, resolve_factors
from accounting.assessment.quantities import Quantities
from accounting.assessment.result import Assessment
from accounting.assessment.settings import MAX_INPUT, AssumptionSettings
from accounting.errors import InputError
from accounting.factors import embodied
from accounting.factors.factor import Factor

POWER_HOURS_REL_RANGE = 0.20
"""±20 %: assumed uncertainty of energy from average power × hours (ecoledger assumption)."""


@dataclass(frozen=True)
class EstimateInputs:
    """Energy as IT kWh, or GPUs × power × hours, or GPU-hours × power (+ CPU/RAM power)."""

    energy_kwh: float | None = None
    gpus: int | None = None
    gpu_power_w: float | None = None
    hours: float | None = None
    gpu_hours: float | None = None
    cpu_power_w: float | None = None
    ram_power_w: float | None = None
    social_benefit_usd: float = 0.0
    avoided_kgco2e: float = 0.0

    def validate(self) -> None:
        def positive(name: str, value: float | None) -> None:
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InputError(f"`{name}`: must be > 0, got {value}")

        for name in ("energy_kwh", "gpus", "gpu_power_w", "hours", "gpu_hours"):
            positive(name, getattr(self, name))
        for name in (
            "energy_kwh",
            "gpus",
            "gpu_power_w",
            "hours",
            "gpu_hours",
            "cpu_power_w",
            "ram_power_w",
            "social_benefit_usd",
            "avoided_kgco2e",
        ):
            value = getattr(self, name)
            if value is not None and math.isfinite(value) and abs(value) > MAX_INPUT:
                raise InputError(f"`{name}`: must be at most {MAX_INPUT:g}, got {value:g}")
        for name in ("cpu_power_w", "ram_power_w", "social_benefit_usd", "avoided_kgco2e"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InputError(f"`{name}`: must be ≥ 0, got {value}")
        if self.energy_kwh is not None:
            if self.gpus is not None:
                raise InputError("`energy_kwh`: give `energy_kwh` or `gpus`, not both")
            if self.gpu_power_w is not None:
                raise InputError("`energy_kwh`: give `energy_kwh` or `gpu_power_w`, not both")
        elif self.gpus is not None:
            if self.gpu_power_w is None or self.hours is None:
                raise InputError("`gpus`: needs `gpu_power_w` and `hours`")
            if self.gpu_hours is not None:
                raise InputError("`gpu_hours`: give `gpus` with `hours`, or `gpu_hours`, not both")
        elif self.gpu_hours is not None:
            if self.gpu_power_w is None:
                raise InputError("`gpu_hours`: needs `gpu_power_w`")
        elif self.hours is None or not (self.cpu_power_w or self.ram_power_w):
            raise InputError(
                "`energy_kwh`: give the energy: `energy_kwh` E, or `gpus` N `gpu_power_w` W "
                "`hours` H, or `gpu_hours` GH `gpu_power_w` W (or `cpu_power_w` W `hours` H)"
            )
        if (self.cpu_power_w or self.ram_power_w) and self.hours is None:
            raise InputError("`cpu_power_w`: needs `hours` (the job's wall-clock duration)")

    @property
    def total_gpu_hours(self) -> float:
        if self.gpus is not None and self.hours is not None:
            return self.gpus * self.hours
        return self.gpu_hours or 0.0

    @property
    def energy_it_kwh(self) -> float:
        if self.energy_kwh is not None:
            return self.energy_kwh
        gpu_kwh = self.total_gpu_hours * (self.gpu_power_w or 0.0) / 1000.0
        host_kwh = ((self.cpu_power_w or 0.0) + (self.ram_power_w or 0.0)) * (self.hours or 0.0)
        return gpu_kwh + host_kwh / 1000.0


def estimate(inputs: EstimateInputs, settings: AssumptionSettings | None = None) -> Assessment:
    """The assessment of a planned or published job. Raises :class:`InputError` on bad input."""
    settings = settings or AssumptionSettings()
    inputs.validate()
    if settings.intensity_csv is not None:
        raise InputError(
            "`intensity_csv`: a time series needs a measured run (ecoledger assess RUN_ID)"
        )
    gpu_hours = inputs.total_gpu_hours
    if gpu_hours > 0:
        per_host = settings.gpus_per_host or embodied.GPUS_PER_HOST_DEFAULT
        host_hours = gpu_hours / per_host
        hours_source = f"GPU-hours as given; host-hours = GPU-hours / {per_host} GPUs per host"
    else:
        host_hours = (inputs.hours or 0.0) if (inputs.cpu_power_w or inputs.ram_power_w) else 0.0
        hours_source = "host-hours = hours" if host_hours else "no device-hours given"
    if inputs.energy_kwh is not None:
        energy = Factor.exact_value(ENERGY, 1.0, "× IT energy", "IT energy as given (energy_kwh)")
        energy_source = f"energy_kwh {inputs.energy_kwh:g}"
    else:
        energy = Factor.relative(
            ENERGY,
            1.0,
            "× IT energy",
            POWER_HOURS_REL_RANGE,
            "average power × hours; range ±20 % (ecoledger assumption)",
        )
        energy_source = "GPU-hours × gpu_power_w (+ (cpu_power_w + ram_power_w) × hours)"
    fs = resolve_factors(settings, energy=energy)
    q = Quantities(
        energy_it_kwh=inputs.energy_it_kwh,
        gpu_hours=gpu_hours,
        host_hours=host_hours,
        social_benefit_usd=inputs.social_benefit_usd,
        social_lump_sum_usd=inputs.social_benefit_usd,
        avoided_kgco2e=inputs.avoided_kgco2e,
        energy_source=energy_source,
        device_hours_source=hours_source,
    )
    return assess(
        q,
        fs,
        settings,
        subject="estimate",
        expected_uses=settings.expected_uses,
        counterfactual_factors=compare_factors(settings),
    )
