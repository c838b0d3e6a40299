"""Project totals as one joint Monte Carlo over the project's runs (never a sum of percentiles).

Each run is re-evaluated on the same draws: a factor shared by several runs (one SCC, one
electricity price, one PUE per facility, one intensity per grid) is one draw for all of them,
so those uncertainties add up fully; each run's own energy measurement is an independent draw,
so those errors partly cancel. The sum of the runs' percentiles would treat every uncertainty
as shared and overstate the spread; the joint interval is the percentile of the sum.

The project's net benefit counts each run's own terms only: an inference run's amortized share
of a training run is left out, as the project totals do (the training run is counted itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from accounting.assessment import monte_carlo
from accounting.assessment.factor_set import ENERGY, FactorSet
from accounting.assessment.formulas import evaluate
from accounting.assessment.quantities import Quantities
from accounting.assessment.settings import AssumptionSettings

JOINT_KEYS = (
    "net_benefit",
    "energy_facility_kwh",
    "operational_kgco2e",
    "embodied_kgco2e",
    "water_l",
)
METHOD = (
    "one joint Monte Carlo over the project's runs: shared factors drawn once for all runs, "
    "each run's energy measurement drawn independently"
)


@dataclass(frozen=True)
class Member:
    """One run of the project: its quantities and factors, keyed by its run id."""

    run_id: str
    quantities: Quantities
    factors: FactorSet


def joint_intervals(
    members: Sequence[Member], settings: AssumptionSettings | None = None
) -> dict[str, monte_carlo.Interval]:
    """p05/p50/p95 of the project's sums of :data:`JOINT_KEYS`, drawn jointly."""
    s = settings or AssumptionSettings()
    n, seed = s.draws, s.seed
    sums = {key: np.zeros(n) for key in JOINT_KEYS}
    centrals = dict.fromkeys(JOINT_KEYS, 0.0)
    for m in members:
        draws = monte_carlo.draw(
            m.factors.factors, n, seed, per_run=frozenset({ENERGY}), run_tag=m.run_id
        )
        terms = evaluate(m.quantities, draws)
        central = evaluate(m.quantities, m.factors.values())
        for key in JOINT_KEYS:
            sums[key] = sums[key] + np.asarray(getattr(terms, key), dtype=float)
            centrals[key] += float(getattr(central, key))
    return {
        key: replace(monte_carlo.interval(sums[key], seed, centrals[key]), method=METHOD)
        for key in JOINT_KEYS
    }
