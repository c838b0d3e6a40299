"""The pure assessment: quantities + factors (+ an optional training run to amortize) → Assessment.

No I/O here: :func:`accounting.assessment.run.assess_run` and
:func:`accounting.assessment.estimate.estimate` gather the inputs and call :func:`assess`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from accounting.assessment import formulas, monte_carlo
from accounting.assessment.factor_set import ENERGY, FactorSet, Segments
from accounting.assessment.formulas import FORMULAS, KG_PER_T, Terms, evaluate
from accounting.assessment.quantities import Quantities
from accounting.assessment.result import (
    Amortization,
    Assessment,
    BreakEven,
    Counterfactual,
    Line,
    RankedSwing,
    SccScenario,
    Sci,
    Sensitivity,
)
from accounting.assessment.settings import SENSITIVITY_OUTPUTS, AssumptionSettings
from accounting.factors import (
    carbon_intensity,
    deflator,
    electricity_price,
    embodied,
    pue,
    scc,
    water,
)
from accounting.factors.factor import Factor

INTERVAL_KEYS = ("energy_facility_kwh", "operational_kgco2e", "embodied_kgco2e", "water_l")
"""Physical quantities that get a p05/p50/p95 interval of their own."""
SENSITIVITY_DEFAULT = SENSITIVITY_OUTPUTS[0]


@dataclass(frozen=True)
class ParentRun:
    """A training run whose cost an inference run carries a share of."""

    run_id: str
    quantities: Quantities
    factors: FactorSet
    assessment: Assessment


def assess(
    q: Quantities,
    fs: FactorSet,
    settings: AssumptionSettings,
    *,
    subject: str = "estimate",
    run_id: str | None = None,
    parent: ParentRun | None = None,
    expected_uses: int | None = None,
    counterfactual_factors: tuple[tuple[str, str, Factor], ...] = (),
    notes: tuple[str, ...] = (),
) -> Assessment:
    central_values = fs.values()
    own = evaluate(q, central_values)
    notes_list = list(notes)

    # -- amortization of a training run ---------------------------------------------------
    share = 0.0
    if parent is not None:
        if not expected_uses:
            notes_list.append(
                f"training run {parent.run_id[:12]} not amortized: no expected number of uses "
                "(--expected-uses)"
            )
        elif q.uses <= 0:
            notes_list.append(
                f"training run {parent.run_id[:12]} not amortized: this run counted no uses "
                "(no Usage entries)"
            )
        else:
            share = q.uses / expected_uses
    parent_central = evaluate(parent.quantities, parent.factors.values()) if parent else None

    def amortized(terms: Terms | None, attr: str) -> Any:
        return share * getattr(terms, attr) if terms is not None and share else 0.0

    energy_cost = own.energy_cost + amortized(parent_central, "energy_cost")
    carbon_cost = own.carbon_cost + amortized(parent_central, "carbon_cost")
    secondary_cost = own.secondary_cost + amortized(parent_central, "secondary_cost")
    social = float(own.social_benefit)
    environmental = float(own.environmental_benefit)
    net = social + environmental - energy_cost - carbon_cost - secondary_cost

    # -- Monte Carlo ------------------------------------------------------------------------
    n, seed = settings.draws, settings.seed
    per_run = frozenset({ENERGY})

    def simulate(child_values: dict[str, Any], parent_values: dict[str, Any] | None) -> Any:
        terms = evaluate(q, child_values)
        result = terms.net_benefit
        if parent is not None and share and parent_values is not None:
            result = result - share * evaluate(parent.quantities, parent_values).total_cost
        return result

    parent_draws = (
        monte_carlo.draw(parent.factors.factors, n, seed, per_run=per_run, run_tag=parent.run_id)
        if parent
        else None
    )
    child_draws = monte_carlo.draw(fs.factors, n, seed, per_run=per_run, run_tag=run_id or "")
    samples = np.asarray(simulate(child_draws, parent_draws), dtype=float)
    interval = monte_carlo.interval(samples, seed, float(net))
    drawn = evaluate(q, child_draws)
    quantity_intervals = {
        key: monte_carlo.interval(
            np.broadcast_to(np.asarray(getattr(drawn, key), dtype=float), (n,)),
            seed,
            float(getattr(own, key)),
        )
        for key in INTERVAL_KEYS
    }

    # -- sensitivity (one factor at a time, others at their values) -------------------------
    sensitivity = []
    parent_values = parent.factors.values() if parent else None
    names = set(fs.factors) | (set(parent.factors.factors) if parent and share else set())
    output = settings.sensitivity_of or SENSITIVITY_DEFAULT
    ranking = []
    for name in names:
        low_c, high_c = dict(central_values), dict(central_values)
        factor = fs.factors.get(name)
        if factor is not None:
            low_c[name], high_c[name] = factor.low, factor.high
        low_p = dict(parent_values) if parent_values else None
        high_p = dict(parent_values) if parent_values else None
        pfactor = parent.factors.factors.get(name) if parent else None
        if pfactor is not None and low_p is not None and high_p is not None:
            low_p[name], high_p[name] = pfactor.low, pfactor.high
        net_low = float(simulate(low_c, low_p))
        net_high = float(simulate(high_c, high_p))
        swing = abs(net_high - net_low)
        ref = factor or pfactor
        if ref is None:
            continue
        if swing != 0.0:
            sensitivity.append(
                Sensitivity(name, swing, net_low, net_high, ref.low, ref.high, ref.unit)
            )
        if output != "net_benefit" and factor is not None:
            out_low = float(getattr(evaluate(q, low_c), output))
            out_high = float(getattr(evaluate(q, high_c), output))
            if out_low != out_high:
                ranking.append(
                    RankedSwing(name, abs(out_high - out_low), out_low, out_high, output)
                )
        elif swing != 0.0:
            ranking.append(RankedSwing(name, swing, net_low, net_high, output))
    sensitivity.sort(key=lambda s: (-s.swing, s.factor))
    ranking.sort(key=lambda s: (-s.swing, s.factor))

    # -- discount-rate scenarios (values, not draws) ----------------------------------------
    scenarios = []
    for sc in scc.scenarios(fs.scc_preset, fs.emission_year):
        m = deflator.multiplier(fs.scc_dollar_year, fs.dollar_year)
        values = dict(central_values)
        values[scc.NAME] = sc.usd_per_t * m
        scenario_net = float(evaluate(q, values).net_benefit)
        if parent is not None and share and parent_values is not None:
            pv = dict(parent_values)
            pv[scc.NAME] = sc.usd_per_t * m
            scenario_net -= share * float(evaluate(parent.quantities, pv).total_cost)
        scenarios.append(SccScenario(sc.preset, sc.discount_rate, sc.usd_per_t * m, scenario_net))

    # -- amortization block -------------------------------------------------------------------
    own_total = float(own.total_cost)
    own_cost_per_use = own_total / q.uses if q.uses > 0 else None
    if parent is not None and parent_central is not None:
        training_cost = float(parent_central.total_cost)
        per_use = training_cost / expected_uses if expected_uses else None
        amort = Amortization(
            parent_run_id=parent.run_id,
            expected_uses=expected_uses,
            uses=q.uses,
            use_unit=q.use_unit,
            share=share,
            training_cost=training_cost,
            training_cost_per_use=per_use,
            own_cost_per_use=own_cost_per_use,
            cost_per_use=(per_use or 0.0) + (own_cost_per_use or 0.0)
            if per_use is not None or own_cost_per_use is not None
            else None,
            energy_cost=float(amortized(parent_central, "energy_cost")),
            carbon_cost=float(amortized(parent_central, "carbon_cost")),
            secondary_cost=float(amortized(parent_central, "secondary_cost")),
            energy_facility_kwh=float(amortized(parent_central, "energy_facility_kwh")),
            operational_kgco2e=float(amortized(parent_central, "operational_kgco2e")),
            embodied_kgco2e=float(amortized(parent_central, "embodied_kgco2e")),
            water_l=float(amortized(parent_central, "water_l")),
            note="money keys include the amortized share; physical keys are this run's own"
            if share
            else "not applied",
        )
    else:
        per_use = own_total / expected_uses if expected_uses else None
        amort = Amortization(
            parent_run_id=None,
            expected_uses=expected_uses,
            uses=q.uses,
            use_unit=q.use_unit,
            share=0.0,
            training_cost=own_total if expected_uses else None,
            training_cost_per_use=per_use,
            own_cost_per_use=own_cost_per_use,
            cost_per_use=per_use if per_use is not None else own_cost_per_use,
            note="this run's own cost spread over the expected uses" if expected_uses else "",
        )

    # -- break-even ---------------------------------------------------------------------------
    lump_benefits = q.social_lump_sum_usd + environmental
    if settings.benefit_per_use_usd is not None:
        benefit_per_use: float | None = settings.benefit_per_use_usd
    elif q.uses > 0 and social - q.social_lump_sum_usd > 0:
        benefit_per_use = (social - q.social_lump_sum_usd) / q.uses
    else:
        benefit_per_use = None
    if parent is not None and parent_central is not None:
        # an inference run: recover the training run's cost, pay this run's cost per use
        fixed = float(parent_central.total_cost) - lump_benefits
        cost_per_use = own_cost_per_use or 0.0
    elif q.uses > 0:
        # a run that serves uses with no training run named: its cost is all per use
        fixed = -lump_benefits
        cost_per_use = own_cost_per_use or 0.0
    else:
        # a training run or an estimate: recover its whole cost from the model's uses
        fixed = own_total - lump_benefits
        cost_per_use = 0.0
    break_even = _break_even(fixed, benefit_per_use, cost_per_use, q.use_unit)

    # -- counterfactuals --------------------------------------------------------------------
    counterfactuals = _counterfactuals(own, fs, counterfactual_factors, q.segments)
    actual_boundary = fs[carbon_intensity.NAME].boundary
    mixed = sorted(
        {f"{where} ({f.boundary})" for where, _, f in counterfactual_factors}
        - {f"{where} ({actual_boundary})" for where, _, _ in counterfactual_factors}
    )
    if mixed:
        notes_list.append(
            f"counterfactuals mix emission boundaries: {fs.location} is {actual_boundary}, "
            f"{', '.join(mixed)}; part of the difference is the boundary, not the grid"
        )

    # -- missing is not zero ----------------------------------------------------------------
    notes_list.extend(fs.notes)
    not_estimated: dict[str, str] = {}
    if q.gpu_hours <= 0 and q.host_hours <= 0:
        not_estimated["embodied_kgco2e"] = (
            "no device-hours: give --gpus with --hours, or --gpu-hours, for embodied carbon"
        )
    for key, reason in not_estimated.items():
        notes_list.append(f"{key} not estimated ({reason}); its money is not counted")

    # -- scope 2: location-based always, market-based with an instrument -------------------
    market_kg = (
        float(own.operational_market_kgco2e) if own.operational_market_kgco2e is not None else None
    )

    # -- SCI per functional unit -------------------------------------------------------------
    sci = _sci(q, fs, own, settings, parent, parent_central, share, expected_uses)
    if sci.note:
        notes_list.append(sci.note)

    lines = _lines(q, fs, own, parent, parent_central, share)
    factors = tuple(fs.factors[name] for name in fs.factors)
    return Assessment(
        subject=subject,
        run_id=run_id,
        energy_it_kwh=float(own.energy_it_kwh),
        pue=float(own.pue),
        energy_facility_kwh=float(own.energy_facility_kwh),
        operational_kgco2e=float(own.operational_kgco2e),
        embodied_kgco2e=float(own.embodied_kgco2e),
        water_onsite_l=float(own.water_onsite_l),
        water_offsite_l=float(own.water_offsite_l),
        water_l=float(own.water_l),
        energy_cost=float(energy_cost),
        carbon_cost=float(carbon_cost),
        secondary_cost=float(secondary_cost),
        social_benefit=social,
        environmental_benefit=environmental,
        net_benefit=float(net),
        interval=interval,
        break_even=break_even,
        amortization=amort,
        lines=lines,
        factors=factors,
        sensitivity=tuple(sensitivity),
        counterfactuals=counterfactuals,
        location=fs.location,
        emission_year=fs.emission_year,
        scc_preset=fs.scc_preset,
        scc_dollar_year=fs.scc_dollar_year,
        gpu_hours=q.gpu_hours,
        host_hours=q.host_hours,
        boundary=fs.gpu_boundary,
        settings=settings,
        notes=tuple(notes_list),
        parent=parent.assessment if parent else None,
        quantity_intervals=quantity_intervals,
        dollar_year=fs.dollar_year,
        scc_scenarios=tuple(scenarios),
        sensitivity_of=output,
        sensitivity_ranking=tuple(ranking),
        not_estimated=not_estimated,
        scope2_method=fs.scope2_method,
        operational_market_kgco2e=market_kg,
        market_instrument=fs.market_instrument,
        sci=sci,
        embodied_method=fs.embodied_method,
        gpu_model=fs.gpu_model,
        water_basis=fs.water_basis,
        inputs=(q, fs),
    )


def _sci(
    q: Quantities,
    fs: FactorSet,
    own: Terms,
    settings: AssumptionSettings,
    parent: ParentRun | None,
    parent_central: Terms | None,
    share: float,
    expected_uses: int | None,
) -> Sci:
    """SCI = (E × I + M) / R (ISO/IEC 21031:2024), M by time-share, in gCO2e per unit."""
    counts = dict(q.counts)
    unit = settings.per
    if unit is None:
        if q.uses <= 0:
            return Sci(None, None, 0.0, 0.0, 0, "")
        unit = "sample" if q.use_unit == "item" else q.use_unit
    r = counts.get(unit, q.uses if unit == q.use_unit else 0)
    time_share_h = fs[embodied.LIFETIME].value * formulas.HOURS_PER_YEAR
    m_g = (
        (q.gpu_hours * fs[embodied.GPU].value + q.host_hours * fs[embodied.HOST].value)
        / time_share_h
        * formulas.G_PER_KG
    )
    ei_g = float(own.operational_kgco2e) * formulas.G_PER_KG
    if parent is not None and parent_central is not None and share:
        p_fs = parent.factors
        p_m = (
            parent.quantities.gpu_hours * p_fs[embodied.GPU].value
            + parent.quantities.host_hours * p_fs[embodied.HOST].value
        ) / (p_fs[embodied.LIFETIME].value * formulas.HOURS_PER_YEAR)
        ei_g += share * float(parent_central.operational_kgco2e) * formulas.G_PER_KG
        m_g += share * p_m * formulas.G_PER_KG
    if r <= 0:
        if expected_uses and parent is None and q.uses <= 0:
            # a training run or an estimate amortized over its model's expected uses
            return Sci(
                (ei_g + m_g) / expected_uses,
                unit,
                ei_g,
                m_g,
                expected_uses,
                "",
            )
        return Sci(
            None,
            unit,
            ei_g,
            m_g,
            0,
            f"sci_gco2e_per_unit not estimated (no {unit}s counted in Usage entries, no "
            "expected_uses)",
        )
    return Sci((ei_g + m_g) / r, unit, ei_g, m_g, r, "")


def _break_even(
    fixed: float, benefit_per_use: float | None, cost_per_use: float, use_unit: str
) -> BreakEven:
    if fixed <= 0:
        return BreakEven(0, "already_positive", fixed, benefit_per_use, cost_per_use, use_unit)
    if benefit_per_use is None:
        return BreakEven(None, "no_per_use_benefit", fixed, None, cost_per_use, use_unit)
    margin = benefit_per_use - cost_per_use
    if margin <= 0:
        return BreakEven(None, "never", fixed, benefit_per_use, cost_per_use, use_unit)
    uses = math.ceil(fixed / margin)
    if -fixed + (uses - 1) * margin >= 0:  # guard against float ceil overshoot
        uses -= 1
    return BreakEven(uses, "reached", fixed, benefit_per_use, cost_per_use, use_unit)


def _counterfactuals(
    own: Terms,
    fs: FactorSet,
    alternatives: tuple[tuple[str, str, Factor], ...],
    segments: Segments | None,
) -> tuple[Counterfactual, ...]:
    s = fs[scc.NAME].value
    e_fac = float(own.energy_facility_kwh)
    actual_kg = float(own.operational_kgco2e)

    def make(where: str, kind: str, kg: float, intensity: float) -> Counterfactual:
        cost = kg / KG_PER_T * s
        return Counterfactual(
            where, kind, intensity, kg, cost, actual_kg - kg, (actual_kg - kg) / KG_PER_T * s
        )

    out = [make(fs.location, "actual", actual_kg, fs[carbon_intensity.NAME].value)]
    for where, kind, factor in alternatives:
        out.append(make(where, kind, e_fac * factor.value / 1000.0, factor.value))
    series = fs.series
    if series is not None and segments is not None and len(segments.kwh):
        start, end = segments.span_s
        duration = end - start
        total_kwh = segments.total_kwh
        scale = e_fac / total_kwh if total_kwh > 0 else 0.0
        day = datetime.fromtimestamp(start, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first = day.timestamp()
        candidates = [first + h * 3600.0 for h in range(24)]
        if not any(c >= series.start_s and c + duration <= series.end_s for c in candidates):
            candidates = [series.start_s + h * 3600.0 for h in range(24)]
        for begin in candidates:
            if begin < series.start_s or begin + duration > series.end_s:
                continue
            shift = begin - start
            grams = series.carbon_g(segments.start_s + shift, segments.end_s + shift, segments.kwh)
            kg = grams * scale / 1000.0
            label = datetime.fromtimestamp(begin, UTC) + timedelta(0)
            out.append(
                make(
                    f"start {label.strftime('%Y-%m-%dT%H:%MZ')}",
                    "start_hour",
                    kg,
                    kg * 1000.0 / e_fac if e_fac > 0 else 0.0,
                )
            )
    return tuple(out)


def _sources(fs: FactorSet, *names: str) -> tuple[str, ...]:
    return tuple(f"{n}: {fs[n].source}" for n in names if n in fs.factors)


def _embodied_line(
    q: Quantities, fs: FactorSet, device: str, kgco2e: float, hours: float, factor: str
) -> Line:
    """The embodied-carbon line of the GPUs or the hosts, priced at the SCC."""
    return Line(
        f"embodied_{device.lower()}",
        "secondary_cost",
        f"Embodied carbon, {device}s",
        kgco2e,
        "kgCO2e",
        kgco2e / KG_PER_T * fs[scc.NAME].value,
        f"{device}-hours × kg/{device} / (lifetime × 8760 h × utilization); × SCC",
        (f"{device}-hours: {hours:.6g} ({q.device_hours_source or 'given'})",)
        + _sources(fs, factor, embodied.LIFETIME, embodied.UTILIZATION, scc.NAME),
    )


def _lines(
    q: Quantities,
    fs: FactorSet,
    own: Terms,
    parent: ParentRun | None,
    parent_central: Terms | None,
    share: float,
) -> tuple[Line, ...]:
    lines = [
        Line(
            "energy_it",
            "",
            "IT energy (devices)",
            float(own.energy_it_kwh),
            "kWh",
            0.0,
            FORMULAS["energy_it_kwh"],
            (q.energy_source or "given",) + _sources(fs, ENERGY),
        ),
        Line(
            "energy",
            "energy_cost",
            "Facility energy",
            float(own.energy_facility_kwh),
            "kWh",
            float(own.energy_cost),
            FORMULAS["energy_cost"],
            _sources(fs, pue.NAME, electricity_price.NAME),
        ),
        Line(
            "operational_carbon",
            "carbon_cost",
            "Operational carbon",
            float(own.operational_kgco2e),
            "kgCO2e",
            float(own.carbon_cost),
            f"{FORMULAS['operational_kgco2e']}; {FORMULAS['carbon_cost']}",
            _sources(fs, carbon_intensity.NAME, pue.NAME, scc.NAME),
        ),
        _embodied_line(q, fs, "GPU", float(own.embodied_gpu_kgco2e), q.gpu_hours, embodied.GPU),
        _embodied_line(q, fs, "host", float(own.embodied_host_kgco2e), q.host_hours, embodied.HOST),
        Line(
            "water",
            "secondary_cost",
            "Water (on-site + off-site)",
            float(own.water_l),
            "L",
            float(own.water_cost),
            f"{FORMULAS['water_onsite_l']} + {FORMULAS['water_offsite_l']}; "
            f"{FORMULAS['water_cost']}",
            _sources(fs, water.WUE, water.EWIF, pue.NAME, water.PRICE),
        ),
    ]
    if parent is not None and parent_central is not None and share:
        tag = f"training run {parent.run_id[:12]} × {share:.6g}"
        for key, term, label, qty, unit, attr in (
            (
                "amortized_energy",
                "energy_cost",
                "Training energy, amortized",
                parent_central.energy_facility_kwh,
                "kWh",
                "energy_cost",
            ),
            (
                "amortized_carbon",
                "carbon_cost",
                "Training carbon, amortized",
                parent_central.operational_kgco2e,
                "kgCO2e",
                "carbon_cost",
            ),
            (
                "amortized_secondary",
                "secondary_cost",
                "Training embodied + water, amortized",
                parent_central.embodied_kgco2e,
                "kgCO2e",
                "secondary_cost",
            ),
        ):
            lines.append(
                Line(
                    key,
                    term,
                    label,
                    share * float(qty),
                    unit,
                    share * float(getattr(parent_central, attr)),
                    f"uses / expected uses × the training run's {attr}",
                    (tag,) + _sources(parent.factors, carbon_intensity.NAME, pue.NAME),
                )
            )
    lines += [
        Line(
            "social_benefit",
            "social_benefit",
            "Social benefit (declared)",
            float(q.uses) if q.uses else None,
            q.use_unit + "s" if q.uses else "",
            float(own.social_benefit),
            FORMULAS["social_benefit"],
            ("declared Benefit entries / --social-benefit",),
        ),
        Line(
            "environmental_benefit",
            "environmental_benefit",
            "Environmental benefit (avoided CO2e)",
            q.avoided_kgco2e,
            "kgCO2e",
            float(own.environmental_benefit),
            FORMULAS["environmental_benefit"],
            ("declared Benefit entries / --avoided-kgco2e",) + _sources(fs, scc.NAME),
        ),
    ]
    return tuple(lines)
