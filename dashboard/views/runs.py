"""Runs: a filterable table, and one run in detail (power timeline, energy by device,
phase, step and request, problems). A run still being written refreshes every few
seconds without reloading the page."""

from __future__ import annotations

import streamlit as st

from accounting.reports import figures
from accounting.reports.figures.run_charts import device_labels
from accounting.reports.numbers import DISPLAY, money
from accounting.units import j_to_wh
from dashboard import data, ui

LIVE_REFRESH_S = 3
NO_PROJECT = "(no project)"

st.title("Runs")
state = ui.ledger_or_stop(banner=False)
views = ui.runs_or_stop(state)

with st.expander("Filter runs", expanded=True):
    f = st.columns(4)
    projects = sorted({v.project or NO_PROJECT for v in views})
    kinds = sorted({v.run_kind for v in views})
    statuses = sorted({v.status for v in views})
    pick_projects = f[0].multiselect("Project", projects, key="runs_project", placeholder="all")
    pick_kinds = f[1].multiselect("Kind", kinds, key="runs_kind", placeholder="all")
    pick_status = f[2].multiselect("Status", statuses, key="runs_status", placeholder="all")
    since, until = ui.period_input(f[3], "Started (UTC)", views, "runs_period")
shown = [
    v
    for v in views
    if (not pick_projects or (v.project or NO_PROJECT) in pick_projects)
    and (not pick_kinds or v.run_kind in pick_kinds)
    and (not pick_status or v.status in pick_status)
    and since <= v.started_at <= until
]
st.dataframe(
    [
        {
            "run": v.name,
            "project": v.project or "",
            "kind": v.run_kind,
            "status": v.status,
            "started (UTC)": v.started_at.strftime("%Y-%m-%d %H:%M"),
            "duration": ui.duration(v.duration_s),
            "IT energy (kWh)": v.energy_it_kwh,
            "GPU-hours": v.gpu_hours,
            "devices": len(v.devices),
            "problems": len(v.problems),
            "run id": v.run_id,
        }
        for v in shown
    ],
    hide_index=True,
    column_config={
        "IT energy (kWh)": st.column_config.NumberColumn(format="%.4g"),
        "GPU-hours": st.column_config.NumberColumn(format="%.3g"),
    },
    key="runs_table",
)
if not shown:
    st.info("No run matches these filters.")
    st.stop()

picked = ui.pick_run(shown, key="runs_pick", label="Open run")


def run_detail(run_id: str) -> None:
    here = data.current() if live else state  # a live fragment reads the newest entries
    if here.ledger is None:
        st.error(f"Cannot read the ledger. {ui.plain(here.error)}")
        return
    view = data.run(here, run_id)
    st.subheader(ui.plain(view.name))
    if view.synthetic:
        st.error(
            "SYNTHETIC RUN: made up by `ecoledger demo --synthetic`; nothing here was measured.",
            icon="⚠️",
        )
    st.markdown(
        f"{ui.status_badge(view.status)} · {view.run_kind} · project "
        f"**{ui.plain(view.project or '—')}** · started {ui.when(view.started_at)} · "
        f"{ui.duration(view.duration_s)} · run id `{view.run_id}`"
    )
    if view.status == "running":
        st.caption(
            f"Live: refreshes every {LIVE_REFRESH_S} s · last entry {ui.when(view.last_recorded_at)}"
        )
    assessment = data.assessment(here, view)
    cur = assessment.money_unit
    m = st.columns(3) + st.columns(3)
    m[0].metric("IT energy", ui.kwh(assessment.energy_it_kwh))
    m[1].metric(
        "Facility energy", ui.kwh(assessment.energy_facility_kwh), help=f"PUE {assessment.pue:g}"
    )
    m[2].metric(
        "Operational carbon",
        ui.kg(assessment.operational_kgco2e),
        help=ui.plain(assessment.location),
    )
    m[3].metric("Water", ui.litres(assessment.water_l))
    m[4].metric("GPU-hours", f"{view.gpu_hours:.3g} h")
    m[5].metric(
        "Net benefit",
        money(assessment.net_benefit, cur, DISPLAY),
        help="default assumptions; see Cost–benefit",
    )

    ui.chart(
        figures.power_timeline(data.power(here, view.run_id), device_labels(view)),
        key=f"power_{view.run_id}",
    )
    ui.chart(figures.energy_by_device_and_phase(view), key=f"energy_{view.run_id}")
    st.dataframe(
        [
            {
                "device": d.device_id,
                "kind": d.kind,
                "model": d.model,
                "method": d.method,
                "approximated": "≈ yes" if d.approximated else "no",
                "energy (Wh)": j_to_wh(d.energy_j),
                "host": d.host,
                "rank": "—" if d.rank is None else str(d.rank),
            }
            for d in view.devices
        ],
        hide_index=True,
        column_config={"energy (Wh)": st.column_config.NumberColumn(format="%.4g")},
        key=f"devices_{view.run_id}",
    )
    if any(w.key.startswith("step:") for w in view.windows):
        ui.chart(figures.energy_per_step(view), key=f"steps_{view.run_id}")
    if view.usage.requests or any(w.key.startswith("request") for w in view.windows):
        u = st.columns(4)
        u[0].metric("Requests", f"{view.usage.requests:,}")
        u[1].metric("Tokens", f"{view.usage.tokens:,}")
        a = assessment.amortization
        u[2].metric(
            f"Cost per {a.use_unit}",
            money(a.cost_per_use, cur, DISPLAY) if a.cost_per_use is not None else "—",
            help="own cost per use + amortized training cost per use",
        )
        u[3].metric(
            "Training run amortized",
            f"{a.share:.2%}" if a.applied else "—",
            help=ui.plain(a.note)
            if a.note
            else "share of the training run's cost carried by this run",
        )
        ui.chart(figures.energy_per_request(view), key=f"requests_{view.run_id}")
    st.markdown("**Problems**")
    if not view.problems:
        st.caption("None recorded.")
    for p in view.problems:
        show = {"error": st.error, "warning": st.warning}.get(p.severity, st.info)
        code = p.code if p.code.replace("_", "").isalnum() else ui.plain(p.code)
        show(f"**{code}**: {ui.plain(p.message)}")
    for note in assessment.notes:
        st.caption(f"Note: {ui.plain(note)}")


ui.chain_banner(state, picked.run_id)
live = not picked.finished
if live:
    st.fragment(run_every=LIVE_REFRESH_S)(run_detail)(picked.run_id)
else:
    run_detail(picked.run_id)
