"""Compare: runs side by side, and the counterfactual chart (the same measured energy in
other regions, or at other start hours with an intensity time series)."""

from __future__ import annotations

import streamlit as st

from accounting.assessment import AssumptionSettings, own_money
from accounting.errors import InputError
from accounting.factors import carbon_intensity, codecarbon_data
from accounting.reports import figures
from accounting.reports.numbers import DISPLAY, money
from dashboard import data, ui

DEFAULT_COUNTRIES = ("FRA", "DEU", "POL", "SWE", "USA")
DEFAULT_CLOUDS = ("gcp:europe-north1", "gcp:us-central1")
ROWS = (
    ("energy_it_kwh", "IT energy (kWh)"),
    ("energy_facility_kwh", "Facility energy (kWh)"),
    ("pue", "PUE"),
    ("operational_kgco2e", "Operational carbon (kgCO₂e)"),
    ("embodied_kgco2e", "Embodied carbon (kgCO₂e)"),
    ("water_l", "Water (L)"),
    ("energy_cost", "Energy cost (USD)"),
    ("carbon_cost", "Carbon cost (USD)"),
    ("secondary_cost", "Secondary cost (USD)"),
    ("social_benefit", "Social benefit (USD)"),
    ("environmental_benefit", "Environmental benefit (USD)"),
    ("net_benefit", "Net benefit (USD)"),
    ("net_benefit_p05", "Net benefit p05 (USD)"),
    ("net_benefit_p95", "Net benefit p95 (USD)"),
    ("break_even_uses", "Break-even (uses)"),
)


def _cell(value: object) -> str:
    """One table cell as text (the columns mix numbers and words)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


st.title("Compare")
state = ui.ledger_or_stop()
views = ui.runs_or_stop(state)
ids = [v.run_id for v in views]
by_id = {v.run_id: v for v in views}

st.subheader("Runs side by side")
chosen = st.multiselect(
    "Runs",
    ids,
    default=ids[: min(4, len(ids))],
    format_func=lambda run_id: ui.run_label(by_id[run_id]),
    key="cmp_runs",
)
if chosen:
    assessed = [(by_id[run_id], data.assessment(state, by_id[run_id])) for run_id in chosen]
    docs = [(v, a.to_json()) for v, a in assessed]
    header = [f"{v.name} ({v.run_id[:8]})" for v, _ in docs]
    table = [
        {"": label, **{h: _cell(doc.get(key)) for h, (_, doc) in zip(header, docs, strict=True)}}
        for key, label in ROWS
    ]
    table.insert(0, {"": "Status", **{h: v.status for h, (v, _) in zip(header, docs, strict=True)}})
    table.insert(
        1, {"": "Location", **{h: a.location for h, (_, a) in zip(header, assessed, strict=True)}}
    )
    st.dataframe(table, hide_index=True, key="cmp_table", height=36 * (len(table) + 1) + 4)
    ui.chart(
        figures.costliest_runs(
            [{"name": v.name, **own_money(a)} for v, a in assessed],
            title="Costs side by side",
        ),
        key="cmp_costs",
    )
else:
    st.info("Choose runs to compare.")

st.subheader("Counterfactuals: the same energy elsewhere, or at another hour")
view = ui.pick_run(views, key="cmp_cf_run", label="Run")
own = (view.country or "").upper()
places = sorted(carbon_intensity.known_locations())
regions = [f"gcp:{r}" for r in sorted(codecarbon_data.gcp_regions())]
c1, c2 = st.columns(2)
countries = c1.multiselect(
    "Countries or regions",
    places,
    default=[c for c in DEFAULT_COUNTRIES if c != own and c in places],
    key="cmp_countries",
)
clouds = c2.multiselect(
    "Cloud regions", regions, default=[c for c in DEFAULT_CLOUDS if c in regions], key="cmp_clouds"
)
series = st.text_input(
    "Carbon-intensity time series (CSV path on the server, optional: adds other start hours)",
    key="cmp_series",
    placeholder="/path/to/intensity.csv  (timestamp, gCO2e/kWh; hourly or finer)",
)
try:
    settings = AssumptionSettings(
        compare_countries=tuple(countries),
        compare_clouds=tuple(clouds),
        intensity_csv=series.strip() or None,
    )
    assessment = data.assessment(state, view, settings)
except (InputError, ValueError) as exc:
    st.error(ui.error_text(exc))
    st.stop()
ui.chart(
    figures.counterfactual_bars(assessment.counterfactuals, assessment.money_unit),
    key="cmp_counterfactuals",
)
best = min(assessment.counterfactuals, key=lambda c: c.operational_kgco2e, default=None)
if best is not None and best.saving_kgco2e > 0:
    st.caption(
        f"Lowest: **{ui.plain(best.where)}**, saving {ui.kg(best.saving_kgco2e)} and "
        f"{money(best.saving_usd, assessment.money_unit, DISPLAY)} of carbon cost against "
        f"{ui.plain(assessment.location)}."
    )
