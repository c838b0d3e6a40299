"""The human-readable rendering of an Assessment for the terminal (units everywhere)."""

from __future__ import annotations

from accounting.assessment import Assessment
from accounting.reports.numbers import CENTS_COLUMN, money
from ecoledger.cli.text import term, term_lines


def _qty(value: float | None, unit: str) -> str:
    if value is None or not unit:
        return ""
    return f"{value:,.4g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def _per_use(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def render(a: Assessment) -> str:
    out: list[str] = []
    scc = a.scc_preset or "user value"
    dollars = f"{a.money_unit}" + (
        f", published in {a.scc_dollar_year} USD, " if a.scc_dollar_year else ", "
    )
    out.append(f"Assessment of {term(a.subject)}")
    out.append(
        f"  grid: {term(a.location)} ({a.factor('carbon_intensity').value:,.1f} gCO2e/kWh) · "
        f"PUE {a.pue:g} · SCC {scc} = {a.factor('social_cost_of_carbon').value:,.0f} /tCO2e "
        f"({dollars}emission year {a.emission_year})"
    )
    out.append("")
    out.append(f"  {'term':<44}{'quantity':>20}{'money (' + a.money_unit + ')':>21}")
    signs = {
        "energy_cost": -1,
        "carbon_cost": -1,
        "secondary_cost": -1,
        "social_benefit": 1,
        "environmental_benefit": 1,
        "": 0,
    }
    missing_embodied = a.not_estimated.get("embodied_kgco2e")
    for line in a.lines:
        sign = signs.get(line.term, 0)
        amount = money(sign * line.money, None, CENTS_COLUMN) if sign else ""
        if missing_embodied and line.key in ("embodied_gpu", "embodied_host"):
            out.append(f"  {line.label:<44}{'not estimated':>20}")
            continue
        out.append(f"  {line.label:<44}{_qty(line.quantity, line.unit):>20}{amount:>16}")
    out.append(
        f"  {'Water on-site / off-site':<44}"
        f"{_qty(a.water_onsite_l, 'L') + ' / ' + _qty(a.water_offsite_l, 'L'):>20}"
    )
    out.append("  " + "-" * 80)
    for label, value in (
        ("Energy cost", -a.energy_cost),
        ("Carbon cost", -a.carbon_cost),
        ("Secondary cost (embodied + water)", -a.secondary_cost),
        ("Social benefit", a.social_benefit),
        ("Environmental benefit", a.environmental_benefit),
    ):
        out.append(f"  {label:<64}{money(value, None, CENTS_COLUMN):>16}")
    out.append(f"  {'Net benefit':<64}{money(a.net_benefit, None, CENTS_COLUMN):>16}")
    iv = a.interval
    out.append(
        f"  90 % interval ({iv.draws:,} draws): p05 {money(iv.p05, None, CENTS_COLUMN)} · "
        f"p50 {money(iv.p50, None, CENTS_COLUMN)} · p95 {money(iv.p95, None, CENTS_COLUMN)} "
        f"{a.money_unit}"
    )
    for key, unit in (
        ("energy_facility_kwh", "kWh"),
        ("operational_kgco2e", "kgCO2e"),
        ("embodied_kgco2e", "kgCO2e"),
        ("water_l", "L"),
    ):
        if key in a.not_estimated:
            out.append(f"  {key}: not estimated ({a.not_estimated[key]})")
            continue
        q = a.quantity_intervals.get(key)
        if q is not None:
            out.append(
                f"  {key}: {getattr(a, key):,.4g} {unit} "
                f"(p05 {q.p05:,.4g} · p50 {q.p50:,.4g} · p95 {q.p95:,.4g})"
            )
    market = (
        f"{a.operational_market_kgco2e:,.4g} kgCO2e ({a.market_instrument})"
        if a.operational_market_kgco2e is not None
        else "not reported (no contractual instrument: --market-factor or --renewable-share)"
    )
    out.append(
        f"  Scope 2: location-based {a.operational_kgco2e:,.4g} kgCO2e (headline) · "
        f"market-based {market}"
    )
    if a.sci.gco2e_per_unit is not None:
        out.append(
            f"  SCI: {a.sci.gco2e_per_unit:,.4g} gCO2e per {a.sci.unit} "
            f"((E × I + M) / R over {a.sci.units:,} {a.sci.unit}s)"
        )
    if len(a.scc_scenarios) > 1:
        text = " · ".join(
            f"{sc.discount_rate}: {money(sc.net_benefit, None, CENTS_COLUMN)}"
            for sc in a.scc_scenarios
        )
        out.append(f"  Net benefit at other SCC discount rates ({a.money_unit}): {text}")
    be = a.break_even
    if be.status == "reached":
        text = f"{be.uses:,} {be.use_unit}s"
    elif be.status == "already_positive":
        text = "already positive"
    elif be.status == "never":
        text = "never (benefit per use ≤ cost per use)"
    else:
        text = "unknown (no per-use benefit declared; --benefit-per-use)"
    out.append(f"  Break-even: {text}")
    am = a.amortization
    if am.applied:
        out.append(
            f"  Training run {am.parent_run_id and am.parent_run_id[:12]} amortized over "
            f"{am.expected_uses:,} uses: {_per_use(am.training_cost_per_use)} "
            f"{a.money_unit}/{am.use_unit}; with this run's own cost "
            f"{_per_use(am.cost_per_use)} {a.money_unit}/{am.use_unit}"
        )
    elif am.training_cost_per_use is not None:
        out.append(
            f"  Cost per use over {am.expected_uses:,} expected uses: "
            f"{_per_use(am.training_cost_per_use)} {a.money_unit}"
        )
    if a.sensitivity_ranking:
        top = ", ".join(f"{s.factor} {s.swing:,.4g}" for s in a.sensitivity_ranking[:3])
        out.append(f"  Largest swings of {a.sensitivity_of}: {top}")
    if a.sensitivity and a.sensitivity_of != "net_benefit":
        top = ", ".join(
            f"{s.factor} {money(s.swing, None, CENTS_COLUMN)}" for s in a.sensitivity[:3]
        )
        out.append(f"  Largest swings of the net benefit ({a.money_unit}): {top}")
    if len(a.counterfactuals) > 1:
        out.append("  Same energy elsewhere / at another time:")
        for c in a.counterfactuals:
            out.append(
                f"    {c.where:<30}{_qty(c.operational_kgco2e, 'kgCO2e'):>20}"
                f"{money(c.carbon_cost, None, CENTS_COLUMN):>14} {a.money_unit}"
            )
    for note in a.notes:
        out.append(f"  note: {term(note)}")
    out.append(
        f"  Embodied boundary: {a.boundary}. Sources: ecoledger assess --json (assumptions)."
    )
    return term_lines("\n".join(out))
