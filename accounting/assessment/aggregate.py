"""Totals over several runs (a project, or the dashboard's selection): the one rule.

Each physical quantity and each money term is the sum of the runs' own terms. An inference
run's money carries its share of the training run it amortizes (:class:`Amortization`); summing
runs, that share is taken out again (and given back to its net benefit) so that a training run
is never counted twice. A term a run could not estimate (``Assessment.not_estimated``) adds
nothing. The interval is one joint Monte Carlo over the runs (:mod:`.project`), never a sum of
percentiles; it exists only when every run kept its inputs, and a percentile that is not finite
is missing (None), never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounting.assessment.monte_carlo import Interval
from accounting.assessment.project import Member, joint_intervals
from accounting.assessment.result import ADDITIVE, MONEY, AdditiveTerms, Assessment
from accounting.assessment.settings import AssumptionSettings

AMORTIZED_COSTS = ("energy_cost", "carbon_cost", "secondary_cost")


def own_terms(assessment: Assessment) -> dict[str, float]:
    """The run's additive terms without the amortized share of its training run.

    A term the run could not estimate is 0 here (it adds nothing to a sum)."""
    out = {
        key: 0.0 if key in assessment.not_estimated else float(getattr(assessment, key))
        for key in ADDITIVE
    }
    taken = 0.0
    for key in AMORTIZED_COSTS:
        share = float(getattr(assessment.amortization, key))
        out[key] -= share
        taken += share
    out["net_benefit"] += taken
    return out


def own_money(assessment: Assessment) -> dict[str, float]:
    """The run's money terms (:data:`MONEY`) without its amortized training share."""
    terms = own_terms(assessment)
    return {key: terms[key] for key in MONEY}


@dataclass(frozen=True)
class Totals(AdditiveTerms):
    """The sums of the runs' own terms, and their joint interval."""

    runs: int
    currency: str = "USD"
    money_unit: str = "USD"
    """The currency with its dollar year (``2024 USD``), as every amount is printed."""
    intervals: Mapping[str, Interval] = field(default_factory=dict)
    """Joint p05/p50/p95 of :data:`.project.JOINT_KEYS`; empty when a run lacks its inputs."""
    not_estimated: Mapping[str, str] = field(default_factory=dict)
    """Keys some run could not estimate → the reason."""

    @property
    def pue(self) -> float | None:
        """Facility over IT energy; None with no IT energy."""
        return self.energy_facility_kwh / self.energy_it_kwh if self.energy_it_kwh else None

    def percentile(self, key: str, p: str) -> float | None:
        """``percentile("net_benefit", "p05")``; None when not drawn, not finite, or not
        estimated by some run."""
        interval = self.intervals.get(key)
        if interval is None or key in self.not_estimated:
            return None
        value = float(getattr(interval, p))
        return value if math.isfinite(value) else None

    @property
    def net_benefit_p05(self) -> float | None:
        return self.percentile("net_benefit", "p05")

    @property
    def net_benefit_p50(self) -> float | None:
        return self.percentile("net_benefit", "p50")

    @property
    def net_benefit_p95(self) -> float | None:
        return self.percentile("net_benefit", "p95")

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            **{key: getattr(self, key) for key in ADDITIVE},
            "pue": self.pue,
            "currency": self.currency,
            "money_unit": self.money_unit,
            "net_benefit_p05": self.net_benefit_p05,
            "net_benefit_p50": self.net_benefit_p50,
            "net_benefit_p95": self.net_benefit_p95,
        }


def aggregate(
    assessments: Sequence[Assessment], settings: AssumptionSettings | None = None
) -> Totals:
    """The totals of ``assessments`` (one per run), by the rule in this module's docstring.

    ``settings`` gives the joint draws' count and seed (default: the first run's settings)."""
    items = list(assessments)
    sums = dict.fromkeys(ADDITIVE, 0.0)
    missing: dict[str, str] = {}
    for a in items:
        missing.update(a.not_estimated)
        for key, value in own_terms(a).items():
            sums[key] += value
    intervals: Mapping[str, Interval] = {}
    if items and all(a.inputs is not None for a in items):
        members = [Member(a.run_id or "", *a.inputs) for a in items]
        intervals = joint_intervals(members, settings or items[0].settings)
    first = items[0] if items else None
    return Totals(
        runs=len(items),
        **sums,
        currency=first.currency if first else "USD",
        money_unit=first.money_unit if first else "USD",
        intervals=intervals,
        not_estimated=missing,
    )
