"""Totals over a selection of runs, from their assessments (the overview's numbers).

Each physical quantity and each money term is the sum of the runs' own ``ecoledger assess``
values. An inference run's money includes its share of the training run it amortizes; when
summing runs, that share is taken out again so that no training cost is counted twice.
The interval is one joint Monte Carlo over the selected runs
(:func:`accounting.assessment.joint_intervals`): shared factors are one draw for all runs,
each run's energy measurement its own; percentiles are never summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from accounting.assessment import Assessment, Member, joint_intervals

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
    currency = "USD"
    for a in items:
        currency = a.money_unit
        for key in PHYSICAL:
            sums[key] += float(getattr(a, key))
        money = own_money(a)
        for key in MONEY:
            sums[key] += money[key]
    p05: float | None = None
    p95: float | None = None
    members = [Member(a.run_id or "", *a.inputs) for a in items if a.inputs is not None]
    if members and len(members) == len(items):
        joint = joint_intervals(members, items[0].settings)["net_benefit"]
        if _finite(joint.p05, joint.p95):
            p05, p95 = joint.p05, joint.p95
    return Totals(len(items), **sums, net_benefit_p05=p05, net_benefit_p95=p95, currency=currency)


def _finite(*values: float) -> bool:
    return all(v == v and abs(v) != float("inf") for v in values)
