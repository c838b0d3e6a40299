"""The net-benefit assessment: a pure function of entries and assumptions → :class:`Assessment`.

net_benefit = social + environmental − energy_cost − carbon_cost − secondary_cost
"""

from accounting.assessment.aggregate import Totals, aggregate, own_money
from accounting.assessment.engine import assess
from accounting.assessment.estimate import EstimateInputs, estimate
from accounting.assessment.project import Member, joint_intervals
from accounting.assessment.result import (
    Amortization,
    Assessment,
    BreakEven,
    Counterfactual,
    Line,
    Sensitivity,
)
from accounting.assessment.run import assess_run
from accounting.assessment.settings import AssumptionSettings

__all__ = [
    "Amortization",
    "Assessment",
    "AssumptionSettings",
    "BreakEven",
    "Counterfactual",
    "EstimateInputs",
    "Line",
    "Member",
    "Sensitivity",
    "Totals",
    "aggregate",
    "assess",
    "assess_run",
    "estimate",
    "joint_intervals",
    "own_money",
]
