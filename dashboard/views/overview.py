"""Overview: totals for the chosen period and projects, the net-benefit waterfall with its
interval, and the runs that cost most."""

from __future__ import annotations

import streamlit as st

from accounting.assessment import own_money
from accounting.reports import figures
from accounting.reports.numbers import DISPLAY, money
from dashboard import data, ui

NO_PROJECT = "(no project)"

st.title("Overview")
state = ui.ledger_or_stop()
views = ui.runs_or_stop(state)

projects = sorted({v.project or NO_PROJECT for v in views})
left, right = st.columns([2, 1])
chosen_projects = left.multiselect(
    "Projects", projects, default=projects, key="overview_projects", placeholder="all projects"
)
since, until = ui.period_input(right, "Period (run start, UTC)", views, "overview_period")
selected = tuple(
    v
    for v in views
    if (v.project or NO_PROJECT) in (chosen_projects or projects) and since <= v.started_at <= until
)
if not selected:
    st.info("No run matches these filters.")
    st.stop()

with st.spinner("Assessing runs…"):
    assessed = data.overview_assessments(state, selected)
sums = data.overview_totals(state, assessed)
cur = sums.money_unit

st.caption(
    f"{sums.runs} runs · default assumptions (as `ecoledger assess RUN` with no options) · "
    "training shares amortized by inference runs are counted once"
)
c = st.columns(5)
c[0].metric("IT energy", ui.kwh(sums.energy_it_kwh), help="measured at the devices")
c[1].metric("Facility energy", ui.kwh(sums.energy_facility_kwh), help="IT energy × PUE")
c[2].metric(
    "Operational carbon",
    ui.kg(sums.operational_kgco2e),
    help="grid carbon intensity × facility energy",
)
c[3].metric("Embodied carbon", ui.kg(sums.embodied_kgco2e), help="hardware manufacturing share")
c[4].metric("Water", ui.litres(sums.water_l), help="on-site + off-site (Li et al. 2023)")
m = st.columns(5)
m[0].metric("Energy cost", money(sums.energy_cost, cur, DISPLAY))
m[1].metric("Carbon cost", money(sums.carbon_cost, cur, DISPLAY))
m[2].metric("Secondary cost", money(sums.secondary_cost, cur, DISPLAY))
m[3].metric("Social benefit", money(sums.social_benefit, cur, DISPLAY), help="declared benefits")
m[4].metric("Net benefit", money(sums.net_benefit, cur, DISPLAY))

ui.chart(
    figures.net_benefit_waterfall(sums, title="Net benefit of the selected runs"),
    key="overview_waterfall",
)
rows = [{"name": view.name, **own_money(a)} for view, a in assessed]
ui.chart(figures.costliest_runs(rows, currency=cur), key="overview_costliest")

st.subheader("Runs")
table = [
    {
        "run": view.name,
        "project": view.project or "",
        "kind": view.run_kind,
        "status": view.status,
        "started (UTC)": view.started_at.strftime("%Y-%m-%d %H:%M"),
        "IT energy (kWh)": a.energy_it_kwh,
        "operational (kgCO₂e)": a.operational_kgco2e,
        f"net benefit ({cur})": a.net_benefit,
        "open": f"./runs?run={view.run_id}",
    }
    for view, a in assessed
]
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "open": st.column_config.LinkColumn("open", display_text="open run"),
        "IT energy (kWh)": st.column_config.NumberColumn(format="%.4g"),
        "operational (kgCO₂e)": st.column_config.NumberColumn(format="%.4g"),
        f"net benefit ({cur})": st.column_config.NumberColumn(format="%.4g"),
    },
    key="overview_table",
)
