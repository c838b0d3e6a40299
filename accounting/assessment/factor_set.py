"""Resolve the user's settings (and a run's own defaults) into the named factors used.

Order of precedence for each factor: the user's explicit setting, then the run's RunStarted
value (country, cloud, PUE), then the documented default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

import numpy as np

from accounting.assessment.settings import AssumptionSettings
from accounting.errors import InputError
from accounting.factors import carbon_intensity, electricity_price, embodied, pue, scc, water
from accounting.factors.deflator import DEFAULT_DOLLAR_YEAR, multiplier
from accounting.factors.deflator import SOURCE as DEFLATOR_SOURCE
from accounting.factors.factor import Factor
from accounting.factors.intensity_series import IntensitySeries

ENERGY = "energy_measurement"
GRID_LOSS = "grid_loss"
MARKET = "market_intensity"
GRID_LOSS_SOURCE = (
    "transmission and distribution losses not counted (ecoledger default 0, as the GHG "
    "Protocol's scope 2 counts consumption at the meter; the losses belong to scope 3 category "
    "3). Typical values: US ≈5 % (EIA, 'How much electricity is lost in electricity "
    "transmission and distribution in the United States?', FAQ, 2018-2022 average); world ≈8 % "
    "(World Bank WDI EG.ELC.LOSS.ZS)"
)
SERIES_REL_RANGE = 0.10
"""±10 %: assumed uncertainty of a user-supplied intensity series."""


@dataclass(frozen=True)
class Segments:
    """Energy segments of a run: Unix-second starts and ends, and IT energy in kWh."""

    start_s: np.ndarray
    end_s: np.ndarray
    kwh: np.ndarray

    @property
    def total_kwh(self) -> float:
        return float(np.sum(self.kwh))

    @property
    def span_s(self) -> tuple[float, float]:
        return float(np.min(self.start_s)), float(np.max(self.end_s))


@dataclass(frozen=True)
class FactorSet:
    factors: Mapping[str, Factor]
    location: str
    """What the carbon intensity is for: ``FRA``, ``gcp:europe-west1``, ``world average``..."""
    scc_preset: str | None
    scc_dollar_year: int | None
    emission_year: int
    gpu_boundary: str
    series: IntensitySeries | None = field(default=None, compare=False)
    dollar_year: int = DEFAULT_DOLLAR_YEAR
    embodied_method: str = "bloom"
    scope2_method: str = "location-based"
    market_instrument: str | None = None
    """How the market-based factor was given (``None``: no contractual instrument)."""
    gpu_model: str | None = None
    notes: tuple[str, ...] = ()
    water_basis: water.WaterBasis | None = None
    """Which water figures were used: per-location, national, U.S. stand-in, user or preset."""

    def __getitem__(self, name: str) -> Factor:
        return self.factors[name]

    def values(self) -> dict[str, float]:
        return {name: f.value for name, f in self.factors.items()}

    def replaced(self, factor: Factor) -> FactorSet:
        factors = dict(self.factors)
        factors[factor.name] = factor
        return dataclasses.replace(self, factors=MappingProxyType(factors))


def current_year() -> int:
    return datetime.now(UTC).year


def resolve_factors(
    settings: AssumptionSettings,
    *,
    run_country: str | None = None,
    run_cloud: str | None = None,
    run_pue: float | None = None,
    run_year: int | None = None,
    gpu_models: tuple[str, ...] = (),
    energy: Factor | None = None,
    segments: Segments | None = None,
) -> FactorSet:
    """The factor set for these settings. Raises :class:`InputError` naming the option."""
    year = settings.emission_year or run_year or current_year()
    factors: dict[str, Factor] = {}
    notes: list[str] = []
    gpu_model: str | None = None
    factors[ENERGY] = energy or Factor.exact_value(
        ENERGY, 1.0, "× IT energy", "energy as given (no measurement uncertainty applied)"
    )

    # carbon intensity
    series: IntensitySeries | None = None
    place_key: str | None = None  # the resolved location key water follows: FRA, USA:CA...
    if settings.intensity_csv is not None:
        series = IntensitySeries.load(settings.intensity_csv)
        location = f"series {settings.intensity_csv}"
        factors[carbon_intensity.NAME] = _series_factor(series, segments)
    elif settings.intensity_g_per_kwh is not None:
        factors[carbon_intensity.NAME] = carbon_intensity.user_value(settings.intensity_g_per_kwh)
        location = f"{settings.intensity_g_per_kwh:g} gCO2e/kWh"
    elif settings.cloud is not None:
        factors[carbon_intensity.NAME] = carbon_intensity.for_cloud(settings.cloud)
        place_key = carbon_intensity.region_for_cloud(settings.cloud).key
        location = settings.cloud
    elif settings.country is not None:
        factors[carbon_intensity.NAME] = carbon_intensity.for_country(settings.country)
        place_key = carbon_intensity.region_for_country(settings.country).key
        location = settings.country.upper()
    elif run_cloud:
        factors[carbon_intensity.NAME] = carbon_intensity.for_cloud(run_cloud, "run cloud")
        place_key = carbon_intensity.region_for_cloud(run_cloud, "run cloud").key
        location = run_cloud
    elif run_country:
        factors[carbon_intensity.NAME] = carbon_intensity.for_country(run_country, "run country")
        place_key = carbon_intensity.region_for_country(run_country, "run country").key
        location = run_country.upper()
    else:
        factors[carbon_intensity.NAME] = carbon_intensity.world_average()
        location = "world average"

    # PUE
    if settings.pue is not None:
        factors[pue.NAME] = pue.user_value(settings.pue)
    elif settings.pue_preset is not None:
        factors[pue.NAME] = pue.preset(settings.pue_preset, "pue")
    elif run_pue is not None:
        factors[pue.NAME] = pue.user_value(
            run_pue, "run pue", "the run's declared PUE (recorded when the run started)"
        )
    else:
        factors[pue.NAME] = pue.preset(pue.DEFAULT_PRESET)

    # price
    factors[electricity_price.NAME] = (
        electricity_price.user_value(settings.price_per_kwh)
        if settings.price_per_kwh is not None
        else electricity_price.DEFAULT
    )

    # social cost of carbon
    if settings.scc_usd_per_t is not None:
        factors[scc.NAME] = scc.user_value(settings.scc_usd_per_t, year)
        scc_preset, dollar_year = None, None
    else:
        scc_preset = settings.scc or scc.DEFAULT_PRESET
        factors[scc.NAME] = scc.preset(scc_preset, year)
        dollar_year = scc.dollar_year(scc_preset)
        scc_preset = scc_preset if scc_preset.startswith("scc:") else "scc:" + scc_preset

    # water: per-location, else national, else the U.S. average labelled as a stand-in
    if settings.water is not None:
        chosen = water.preset(settings.water)
        basis = water.WaterBasis(water.PRESET, chosen.name, chosen.wue, chosen.ewif)
    else:
        country = carbon_intensity.country_of(place_key) if place_key else None
        basis = water.for_place(place_key, country, location)
    if settings.wue_l_per_kwh is not None and settings.ewif_l_per_kwh is not None:
        basis = dataclasses.replace(basis, tier=water.USER, place="user-supplied", citation="")
    factors[water.WUE] = (
        water.user_value(water.WUE, settings.wue_l_per_kwh, water.UNIT, "wue_l_per_kwh")
        if settings.wue_l_per_kwh is not None
        else basis.wue
    )
    factors[water.EWIF] = (
        water.user_value(water.EWIF, settings.ewif_l_per_kwh, water.UNIT, "ewif_l_per_kwh")
        if settings.ewif_l_per_kwh is not None
        else basis.ewif
    )
    if basis.stand_in:
        notes.append(
            f"water: no per-location (Li et al.) or national figure is bundled for "
            f"{location}; the U.S. average is used as a stand-in"
        )
    factors[water.PRICE] = (
        water.user_value(
            water.PRICE, settings.water_price_per_m3, water.PRICE_UNIT, "water_price_per_m3"
        )
        if settings.water_price_per_m3 is not None
        else water.DEFAULT_PRICE
    )

    # embodied carbon
    if settings.embodied_kg_per_gpu is not None:
        factors[embodied.GPU] = embodied.user_kg(
            embodied.GPU, settings.embodied_kg_per_gpu, "embodied_kg_per_gpu"
        )
        boundary = "as declared by the user"
    else:
        if settings.embodied is not None:
            gpu_preset = embodied.gpu_preset(settings.embodied)
        elif settings.gpu_model is not None or gpu_models:
            if settings.gpu_model is not None:
                embodied.check_gpu_model(settings.gpu_model)
            model = settings.gpu_model or max(set(gpu_models), key=gpu_models.count)
            gpu_model = model
            gpu_preset = embodied.gpu_preset_for_model(model)
            if gpu_preset.name == embodied.UNKNOWN_GPU_PRESET:
                known = embodied.gpu_model_for(model)
                what = "GPU model" if known else "unrecognised GPU model"
                others = (
                    f"; figures at narrower boundaries exist: --embodied "
                    f"{' or '.join(known.other_boundaries)} (die and memory, or chip, only)"
                    if known and known.other_boundaries
                    else ""
                )
                notes.append(
                    f"embodied carbon: no published product carbon footprint bundled for {what} "
                    f"{model!r}; the stated default {gpu_preset.factor.value:g} kgCO2e/GPU with "
                    f"a wider range ({gpu_preset.factor.low:g}..{gpu_preset.factor.high:g}) is "
                    f"used{others}"
                )
        else:
            gpu_preset = embodied.GPU_PRESETS[embodied.DEFAULT_GPU_PRESET]
        factors[embodied.GPU] = gpu_preset.factor
        boundary = gpu_preset.boundary
    factors[embodied.HOST] = (
        embodied.user_kg(embodied.HOST, settings.embodied_kg_per_host, "embodied_kg_per_host")
        if settings.embodied_kg_per_host is not None
        else embodied.HOST_DEFAULT
    )
    factors[embodied.LIFETIME] = (
        embodied.user_lifetime(settings.lifetime_years)
        if settings.lifetime_years is not None
        else embodied.LIFETIME_DEFAULT
    )
    method = settings.embodied_method or "bloom"
    if method == "sci":
        factors[embodied.UTILIZATION] = Factor.exact_value(
            embodied.UTILIZATION,
            1.0,
            "fraction",
            "SCI time-share (embodied_method sci): the share is the time reserved over the "
            "expected lifespan, with no utilization adjustment (ISO/IEC 21031:2024, M = TE × "
            "TiR / EL × RR / TR)",
        )
    else:
        factors[embodied.UTILIZATION] = (
            embodied.user_utilization(settings.utilization)
            if settings.utilization is not None
            else embodied.UTILIZATION_DEFAULT
        )

    # transmission and distribution losses (scope 3 cat. 3 when counted; default 0)
    if settings.grid_loss:
        factors[GRID_LOSS] = Factor.exact_value(
            GRID_LOSS,
            settings.grid_loss,
            "fraction",
            f"user-supplied (grid_loss); emissions ÷ (1 − loss). {GRID_LOSS_SOURCE}",
        )
    else:
        factors[GRID_LOSS] = Factor.exact_value(GRID_LOSS, 0.0, "fraction", GRID_LOSS_SOURCE)

    # scope 2 market-based (only with a contractual instrument)
    instrument: str | None = None
    if settings.market_factor is not None:
        factors[MARKET] = Factor.exact_value(
            MARKET,
            settings.market_factor,
            carbon_intensity.UNIT,
            "user-supplied (market_factor): emission factor of the contractual instruments",
        )
        instrument = f"market_factor {settings.market_factor:g} gCO2e/kWh"
    elif settings.renewable_share is not None:
        if settings.residual_mix is None:
            raise InputError(
                "`renewable_share`: needs `residual_mix` G_PER_KWH (no residual-mix factor is "
                "bundled: use your supplier's or AIB's European Residual Mix / Green-e's figure)"
            )
        value = (1.0 - settings.renewable_share) * settings.residual_mix
        factors[MARKET] = Factor.exact_value(
            MARKET,
            value,
            carbon_intensity.UNIT,
            f"user-supplied: (1 − renewable_share {settings.renewable_share:g}) × "
            f"residual_mix {settings.residual_mix:g} gCO2e/kWh (certificates at 0)",
        )
        instrument = (
            f"renewable_share {settings.renewable_share:g} with residual_mix "
            f"{settings.residual_mix:g} gCO2e/kWh"
        )

    # one dollar year for every money factor
    target = settings.dollar_year or DEFAULT_DOLLAR_YEAR
    for name in (electricity_price.NAME, scc.NAME, water.PRICE):
        factors[name] = _in_dollar_year(factors[name], target)
    return FactorSet(
        MappingProxyType(factors),
        location,
        scc_preset,
        dollar_year,
        year,
        f"GPU: {boundary}; host: server without GPUs",
        series,
        dollar_year=target,
        embodied_method=method,
        market_instrument=instrument,
        gpu_model=gpu_model,
        notes=tuple(notes),
        water_basis=basis,
    )


def _in_dollar_year(factor: Factor, target: int) -> Factor:
    """The factor in ``target`` USD (CPI-U ratio); a user's own value is taken as given in it."""
    if factor.dollar_year is None:
        return dataclasses.replace(
            factor, source=f"{factor.source}; taken as {target} USD", dollar_year=target
        )
    if factor.dollar_year == target:
        return dataclasses.replace(factor, dollar_year=target)
    m = multiplier(factor.dollar_year, target)
    return dataclasses.replace(
        factor,
        value=factor.value * m,
        low=factor.low * m,
        high=factor.high * m,
        source=f"{factor.source}; converted from {factor.value:g} {factor.dollar_year} USD to "
        f"{target} USD × {m:.4f} ({DEFLATOR_SOURCE}, {factor.dollar_year}→{target})",
        dollar_year=target,
    )


def _series_factor(series: IntensitySeries, segments: Segments | None) -> Factor:
    """The energy-weighted mean intensity of the series over the run's segments."""
    if segments is None or len(segments.kwh) == 0:
        raise InputError(
            "`intensity_csv`: a time series needs a measured run with energy segments "
            "(use `intensity_g_per_kwh` for an estimate)"
        )
    start, end = segments.span_s
    series.check_covers(start, end)
    total = segments.total_kwh
    if total > 0:
        effective = series.carbon_g(segments.start_s, segments.end_s, segments.kwh) / total
    else:
        effective = float(series.mean_over(np.array([start]), np.array([end]))[0])
    factor = Factor.relative(
        carbon_intensity.NAME,
        effective,
        carbon_intensity.UNIT,
        SERIES_REL_RANGE,
        f"user series {series.path}: energy-weighted mean over {len(segments.kwh)} energy "
        f"segments (each charged at the intensity of the intervals it overlaps); range ±10 % "
        "(ecoledger assumption); boundary: unknown (as the series' source states it)",
    )
    return dataclasses.replace(factor, boundary=carbon_intensity.UNKNOWN)
