"""The frozen result of an assessment and its stable JSON form.

Money is in USD as unrounded floats (rounded only for display, to cents, half-even); the
SCC's dollar year is kept beside it. ``to_json()`` keeps the stable keys of the CLI contract.
Physical keys (``energy_it_kwh``, ``operational_kgco2e``...) are the subject's own; for an
inference run that amortizes a training run, the money keys also include the training run's
amortized share (shown as separate lines and in ``amortization``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from accounting.assessment.monte_carlo import Interval
from accounting.assessment.settings import AssumptionSettings
from accounting.entries import Assumptions
from accounting.factors.deflator import DEFAULT_DOLLAR_YEAR
from accounting.factors.factor import Factor
from accounting.factors.water import MEASURE as WATER_MEASURE
from accounting.factors.water import WaterBasis

CURRENCY = "USD"


@dataclass(frozen=True)
class Line:
    """One term of the identity: a physical quantity, its money, formula and sources."""

    key: str
    term: str
    """Which money key it adds to: energy_cost, carbon_cost, secondary_cost, social_benefit,
    environmental_benefit (or "" for a physical-only line)."""
    label: str
    quantity: float | None
    unit: str
    money: float
    formula: str
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "term": self.term,
            "label": self.label,
            "quantity": self.quantity,
            "unit": self.unit,
            "money": self.money,
            "currency": CURRENCY,
            "formula": self.formula,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Sensitivity:
    factor: str
    swing: float
    """|net at high − net at low|, USD, every other factor at its value."""
    net_at_low: float
    net_at_high: float
    low: float
    high: float
    unit: str

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "swing": self.swing,
            "net_at_low": self.net_at_low,
            "net_at_high": self.net_at_high,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class RankedSwing:
    """One factor's swing of the chosen output (``--sensitivity-of``), others at their values."""

    factor: str
    swing: float
    at_low: float
    at_high: float
    output: str

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "swing": self.swing,
            "at_low": self.at_low,
            "at_high": self.at_high,
            "output": self.output,
        }


@dataclass(frozen=True)
class SccScenario:
    """The result at another discount rate of the same SCC source (a value choice, not a draw)."""

    preset: str
    discount_rate: str
    usd_per_t: float
    """In the assessment's dollar year."""
    net_benefit: float

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "discount_rate": self.discount_rate,
            "usd_per_t": self.usd_per_t,
            "net_benefit": self.net_benefit,
        }


@dataclass(frozen=True)
class Sci:
    """Software Carbon Intensity (ISO/IEC 21031:2024): (E × I + M) / R in gCO2e per unit."""

    gco2e_per_unit: float | None
    unit: str | None
    operational_g: float
    """E × I (location-based), including an amortized training share."""
    embodied_g: float
    """M by time-share (no utilization adjustment), including an amortized training share."""
    units: int
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "gco2e_per_unit": self.gco2e_per_unit,
            "unit": self.unit,
            "operational_g": self.operational_g,
            "embodied_g": self.embodied_g,
            "units": self.units,
            "formula": "SCI = (E × I + M) / R; M = device-hours × kg / (lifetime × 8760 h)",
        }


NO_SCI = Sci(None, None, 0.0, 0.0, 0, "")


@dataclass(frozen=True)
class Counterfactual:
    where: str
    kind: str
    """actual | country | cloud | start_hour"""
    intensity_g_per_kwh: float
    operational_kgco2e: float
    carbon_cost: float
    saving_kgco2e: float
    saving_usd: float

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "kind": self.kind,
            "intensity_g_per_kwh": self.intensity_g_per_kwh,
            "operational_kgco2e": self.operational_kgco2e,
            "carbon_cost": self.carbon_cost,
            "saving_kgco2e": self.saving_kgco2e,
            "saving_usd": self.saving_usd,
        }


@dataclass(frozen=True)
class Amortization:
    """A training run's costs spread over the expected number of uses of its model."""

    parent_run_id: str | None
    expected_uses: int | None
    uses: int
    use_unit: str
    share: float
    """uses / expected_uses: the fraction of the training cost this run carries."""
    training_cost: float | None
    training_cost_per_use: float | None
    own_cost_per_use: float | None
    cost_per_use: float | None
    energy_cost: float = 0.0
    carbon_cost: float = 0.0
    secondary_cost: float = 0.0
    energy_facility_kwh: float = 0.0
    operational_kgco2e: float = 0.0
    embodied_kgco2e: float = 0.0
    water_l: float = 0.0
    note: str = ""

    @property
    def applied(self) -> bool:
        return self.parent_run_id is not None and self.share > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "parent_run_id": self.parent_run_id,
            "expected_uses": self.expected_uses,
            "uses": self.uses,
            "use_unit": self.use_unit,
            "share": self.share,
            "training_cost": self.training_cost,
            "training_cost_per_use": self.training_cost_per_use,
            "own_cost_per_use": self.own_cost_per_use,
            "cost_per_use": self.cost_per_use,
            "amortized": {
                "energy_cost": self.energy_cost,
                "carbon_cost": self.carbon_cost,
                "secondary_cost": self.secondary_cost,
                "energy_facility_kwh": self.energy_facility_kwh,
                "operational_kgco2e": self.operational_kgco2e,
                "embodied_kgco2e": self.embodied_kgco2e,
                "water_l": self.water_l,
            },
            "note": self.note,
        }


@dataclass(frozen=True)
class BreakEven:
    """net(n) = −fixed_cost + n × (benefit_per_use − cost_per_use)."""

    uses: int | None
    """Smallest n with net(n) ≥ 0; 0 when already there; None when never (or unknown)."""
    status: str
    """reached | already_positive | never | no_per_use_benefit"""
    fixed_cost: float
    benefit_per_use: float | None
    cost_per_use: float
    use_unit: str

    @property
    def margin_per_use(self) -> float | None:
        if self.benefit_per_use is None:
            return None
        return self.benefit_per_use - self.cost_per_use

    def net_benefit_at(self, uses: float) -> float:
        margin = self.margin_per_use
        return -self.fixed_cost + uses * (margin if margin is not None else -self.cost_per_use)

    def curve(self, max_uses: int | None = None, points: int = 50) -> list[tuple[float, float]]:
        """(uses, net benefit) points for a break-even chart."""
        top = max_uses or max(10, 2 * (self.uses or 0)) or 10
        step = top / max(1, points - 1)
        return [(i * step, self.net_benefit_at(i * step)) for i in range(points)]

    def to_json(self) -> dict[str, Any]:
        return {
            "uses": self.uses,
            "status": self.status,
            "fixed_cost": self.fixed_cost,
            "benefit_per_use": self.benefit_per_use,
            "cost_per_use": self.cost_per_use,
            "margin_per_use": self.margin_per_use,
            "use_unit": self.use_unit,
            "formula": "smallest n ≥ 0 with −fixed_cost + n × (benefit_per_use − cost_per_use) ≥ 0",
        }


@dataclass(frozen=True)
class AdditiveTerms:
    """The terms that add up over runs, in the order of ``ecoledger assess --json``: shared by
    one run's :class:`Assessment` and the totals over several runs (``aggregate.Totals``)."""

    energy_it_kwh: float
    energy_facility_kwh: float
    operational_kgco2e: float
    embodied_kgco2e: float
    water_onsite_l: float
    water_offsite_l: float
    water_l: float
    energy_cost: float
    carbon_cost: float
    secondary_cost: float
    social_benefit: float
    environmental_benefit: float
    net_benefit: float


ADDITIVE = tuple(f.name for f in fields(AdditiveTerms))
"""The names of :class:`AdditiveTerms`' fields, in order."""
PHYSICAL = ADDITIVE[: ADDITIVE.index("energy_cost")]
"""The physical quantities among them (energy_it_kwh ... water_l)."""
MONEY = ADDITIVE[len(PHYSICAL) :]
"""The money terms among them (energy_cost ... net_benefit)."""


@dataclass(frozen=True)
class Assessment(AdditiveTerms):
    subject: str
    """``run <id>`` or ``estimate``."""
    run_id: str | None
    pue: float
    interval: Interval
    break_even: BreakEven
    amortization: Amortization
    lines: tuple[Line, ...]
    factors: tuple[Factor, ...]
    sensitivity: tuple[Sensitivity, ...]
    counterfactuals: tuple[Counterfactual, ...]
    location: str
    emission_year: int
    scc_preset: str | None
    scc_dollar_year: int | None
    gpu_hours: float
    host_hours: float
    boundary: str
    settings: AssumptionSettings
    notes: tuple[str, ...] = ()
    currency: str = CURRENCY
    parent: Assessment | None = field(default=None, repr=False, compare=False)
    quantity_intervals: Mapping[str, Interval] = field(default_factory=dict)
    """p05/p50/p95 of energy_facility_kwh, operational_kgco2e, embodied_kgco2e, water_l."""
    dollar_year: int = DEFAULT_DOLLAR_YEAR
    scc_scenarios: tuple[SccScenario, ...] = ()
    sensitivity_of: str = "operational_kgco2e"
    sensitivity_ranking: tuple[RankedSwing, ...] = ()
    not_estimated: Mapping[str, str] = field(default_factory=dict)
    """Keys that could not be estimated → the reason (JSON null, reports 'not estimated')."""
    scope2_method: str = "location-based"
    operational_market_kgco2e: float | None = None
    market_instrument: str | None = None
    sci: Sci = NO_SCI
    embodied_method: str = "bloom"
    gpu_model: str | None = None
    water_basis: WaterBasis | None = None
    """Which water figures were used (per-location, national, U.S. stand-in, user, preset)."""
    inputs: Any = field(default=None, repr=False, compare=False)
    """(Quantities, FactorSet) the assessment was computed from: for a project's joint draws."""

    @property
    def money_unit(self) -> str:
        """``2024 USD``: the currency with its dollar year, for every printed amount."""
        return f"{self.dollar_year} {self.currency}"

    @property
    def break_even_uses(self) -> int | None:
        return self.break_even.uses

    @property
    def net_benefit_p05(self) -> float | None:
        """The interval's p05; None when not finite (as in ``to_json``)."""
        return self.interval.p05 if math.isfinite(self.interval.p05) else None

    @property
    def net_benefit_p95(self) -> float | None:
        return self.interval.p95 if math.isfinite(self.interval.p95) else None

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)

    def to_assumptions_entry(self, run_id: str, label: str = "assess") -> Assumptions:
        """The factor set used, as a ledger entry that lets a report be reproduced."""
        return Assumptions(
            run_id=run_id,
            label=label,
            factors=tuple(f.to_record() for f in self.factors),
            settings_json=self.settings.to_json_text(),
        )

    def to_json(self) -> dict[str, Any]:
        def num(value: float) -> float | None:
            return value if math.isfinite(value) else None

        intervals: dict[str, float | None] = {}
        for key, iv in self.quantity_intervals.items():
            missing = key in self.not_estimated
            intervals[f"{key}_p05"] = None if missing else num(iv.p05)
            intervals[f"{key}_p50"] = None if missing else num(iv.p50)
            intervals[f"{key}_p95"] = None if missing else num(iv.p95)
        out = self._json(num)
        out.update(intervals)
        for key in self.not_estimated:
            out[key] = None
        return out

    def _json(self, num: Any) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "run_id": self.run_id,
            "energy_it_kwh": self.energy_it_kwh,
            "pue": self.pue,
            "energy_facility_kwh": self.energy_facility_kwh,
            "operational_kgco2e": self.operational_kgco2e,
            "embodied_kgco2e": self.embodied_kgco2e,
            "water_onsite_l": self.water_onsite_l,
            "water_offsite_l": self.water_offsite_l,
            "water_l": self.water_l,
            "energy_cost": self.energy_cost,
            "carbon_cost": self.carbon_cost,
            "secondary_cost": self.secondary_cost,
            "social_benefit": self.social_benefit,
            "environmental_benefit": self.environmental_benefit,
            "net_benefit": self.net_benefit,
            "currency": self.currency,
            "net_benefit_p05": num(self.interval.p05),
            "net_benefit_p50": num(self.interval.p50),
            "net_benefit_p95": num(self.interval.p95),
            "break_even_uses": self.break_even.uses,
            "assumptions": {f.name: f.to_json() for f in self.factors},
            "sensitivity": [s.to_json() for s in self.sensitivity],
            "counterfactuals": [c.to_json() for c in self.counterfactuals],
            # beyond the stable keys
            "location": self.location,
            "emission_year": self.emission_year,
            "scc_preset": self.scc_preset,
            "scc_dollar_year": self.scc_dollar_year,
            "gpu_hours": self.gpu_hours,
            "host_hours": self.host_hours,
            "embodied_boundary": self.boundary,
            "interval": self.interval.to_json(),
            "break_even": self.break_even.to_json(),
            "amortization": self.amortization.to_json(),
            "lines": [line.to_json() for line in self.lines],
            "notes": list(self.notes),
            "settings": self.settings.chosen(),
            "dollar_year": self.dollar_year,
            "money_unit": self.money_unit,
            "scc_scenarios": [sc.to_json() for sc in self.scc_scenarios],
            "sensitivity_of": self.sensitivity_of,
            "sensitivity_ranking": [r.to_json() for r in self.sensitivity_ranking],
            "not_estimated": dict(self.not_estimated),
            "scope2_method": self.scope2_method,
            "operational_location_kgco2e": self.operational_kgco2e,
            "operational_market_kgco2e": self.operational_market_kgco2e,
            "market_instrument": self.market_instrument,
            "sci_gco2e_per_unit": self.sci.gco2e_per_unit,
            "sci_unit": self.sci.unit,
            "sci": self.sci.to_json(),
            "embodied_method": self.embodied_method,
            "gpu_model": self.gpu_model,
            "water_measure": WATER_MEASURE,
            "water_basis": self.water_basis.tier if self.water_basis else None,
            "water_basis_place": self.water_basis.place if self.water_basis else None,
            "water_basis_label": self.water_basis.label if self.water_basis else None,
        }
