"""Charts of an assessment: the net-benefit waterfall with its interval, the Monte Carlo
interval, the sensitivity (tornado) chart, the break-even curve and the counterfactuals.

Input: an :class:`~accounting.assessment.Assessment`; the waterfall and the counterfactual
bars also take a project's (or the dashboard's selection's) totals in the keys of
``ecoledger assess --json``. Output: a Plotly figure. These
functions draw; they compute nothing the assessment does not already hold, except the
break-even curve's points, which come from ``BreakEven.curve``/``net_benefit_at``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from accounting.assessment.result import Assessment, Counterfactual
from accounting.reports.facts import CounterfactualLine
from accounting.reports.figures.style import (
    CO2,
    KGCO2E,
    NEGATIVE,
    POSITIVE,
    TOTAL,
    colour,
    empty_note,
    finish,
    new_figure,
)
from accounting.reports.numbers import DISPLAY, money

FACTOR_LABELS = {
    "carbon_intensity": "Grid carbon intensity",
    "pue": "PUE",
    "electricity_price": "Electricity price",
    "social_cost_of_carbon": "Social cost of carbon",
    "wue_onsite": "On-site water (WUE)",
    "ewif_offsite": "Off-site water (EWIF)",
    "water_price": "Water price",
    "embodied_per_gpu": "Embodied carbon per GPU",
    "embodied_per_host": "Embodied carbon per host",
    "lifetime": "Hardware lifetime",
    "utilization": "Hardware utilization",
    "energy_measurement": "Energy measurement",
}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def factor_label(name: str) -> str:
    return FACTOR_LABELS.get(name, name.replace("_", " ").capitalize())


class NetBenefitTerms(Protocol):
    """The terms of the identity and the net benefit's interval: an :class:`Assessment` (one
    run) or the :class:`~accounting.assessment.aggregate.Totals` of several."""

    @property
    def social_benefit(self) -> float: ...
    @property
    def environmental_benefit(self) -> float: ...
    @property
    def energy_cost(self) -> float: ...
    @property
    def carbon_cost(self) -> float: ...
    @property
    def secondary_cost(self) -> float: ...
    @property
    def net_benefit(self) -> float: ...
    @property
    def net_benefit_p05(self) -> float | None: ...
    @property
    def net_benefit_p95(self) -> float | None: ...
    @property
    def money_unit(self) -> str: ...


def net_benefit_waterfall(terms: NetBenefitTerms, *, title: str = "Net benefit") -> Any:
    """Benefits → minus energy cost → minus carbon cost → minus secondary cost → net benefit,
    with the Monte Carlo p05–p95 interval on the net bar."""
    import plotly.graph_objects as go

    cur = terms.money_unit
    social = float(terms.social_benefit)
    environmental = float(terms.environmental_benefit)
    steps = [("Social benefit", social, "relative")]
    if environmental:
        steps.append(("Environmental benefit", environmental, "relative"))
    steps += [
        ("Energy cost", -float(terms.energy_cost), "relative"),
        (f"Carbon cost ({CO2})", -float(terms.carbon_cost), "relative"),
        ("Secondary cost", -float(terms.secondary_cost), "relative"),
    ]
    net = float(terms.net_benefit)
    p05, p95 = terms.net_benefit_p05, terms.net_benefit_p95
    levels = [0.0]
    for _, v, _ in steps:
        levels.append(levels[-1] + v)
    levels += [net, float(p05 if p05 is not None else net), float(p95 if p95 is not None else net)]
    span = (max(levels) - min(levels)) or 1.0
    net_inside = abs(net) > 0.3 * span
    fig = new_figure()
    fig.add_trace(
        go.Waterfall(
            x=[s[0] for s in steps] + ["Net benefit"],
            y=[s[1] for s in steps] + [net],
            measure=[s[2] for s in steps] + ["total"],
            text=[money(s[1], cur, DISPLAY) for s in steps] + [money(net, cur, DISPLAY)],
            textposition=["outside"] * len(steps) + ["inside" if net_inside else "outside"],
            insidetextfont={"color": "#ffffff"},
            textangle=0,
            constraintext="none",
            cliponaxis=False,
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#9e9e9e", "width": 1}},
            name="terms",
            showlegend=False,
            hovertemplate="%{x}: %{y:,.6g} " + cur + "<extra></extra>",
        )
    )
    subtitle = "net = social + environmental − energy − carbon − secondary"
    if p05 is not None and p95 is not None:
        fig.add_trace(
            go.Scatter(
                x=["p05–p95"],
                y=[net],
                mode="markers",
                marker={"color": "#000000", "size": 8, "symbol": "diamond"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(0.0, float(p95) - net)],
                    "arrayminus": [max(0.0, net - float(p05))],
                    "color": "#000000",
                    "thickness": 2,
                    "width": 10,
                },
                name="net benefit, p05–p95 interval (Monte Carlo)",
                hovertemplate=f"p05 {money(float(p05), cur, DISPLAY)} – "
                f"p95 {money(float(p95), cur, DISPLAY)}<extra>Monte Carlo</extra>",
            )
        )
        subtitle += (
            f"<br>net benefit p05–p95 (Monte Carlo): {money(float(p05), cur, DISPLAY)} to "
            f"{money(float(p95), cur, DISPLAY)}"
        )
    fig.update_yaxes(range=[min(levels) - 0.12 * span, max(levels) + 0.15 * span])
    fig.add_hline(y=0, line={"color": "#777777", "width": 1})
    return finish(fig, title, None, f"Money ({cur})", subtitle=subtitle, height=460)


def _finish_bars(
    fig: Any, title: str, x_title: str, subtitle: str, height: int, legend: bool = True
) -> Any:
    """Finish a chart of horizontal bars: room for the labels on the y axis, titled on x."""
    fig.update_yaxes(automargin=True, ticksuffix="  ")
    return finish(fig, title, x_title, None, subtitle=subtitle, height=height, legend=legend)


def net_benefit_interval(
    assessment: Assessment, *, title: str = "Net benefit: Monte Carlo interval"
) -> Any:
    """The central net benefit against the Monte Carlo p05, p50 and p95."""
    import plotly.graph_objects as go

    cur = assessment.money_unit
    interval = assessment.interval
    p05, p50, p95 = (_finite(p) for p in (interval.p05, interval.p50, interval.p95))
    fig = new_figure()
    if p05 is None or p95 is None:
        return finish(empty_note(fig, "No interval"), title, None, None)
    net = assessment.net_benefit
    fig.add_trace(
        go.Scatter(
            x=[float(p05), float(p95)],
            y=["net benefit", "net benefit"],
            mode="lines",
            line={"color": colour(0), "width": 14},
            name="p05–p95",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[float(p05), float(p50 if p50 is not None else net), float(p95)],
            y=["net benefit"] * 3,
            mode="markers+text",
            marker={"color": "#0d47a1", "size": 10, "symbol": "line-ns-open", "line": {"width": 2}},
            text=[
                f"p05<br>{money(float(p05), cur, DISPLAY)}",
                f"p50<br>{money(float(p50 if p50 is not None else net), cur, DISPLAY)}",
                f"p95<br>{money(float(p95), cur, DISPLAY)}",
            ],
            textposition=["bottom center", "top center", "bottom center"],
            name="percentiles",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[net],
            y=["net benefit"],
            mode="markers",
            marker={"color": "#000000", "size": 11, "symbol": "diamond"},
            name=f"central value {money(net, cur, DISPLAY)}",
            hovertemplate=money(net, cur, DISPLAY) + "<extra>central value</extra>",
        )
    )
    draws = interval.draws
    sub = (
        f"{draws:,} draws over the factor ranges" if draws else "Monte Carlo over the factor ranges"
    )
    sub += f", seed {interval.seed}"
    fig.update_yaxes(showticklabels=False, range=[-1, 1], showgrid=False)
    lo, hi = min(float(p05), net), max(float(p95), net)
    pad = (hi - lo) * 0.15 or abs(net) * 0.1 or 1.0
    fig.update_xaxes(range=[lo - pad, hi + pad])
    return finish(fig, title, f"Net benefit ({cur})", None, subtitle=sub, height=320)


def sensitivity_tornado(assessment: Assessment, *, top: int = 8, title: str = "Sensitivity") -> Any:
    """Net benefit with each factor at its low and at its high value (others at their
    values), the factors that swing it most on top."""
    import plotly.graph_objects as go

    cur = assessment.money_unit
    net = assessment.net_benefit
    rows = list(assessment.sensitivity)[:top]
    fig = new_figure()
    if not rows:
        return finish(empty_note(fig, "No factor changes the net benefit"), title, None, None)
    rows = rows[::-1]  # largest at the top
    labels = [factor_label(r.factor) for r in rows]
    for side, colr, name in (
        ("low", "#64b5f6", "factor at its low"),
        ("high", "#ef6c00", "factor at its high"),
    ):
        values = [r.net_at_low if side == "low" else r.net_at_high for r in rows]
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[v - net for v in values],
                base=net,
                orientation="h",
                marker={"color": colr},
                name=name,
                customdata=[
                    [f"{r.low if side == 'low' else r.high} {r.unit}", money(v, cur, DISPLAY)]
                    for r, v in zip(rows, values, strict=True)
                ],
                hovertemplate="%{y} = %{customdata[0]}<br>net %{customdata[1]}<extra></extra>",
            )
        )
    fig.add_vline(x=net, line={"color": "#000000", "width": 1.5})
    fig.update_layout(barmode="overlay")
    sub = f"each factor swung over its range; line: central net benefit {money(net, cur, DISPLAY)}"
    return _finish_bars(fig, title, f"Net benefit ({cur})", sub, max(300, 80 + 38 * len(rows)))


def break_even_curve(
    assessment: Assessment,
    *,
    max_uses: int | None = None,
    points: int = 60,
    title: str = "Break-even",
) -> Any:
    """Net benefit against the number of uses, with the training run amortized:
    net(n) = −fixed cost + n × (benefit per use − cost per use)."""
    import plotly.graph_objects as go

    be = assessment.break_even
    cur = assessment.money_unit
    fig = new_figure()
    unit = be.use_unit or "use"
    uses = be.uses
    expected = int(assessment.amortization.expected_uses or 0)
    top = max_uses or (max(10, 4 * int(uses)) if uses else (expected or 1000))
    curve = be.curve(top, points)
    fig.add_trace(
        go.Scatter(
            x=[p[0] for p in curve],
            y=[p[1] for p in curve],
            mode="lines",
            line={"color": colour(0), "width": 2.5},
            name="net benefit",
            hovertemplate="%{x:,.0f} " + unit + "s<br>%{y:,.6g} " + cur + "<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#777777", "width": 1})
    status = be.status
    if uses is not None and status == "reached":
        fig.add_trace(
            go.Scatter(
                x=[uses],
                y=[be.net_benefit_at(uses)],
                mode="markers",
                marker={"color": POSITIVE, "size": 11, "symbol": "circle"},
                name=f"break-even: {uses:,} {unit}s",
            )
        )
        sub = f"break-even after {uses:,} {unit}s"
    elif status == "already_positive":
        sub = "already positive without further uses"
    elif status == "no_per_use_benefit":
        sub = "no benefit per use declared: the net benefit falls with every use"
    else:
        sub = "never: each use costs more than it brings"
    margin = be.margin_per_use
    if margin is not None:
        sub += f"; margin per {unit} {money(margin, cur, DISPLAY)}"
    trained = assessment.amortization.parent_run_id
    sub += f"<br>cost to recover from uses: {money(be.fixed_cost, cur, DISPLAY)} ("
    sub += "the training run's cost" if trained else "this run's cost"
    sub += ", less lump-sum benefits)"
    return finish(fig, title, f"Number of uses ({unit}s)", f"Net benefit ({cur})", subtitle=sub)


def counterfactual_bars(
    rows: Sequence[Counterfactual | CounterfactualLine],
    money_unit: str,
    *,
    title: str = "The same energy elsewhere",
) -> Any:
    """Operational carbon of the same measured energy in other regions (or start hours),
    the actual one highlighted, the lowest marked: a run's counterfactuals, or a project's
    summed lines (which have no single intensity and no saving in money)."""
    import plotly.graph_objects as go

    cur = money_unit
    fig = new_figure()
    if not rows:
        return finish(
            empty_note(fig, "No counterfactuals: choose regions to compare"), title, None, None
        )
    rows = sorted(rows, key=lambda r: float(r.operational_kgco2e), reverse=True)
    lowest = min(float(r.operational_kgco2e) for r in rows)
    labels = [f"{r.where} (actual)" if r.kind == "actual" else str(r.where) for r in rows]
    colours = [
        TOTAL
        if r.kind == "actual"
        else (POSITIVE if float(r.operational_kgco2e) == lowest else colour(0))
        for r in rows
    ]
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[float(r.operational_kgco2e) for r in rows],
            orientation="h",
            marker={"color": colours},
            text=[
                f"{float(r.operational_kgco2e):.3g} kg · {money(float(r.carbon_cost), cur, DISPLAY)}"
                for r in rows
            ],
            textposition="outside",
            cliponaxis=False,
            customdata=[
                [
                    r.intensity_g_per_kwh if isinstance(r, Counterfactual) else None,
                    money(r.saving_usd if isinstance(r, Counterfactual) else 0.0, cur, DISPLAY),
                ]
                for r in rows
            ],
            hovertemplate="%{y}<br>%{customdata[0]:.0f} gCO2e/kWh<br>%{x:.4g} kgCO2e"
            "<br>saving %{customdata[1]}<extra></extra>",
            showlegend=False,
        )
    )
    best = next(r for r in rows if float(r.operational_kgco2e) == lowest)
    xs = [float(r.operational_kgco2e) for r in rows]
    fig.update_xaxes(range=[0, max(xs) * 1.35 or 1.0])
    sub = f"same measured energy and PUE; lowest: {best.where}; label: kg{CO2}e · carbon cost"
    x_title = f"Operational carbon ({KGCO2E})"
    return _finish_bars(fig, title, x_title, sub, max(300, 90 + 40 * len(rows)), legend=False)


def costliest_runs(
    rows: Sequence[Mapping[str, Any]],
    *,
    top: int = 10,
    currency: str = "USD",
    title: str = "The runs that cost most",
) -> Any:
    """Horizontal stacked bars of each run's energy, carbon and secondary cost.

    ``rows``: mappings with ``name``, ``energy_cost``, ``carbon_cost``, ``secondary_cost``
    (one per run, e.g. the ``assess`` JSON with the run's name added)."""
    import plotly.graph_objects as go

    fig = new_figure()
    ranked = sorted(
        rows,
        key=lambda r: (
            float(r["energy_cost"]) + float(r["carbon_cost"]) + float(r["secondary_cost"])
        ),
        reverse=True,
    )[:top][::-1]
    if not ranked:
        return finish(empty_note(fig, "No runs"), title, None, None)
    names = [str(r["name"]) for r in ranked]
    for i, (key, label) in enumerate(
        (
            ("energy_cost", "Energy cost"),
            ("carbon_cost", f"Carbon cost ({CO2})"),
            ("secondary_cost", "Secondary cost"),
        )
    ):
        fig.add_trace(
            go.Bar(
                y=names,
                x=[float(r[key]) for r in ranked],
                orientation="h",
                name=label,
                marker={"color": colour(i)},
                hovertemplate="%{y}: %{x:,.4g} " + currency + "<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    sub = "energy + carbon + secondary cost of each run (amortized training shares excluded)"
    return _finish_bars(fig, title, f"Cost ({currency})", sub, max(300, 110 + 30 * len(ranked)))
