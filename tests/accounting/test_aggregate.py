"""Issue 16: one rule for totals over runs, ``accounting.assessment.aggregate``.

The runs' terms are set by hand (round numbers on a real assessment), so every expected
value below is worked out by hand in the comments, never by a copy of the rule.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from accounting.assessment import (
    AssumptionSettings,
    aggregate,
    assess,
    own_money,
)
from accounting.assessment.factor_set import resolve_factors
from accounting.assessment.quantities import Quantities
from accounting.assessment.result import Assessment

SETTINGS = AssumptionSettings(draws=200)


def _real(run_id: str, kwh: float) -> Assessment:
    q = Quantities(energy_it_kwh=kwh, gpu_hours=kwh / 0.3, host_hours=kwh / 2.4)
    return assess(q, resolve_factors(SETTINGS), SETTINGS, run_id=run_id)


def _run(
    run_id: str, terms: dict[str, float], amortized: dict[str, float] | None = None
) -> Assessment:
    base = _real(run_id, 10.0)
    shares = {"energy_cost": 0.0, "carbon_cost": 0.0, "secondary_cost": 0.0, **(amortized or {})}
    amortization = dataclasses.replace(base.amortization, **shares)
    return dataclasses.replace(base, **terms, amortization=amortization)


TRAINING = {
    "energy_it_kwh": 100.0,
    "energy_facility_kwh": 120.0,
    "operational_kgco2e": 40.0,
    "embodied_kgco2e": 5.0,
    "water_onsite_l": 10.0,
    "water_offsite_l": 20.0,
    "water_l": 30.0,
    "energy_cost": 12.0,
    "carbon_cost": 8.0,
    "secondary_cost": 2.0,
    "social_benefit": 50.0,
    "environmental_benefit": 0.0,
    "net_benefit": 28.0,  # 50 − 12 − 8 − 2
}
# an inference run whose money carries 10 % of the training run's costs (1.2, 0.8, 0.2)
INFERENCE = {
    "energy_it_kwh": 1.0,
    "energy_facility_kwh": 1.2,
    "operational_kgco2e": 0.4,
    "embodied_kgco2e": 0.05,
    "water_onsite_l": 0.1,
    "water_offsite_l": 0.2,
    "water_l": 0.3,
    "energy_cost": 0.12 + 1.2,
    "carbon_cost": 0.08 + 0.8,
    "secondary_cost": 0.02 + 0.2,
    "social_benefit": 5.0,
    "environmental_benefit": 1.0,
    "net_benefit": 6.0 - 0.22 - 2.2,  # 6 − own 0.22 − amortized 2.2
}
SHARE = {"energy_cost": 1.2, "carbon_cost": 0.8, "secondary_cost": 0.2}


def test_amortized_training_share_is_counted_once() -> None:
    totals = aggregate([_run("t", TRAINING), _run("i", INFERENCE, SHARE)])
    assert totals.runs == 2
    assert totals.energy_it_kwh == pytest.approx(101.0)
    assert totals.energy_facility_kwh == pytest.approx(121.2)
    assert totals.water_l == pytest.approx(30.3)
    assert totals.energy_cost == pytest.approx(12.12)  # 12 + 0.12, not 12 + 1.32
    assert totals.carbon_cost == pytest.approx(8.08)
    assert totals.secondary_cost == pytest.approx(2.02)
    assert totals.social_benefit == pytest.approx(55.0)
    assert totals.environmental_benefit == pytest.approx(1.0)
    assert totals.net_benefit == pytest.approx(33.78)  # 56 − 12.12 − 8.08 − 2.02
    assert totals.pue == pytest.approx(1.2)


def test_own_money_takes_out_the_share_and_gives_it_back_to_net() -> None:
    money = own_money(_run("i", INFERENCE, SHARE))
    assert money["energy_cost"] == pytest.approx(0.12)
    assert money["carbon_cost"] == pytest.approx(0.08)
    assert money["secondary_cost"] == pytest.approx(0.02)
    assert money["net_benefit"] == pytest.approx(5.78)  # 6 − 0.22


def test_a_term_not_estimated_adds_nothing_and_has_no_interval() -> None:
    broken = dataclasses.replace(
        _run("t", {**TRAINING, "embodied_kgco2e": math.nan}),
        not_estimated={"embodied_kgco2e": "no device-hours"},
    )
    totals = aggregate([broken, _run("i", INFERENCE, SHARE)])
    assert totals.embodied_kgco2e == pytest.approx(0.05)
    assert totals.percentile("embodied_kgco2e", "p05") is None
    assert totals.not_estimated == {"embodied_kgco2e": "no device-hours"}


def test_joint_interval_only_when_every_run_kept_its_inputs() -> None:
    with_inputs = [_real("a", 10.0), _real("b", 20.0)]
    totals = aggregate(with_inputs)
    p05, p95 = totals.net_benefit_p05, totals.net_benefit_p95
    assert p05 is not None and p95 is not None and p05 <= p95
    one_without = [with_inputs[0], dataclasses.replace(with_inputs[1], inputs=None)]
    assert aggregate(one_without).net_benefit_p05 is None


def test_non_finite_percentile_is_missing_not_nan() -> None:
    totals = aggregate([_real("a", 10.0)])
    nan = dataclasses.replace(totals.intervals["net_benefit"], p05=math.nan)
    broken = dataclasses.replace(totals, intervals={**totals.intervals, "net_benefit": nan})
    assert broken.net_benefit_p05 is None
    assert broken.net_benefit_p95 is not None


def test_no_runs_is_zero() -> None:
    totals = aggregate([])
    assert totals.runs == 0
    assert totals.net_benefit == 0.0
    assert totals.pue is None
    assert totals.net_benefit_p05 is None
