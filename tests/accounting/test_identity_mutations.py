"""The net-benefit identity on a case computed by hand, and a mutation check of the engine.

By hand (every factor given, so no range and no dollar-year conversion):

- energy cost: 1,000 kWh × PUE 1.0 × 0.10 USD/kWh = 100 USD;
- carbon cost: 1,000 kWh × 500 g/kWh = 0.5 t × 100 USD/t = 50 USD;
- secondary cost: 1,000 kWh × 1 L/kWh = 1 m³ × 3 USD/m³ = 3 USD (no GPU or host hours: no
  embodied carbon);
- environmental benefit: 2,000 kg avoided = 2 t × 100 USD/t = 200 USD;
- social benefit: 1,000 USD (a lump sum);
- net benefit: 1,000 + 200 − 100 − 50 − 3 = 1,047 USD, and so the interval (no ranges).

The mutation check rewrites the identity where the engine computes it (the central value in
``engine.py`` and the per-draw value in ``formulas.Terms.net_benefit``), one term at a time:
its sign flipped, or the term dropped. Each mutant, loaded as a fresh module, must fail the
hand check above.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

import accounting.assessment
from accounting.assessment import AssumptionSettings, assess, engine, formulas
from accounting.assessment.factor_set import resolve_factors
from accounting.assessment.quantities import Quantities

HAND_USD = {
    "social_benefit": 1000.0,
    "environmental_benefit": 200.0,
    "energy_cost": 100.0,
    "carbon_cost": 50.0,
    "secondary_cost": 3.0,
    "net_benefit": 1047.0,
}


def hand_case(assess_fn: Callable[..., Any]) -> Any:
    settings = AssumptionSettings(
        intensity_g_per_kwh=500,
        pue=1.0,
        price_per_kwh=0.10,
        scc_usd_per_t=100,
        wue_l_per_kwh=1.0,
        ewif_l_per_kwh=0.0,
        water_price_per_m3=3.0,
        emission_year=2024,
        dollar_year=2024,
        draws=200,
    )
    quantities = Quantities(
        energy_it_kwh=1000,
        social_benefit_usd=1000,
        social_lump_sum_usd=1000,
        avoided_kgco2e=2000,
    )
    return assess_fn(quantities, resolve_factors(settings), settings)


def check_hand_values(a: Any) -> None:
    for name, usd in HAND_USD.items():
        assert getattr(a, name) == pytest.approx(usd, rel=1e-9), name
    assert a.interval.p05 == pytest.approx(1047.0, rel=1e-9)
    assert a.interval.p50 == pytest.approx(1047.0, rel=1e-9)
    assert a.interval.p95 == pytest.approx(1047.0, rel=1e-9)


def test_identity_on_a_case_computed_by_hand() -> None:
    check_hand_values(hand_case(assess))


# -- mutation check ----------------------------------------------------------------------------
ENGINE_LINE = re.compile(
    r"net = (social \+ environmental - energy_cost - carbon_cost - secondary_cost)\n"
)
FORMULA_BLOCK = re.compile(r"return \(\s*(self\.social_benefit\s*\+[^)]*?)\s*\)", re.S)


def _mutations(expression: str) -> list[tuple[str, str]]:
    """(label, mutated expression) for each term: its sign flipped, and the term dropped."""
    terms = re.findall(r"([+-]?)\s*([\w.]+)", expression)
    out = []
    for i, (_sign, name) in enumerate(terms):
        for kind in ("flip", "drop"):
            parts = []
            for j, (sign, other) in enumerate(terms):
                sign = sign or "+"
                if j == i and kind == "drop":
                    continue
                if j == i:
                    sign = "-" if sign == "+" else "+"
                parts.append(f"{sign} {other}")
            out.append((f"{kind} {name}", " ".join(parts) or "0"))
    return out


MUTANTS = [
    ("engine", label, expr)
    for label, expr in _mutations(ENGINE_LINE.search(inspect.getsource(engine)).group(1))  # type: ignore[union-attr]
] + [
    ("formulas", label, expr)
    for label, expr in _mutations(FORMULA_BLOCK.search(inspect.getsource(formulas)).group(1))  # type: ignore[union-attr]
]


def _load(name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<mutant {name}>"
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def test_every_term_of_both_identities_is_mutated() -> None:
    assert len(MUTANTS) == 2 * 5 * 2  # two places × five terms × (flip, drop)


def _assess_with(where: str, expression: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``assess`` from fresh copies of the engine (and formulas), the identity rewritten."""
    engine_source = inspect.getsource(engine)
    if where == "engine":
        engine_source = ENGINE_LINE.sub(f"net = {expression}\n", engine_source)
    else:
        mutant = _load(
            formulas.__name__,
            FORMULA_BLOCK.sub(f"return ({expression})", inspect.getsource(formulas)),
            monkeypatch,
        )
        monkeypatch.setattr(accounting.assessment, "formulas", mutant)
    return _load(engine.__name__, engine_source, monkeypatch).assess


@pytest.mark.parametrize("where", ["engine", "formulas"])
def test_an_unmutated_copy_passes_the_hand_check(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = inspect.getsource(engine if where == "engine" else formulas)
    pattern = ENGINE_LINE if where == "engine" else FORMULA_BLOCK
    original = pattern.search(source).group(1)  # type: ignore[union-attr]
    check_hand_values(hand_case(_assess_with(where, original, monkeypatch)))


@pytest.mark.parametrize(("where", "label", "expression"), MUTANTS, ids=lambda v: str(v))
def test_a_mutated_term_fails_the_hand_check(
    where: str, label: str, expression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mutant_assess = _assess_with(where, expression, monkeypatch)
    with pytest.raises(AssertionError):
        check_hand_values(hand_case(mutant_assess))
