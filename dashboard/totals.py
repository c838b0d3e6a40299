"""Totals over a selection of runs, from their assessments (the overview's numbers).

Each physical quantity and each money term is the sum of the runs' own ``ecoledger assess``
values. An inference run's money includes its share of the training run it amortizes; when
summing runs, that share is taken out again so that no training cost is counted twice.
The interval is the sum of the runs' p05 and of their p95: the assessment draws each factor
from one stream per factor name, so the runs' uncertainties move together and their
percentiles add (exactly when the runs are comonotonic, approximately otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from accounting.assessment import Assessment

PHYSICAL = (
    "energy_it_kwh",
    "energy_facility_kwh",
    "operational_kgco2e",
    "embodied_kgco2e",
    "water_l",
)
MONEY = (
    "energy_cost",
    "carbon_cost",
    "secondary_cost",
    "social_benefit",
    "environmental_benefit",
    "net_benefit",
)
AMORTIZED_COSTS = ("energy_cost", "carbon_cost", "secondary_cost")


@dataclass(frozen=True)
class Totals:
    runs: int
    energy_it_kwh: float
    energy_facility_kwh: float
    operational_kgco2e: float
    embodied_kgco2e: float
    water_l: float
    energy_cost: float
    carbon_cost: float
    secondary_cost: float
    social_benefit: float
    environmental_benefit: float
    net_benefit: float
    net_benefit_p05: float | None
    net_benefit_p95: float | None
    currency: str = "USD"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def own_money(assessment: Assessment) -> dict[str, float]:
    """The run's money terms without the amortized share of its training run."""
    a = assessment.amortization
    out = {key: float(getattr(assessment, key)) for key in MONEY}
    taken = 0.0
    for key in AMORTIZED_COSTS:
        share = float(getattr(a, key))
        out[key] -= share
        taken += share
    out["net_benefit"] += taken
    return out


def total(assessments: Iterable[Assessment]) -> Totals:
    items = list(assessments)
    sums = dict.fromkeys(PHYSICAL + MONEY, 0.0)
    p05: float | None = 0.0
    p95: float | None = 0.0
    currency = "USD"
    for a in items:
        currency = a.currency
        for key in PHYSICAL:
            sums[key] += float(getattr(a, key))
        money = own_money(a)
        for key in MONEY:
            sums[key] += money[key]
        taken = money["net_benefit"] - a.net_benefit
        if p05 is not None and p95 is not None and _finite(a.interval.p05, a.interval.p95):
            p05 += a.interval.p05 + taken
            p95 += a.interval.p95 + taken
        else:
            p05 = p95 = None
    return Totals(len(items), **sums, net_benefit_p05=p05, net_benefit_p95=p95, currency=currency)


def _finite(*values: float) -> bool:
    return all(v == v and abs(v) != float("inf") for v in values)
