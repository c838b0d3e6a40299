"""Issue 15: a project's interval is one joint Monte Carlo, not the sum of the runs' percentiles."""

from __future__ import annotations

import pytest

from accounting.assessment import AssumptionSettings, Member, assess, joint_intervals
from accounting.assessment.factor_set import ENERGY, resolve_factors
from accounting.assessment.quantities import Quantities
from accounting.factors.factor import Factor

ENERGIES_KWH = (120.0, 300.0, 45.0)
SETTINGS = AssumptionSettings(draws=5000)


def _project(energy: Factor) -> tuple[float, float]:
    """(joint p95 − p05, Σ of the runs' own p95 − p05) of the net benefit."""
    members, widths = [], 0.0
    for i, kwh in enumerate(ENERGIES_KWH):
        fs = resolve_factors(SETTINGS, energy=energy)
        q = Quantities(energy_it_kwh=kwh, gpu_hours=kwh / 0.3, host_hours=kwh / 2.4)
        run_id = f"run-{i}"
        a = assess(q, fs, SETTINGS, run_id=run_id)
        widths += a.interval.p95 - a.interval.p05
        members.append(Member(run_id, q, fs))
    joint = joint_intervals(members, SETTINGS)["net_benefit"]
    return joint.p95 - joint.p05, widths


def test_three_runs_joint_interval_is_narrower_than_the_sum_of_widths():
    measured = Factor.relative(ENERGY, 1.0, "× IT energy", 0.3, "test: ±30 % estimates")
    joint, summed = _project(measured)
    assert joint < summed


def test_why_only_the_independent_measurement_errors_narrow_it():
    # With exact energy, every remaining factor is the same draw for the three runs (one SCC,
    # one price, one PUE, one grid): the runs' net benefits move together, percentiles of
    # comonotone sums add up, and the joint width equals the sum of widths. The narrowing above
    # comes only from the runs' independent measurement errors partly cancelling.
    exact = Factor.exact_value(ENERGY, 1.0, "× IT energy", "test: exact")
    joint, summed = _project(exact)
    assert joint == pytest.approx(summed, rel=1e-6)


def test_joint_interval_holds_the_sum_of_central_values():
    measured = Factor.relative(ENERGY, 1.0, "× IT energy", 0.3, "test: ±30 % estimates")
    members, central = [], 0.0
    for i, kwh in enumerate(ENERGIES_KWH):
        fs = resolve_factors(SETTINGS, energy=measured)
        q = Quantities(energy_it_kwh=kwh, gpu_hours=kwh / 0.3, host_hours=kwh / 2.4)
        central += assess(q, fs, SETTINGS, run_id=f"run-{i}").operational_kgco2e
        members.append(Member(f"run-{i}", q, fs))
    iv = joint_intervals(members, SETTINGS)["operational_kgco2e"]
    assert iv.p05 <= central <= iv.p95
