"""Cost–benefit: the assumption controls drive the assessment of one run (the same call as
``ecoledger assess``): the waterfall, the Monte Carlo interval, the sensitivity (tornado)
chart and the break-even curve. The chosen assumptions can be saved to the ledger."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from accounting.entries import Benefit, EntrySource
from accounting.errors import InputError
from accounting.reports import figures
from accounting.reports.numbers import DISPLAY, money
from dashboard import data, ui
from dashboard.controls import assumption_controls, cli_equivalent

BASES: dict[str, Literal["lump_sum", "per_request", "per_token", "per_item"]] = {
    "lump_sum": "lump_sum",
    "per_request": "per_request",
    "per_token": "per_token",
    "per_item": "per_item",
}

st.title("Cost–benefit")
state = ui.ledger_or_stop()
views = ui.runs_or_stop(state)
view = ui.pick_run(views, key="cb_run")

st.subheader("Assumptions")
controls = assumption_controls(view)
if controls.error or controls.settings is None:
    st.error(f"Check the assumptions: {ui.error_text(controls.error)}")
    st.stop()
try:
    assessment = data.assessment(state, view, controls.settings)
except InputError as exc:
    st.error(f"Check the assumptions: {ui.error_text(exc)}")
    st.stop()
controls.show_sources(assessment)
cur = assessment.money_unit

st.subheader("Net benefit")
m = st.columns(4)
m[0].metric("Net benefit", money(assessment.net_benefit, cur, DISPLAY))
m[1].metric("p05", money(assessment.interval.p05, cur, DISPLAY), help="Monte Carlo 5th percentile")
m[2].metric("p95", money(assessment.interval.p95, cur, DISPLAY), help="Monte Carlo 95th percentile")
be = assessment.break_even
m[3].metric(
    "Break-even",
    f"{be.uses:,} {be.use_unit}s" if be.uses is not None else "never",
    help=be.status.replace("_", " "),
)
st.caption(f"Same as `{cli_equivalent(view.run_id, controls.settings)}`")
for note in assessment.notes:
    st.caption(f"Note: {ui.plain(note)}")

st.subheader("Emissions, water and their uncertainty")
market = assessment.operational_market_kgco2e
e = st.columns(4)
e[0].metric(
    "Operational, location-based",
    f"{assessment.operational_kgco2e:,.4g} kgCO₂e",
    help="scope 2, location-based (the grid's average intensity): the headline figure",
)
e[1].metric(
    "Operational, market-based",
    "not reported" if market is None else f"{market:,.4g} kgCO₂e",
    help=assessment.market_instrument
    or "no contractual instrument: set a market-based factor or a renewable share",
)
sci = assessment.sci
e[2].metric(
    "SCI",
    "—" if sci.gco2e_per_unit is None else f"{sci.gco2e_per_unit:,.4g} gCO₂e/{sci.unit}",
    help="(E × I + M) / R, ISO/IEC 21031:2024; embodied by time-share",
)
e[3].metric("Money in", cur, help="every amount is converted to one dollar year (CPI-U)")
rows = []
for key, unit in (
    ("energy_facility_kwh", "kWh"),
    ("operational_kgco2e", "kgCO₂e"),
    ("embodied_kgco2e", "kgCO₂e"),
    ("water_l", "L (consumption)"),
):
    iv = assessment.quantity_intervals.get(key)
    if key in assessment.not_estimated or iv is None:
        reason = assessment.not_estimated.get(key, "no interval")
        rows.append({"quantity": key, "central": f"not estimated ({reason})", "unit": unit})
        continue
    rows.append(
        {
            "quantity": key,
            "central": f"{getattr(assessment, key):,.4g}",
            "p05": f"{iv.p05:,.4g}",
            "p50": f"{iv.p50:,.4g}",
            "p95": f"{iv.p95:,.4g}",
            "unit": unit,
        }
    )
st.dataframe(rows, hide_index=True, key="cb_quantity_intervals")
if assessment.water_basis is not None:
    st.caption(f"Water figures: {ui.plain(assessment.water_basis.label)}")
if len(assessment.scc_scenarios) > 1:
    st.caption(
        "Net benefit at the SCC source's other discount rates (scenarios, not drawn): "
        + " · ".join(
            f"{sc.discount_rate}: {money(sc.net_benefit, cur, DISPLAY)}"
            for sc in assessment.scc_scenarios
        )
    )
if assessment.sensitivity_ranking:
    st.caption(
        f"Largest swings of {assessment.sensitivity_of}: "
        + ", ".join(f"{r.factor} {r.swing:,.4g}" for r in assessment.sensitivity_ranking[:5])
    )

ui.chart(figures.net_benefit_waterfall(assessment), key="cb_waterfall")
ui.chart(figures.net_benefit_interval(assessment), key="cb_interval")
ui.chart(figures.sensitivity_tornado(assessment), key="cb_tornado")
ui.chart(figures.break_even_curve(assessment), key="cb_break_even")

with st.expander("Every assumption used, with its source"):
    st.dataframe(
        [
            {
                "factor": f.name,
                "value": f.value,
                "unit": f.unit,
                "low": f.low,
                "high": f.high,
                "distribution": f.distribution_text,
                "boundary": f.boundary or "",
                "dollar year": f.dollar_year or "",
                "source": f.source,
            }
            for f in assessment.factors
        ],
        hide_index=True,
        key="cb_factors",
    )

st.subheader("Save to the ledger")
s1, s2 = st.columns(2)
with s1:
    st.caption(
        "Records these assumptions as an `Assumptions` entry of the run: reports and "
        "`ecoledger assess` then use them by default."
    )
    if st.button("Save these assumptions", key="cb_save", type="primary"):
        entry = assessment.to_assumptions_entry(view.run_id, label="dashboard")
        entry = entry.model_copy(update={"source": EntrySource.here(origin="dashboard")})
        data.append(state, [entry])
        st.success(f"Saved as entry `{entry.id}`.")
with s2, st.expander("Declare a benefit of this run"):
    with st.form("cb_benefit_form", clear_on_submit=True):
        kind = st.radio("Kind", ["social", "environmental"], horizontal=True)
        basis = st.selectbox("Basis", list(BASES))
        amount = st.number_input("USD (total, or per unit)", min_value=0.0, value=None)
        avoided = st.number_input("Avoided kgCO₂e (environmental)", min_value=0.0, value=None)
        rationale = st.text_input("Rationale (required)")
        reference = st.text_input("Source of the estimate")
        if st.form_submit_button("Add the benefit"):
            if not rationale.strip():
                st.error("rationale: say why the model brings this benefit")
            elif amount is None and avoided is None:
                st.error("USD or avoided kgCO₂e: give one of them")
            else:
                benefit = Benefit(
                    run_id=view.run_id,
                    source=EntrySource.here(origin="dashboard"),
                    benefit_kind="environmental" if kind == "environmental" else "social",
                    basis=BASES[basis],
                    usd=amount,
                    avoided_kgco2e=avoided,
                    rationale=rationale.strip(),
                    reference=reference.strip(),
                )
                data.append(state, [benefit])
                st.success(f"Benefit recorded as entry `{benefit.id}`.")
