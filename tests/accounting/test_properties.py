"""Property tests: the interval holds the central value and narrows with the ranges; the
identity holds exactly for central values."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting.assessment import AssumptionSettings, assess
from accounting.assessment.factor_set import resolve_factors
from accounting.assessment.quantities import Quantities
from accounting.factors.factor import Factor

DRAWS = 2000
RANGED = (
    "energy_measurement",
    "carbon_intensity",
    "pue",
    "electricity_price",
    "social_cost_of_carbon",
    "wue_onsite",
    "ewif_offsite",
    "water_price",
    "embodied_per_gpu",
    "embodied_per_host",
)

case = st.fixed_dictionaries(
    {
        "energy_kwh": st.floats(0.01, 1e6),
        "gpu_hours": st.floats(0, 1e4),
        "social_usd": st.floats(0, 1e5),
        "avoided_kg": st.floats(0, 1e4),
        "intensity": st.floats(1, 900),
        "pue": st.floats(1.0, 2.0),
        "price": st.floats(0.01, 0.5),
        "scc": st.floats(10, 400),
        "rel": st.lists(st.floats(0.01, 0.5), min_size=len(RANGED), max_size=len(RANGED)),
        "shrink": st.floats(0.05, 0.8),
    }
)


def _assessment(c, scale=1.0):
    s = AssumptionSettings(
        intensity_g_per_kwh=c["intensity"],
        pue=c["pue"],
        price_per_kwh=c["price"],
        scc_usd_per_t=c["scc"],
        draws=DRAWS,
    )
    fs = resolve_factors(s)
    for name, rel in zip(RANGED, c["rel"], strict=True):
        f = fs[name]
        low = max(f.value * (1 - rel * scale), 1.0 if name == "pue" else 0.0)
        fs = fs.replaced(Factor(name, f.value, f.unit, low, f.value * (1 + rel * scale), "test"))
    q = Quantities(
        energy_it_kwh=c["energy_kwh"],
        gpu_hours=c["gpu_hours"],
        host_hours=c["gpu_hours"] / 8,
        social_benefit_usd=c["social_usd"],
        social_lump_sum_usd=c["social_usd"],
        avoided_kgco2e=c["avoided_kg"],
    )
    return assess(q, fs, s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case)
def test_interval_contains_the_central_value(c):
    a = _assessment(c)
    assert a.interval.p05 <= a.net_benefit <= a.interval.p95
    assert a.interval.p05 <= a.interval.p50 <= a.interval.p95


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case)
def test_interval_narrows_when_ranges_narrow(c):
    wide = _assessment(c)
    narrow = _assessment(c, scale=c["shrink"])
    assert narrow.interval.p95 - narrow.interval.p05 < wide.interval.p95 - wide.interval.p05
    assert narrow.net_benefit == wide.net_benefit


@settings(max_examples=60, deadline=None)
@given(case)
def test_net_benefit_moves_one_for_one_with_each_input(c):
    """Not the engine's expression again (a copy would share its mistakes): 100 USD more of
    declared benefit is 100 USD more net benefit, and a doubled electricity price doubles the
    energy cost and takes exactly the old energy cost off the net benefit. The identity's
    terms, one by one, are checked against hand values in test_identity_mutations.py."""
    a = _assessment(c)
    richer = _assessment({**c, "social_usd": c["social_usd"] + 100.0})
    dearer = _assessment({**c, "price": c["price"] * 2})
    assert richer.net_benefit - a.net_benefit == pytest.approx(100.0, rel=1e-9, abs=1e-6)
    assert dearer.energy_cost == pytest.approx(2 * a.energy_cost, rel=1e-12)
    assert a.net_benefit - dearer.net_benefit == pytest.approx(
        a.energy_cost, rel=1e-9, abs=1e-9 * abs(a.net_benefit)
    )
    assert a.to_json()["net_benefit"] == a.net_benefit


def test_sensitivity_is_sorted_largest_first():
    a = _assessment(
        {
            "energy_kwh": 100.0,
            "gpu_hours": 10.0,
            "social_usd": 5.0,
            "avoided_kg": 1.0,
            "intensity": 400.0,
            "pue": 1.5,
            "price": 0.1,
            "scc": 190.0,
            "rel": [0.2] * len(RANGED),
            "shrink": 0.5,
        }
    )
    swings = [s.swing for s in a.sensitivity]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    # energy: 100 kWh × 1.5 × (0.1 USD + 400 g × 190 USD/t) → ±20 % of the energy matters most
    assert a.sensitivity[0].factor == "energy_measurement"
