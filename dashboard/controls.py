"""The assumption controls of the cost–benefit page → an :class:`AssumptionSettings`.

A control left at its default sets nothing (``None``), so that an untouched page assesses
exactly as ``ecoledger assess RUN`` with no options (including a run's recorded
assumptions). Each control shows, under it, the source of the factor the assessment used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from pydantic import ValidationError

from accounting.assessment import Assessment, AssumptionSettings
from accounting.errors import InputError
from accounting.factors import carbon_intensity, codecarbon_data, embodied, pue, scc, water
from accounting.runs import RunView
from dashboard.ui import cli_option, plain

RUN_OWN = "run"
COUNTRY = "country"
CLOUD = "cloud"
CUSTOM = "custom value"
AUTO = "(by the run's GPU model)"
RUN_DEFAULT = "(the run's own, else the default)"

LOCATION_LABELS = {
    RUN_OWN: "The run's own location",
    COUNTRY: "A country or region",
    CLOUD: "A cloud region",
}


@dataclass
class Controls:
    """The settings chosen, or the one-line error that prevents them."""

    settings: AssumptionSettings | None
    error: str | None
    sources: dict[str, Any] = field(default_factory=dict)
    """factor name → an ``st.empty()`` slot where its source is written."""

    def show_sources(self, assessment: Assessment) -> None:
        used = {f.name: f for f in assessment.factors}
        for name, slot in self.sources.items():
            factor = used.get(name)
            if factor is None:
                slot.caption("not used")
                continue
            value = f"{factor.value:,.6g} {factor.unit}"
            spread = "" if factor.exact else f" (range {factor.low:,.4g}–{factor.high:,.4g})"
            slot.caption(f"Used: **{value}**{spread}. Source: {plain(factor.source)}")


def _optional_amount(label: str, key: str, **options: Any) -> float | None:
    """A number input ≥ 0 that starts empty: None keeps the run's or the default value."""
    value: float | None = st.number_input(label, min_value=0.0, value=None, key=key, **options)
    return value


def _slot(container: Any, controls: Controls, name: str) -> None:
    controls.sources[name] = container.empty()


SHARED_GPU_LABELS = {"whole": "Charge it whole", "attribute": "Charge this run's share"}


def assumption_controls(view: RunView, key: str = "cb") -> Controls:
    """Render the controls for ``view``; returns the settings they describe."""
    controls = Controls(None, None)
    left, middle, right = st.columns(3, gap="large")

    with left:
        st.markdown("**Where the energy was drawn**")
        own = view.cloud or view.country or "world average"
        mode = st.radio(
            "Grid location",
            list(LOCATION_LABELS),
            format_func=lambda m: LOCATION_LABELS[m] + (f" ({own})" if m == RUN_OWN else ""),
            key=f"{key}_location_mode",
        )
        country = cloud = None
        if mode == COUNTRY:
            places = sorted(carbon_intensity.known_locations())
            start = (
                places.index(view.country.upper())
                if view.country and view.country.upper() in places
                else places.index("USA")
            )
            country = st.selectbox("Country or region", places, index=start, key=f"{key}_country")
        elif mode == CLOUD:
            regions = [f"gcp:{r}" for r in sorted(codecarbon_data.gcp_regions())]
            cloud = st.selectbox("Cloud region", regions, key=f"{key}_cloud")
        _slot(st, controls, carbon_intensity.NAME)
        market = st.number_input(
            "Market-based factor (gCO₂e/kWh)",
            min_value=0.0,
            value=None,
            step=10.0,
            placeholder="no contractual instrument",
            key=f"{key}_market_factor",
            help="scope 2 market-based: the emission factor of your PPA or green tariff; "
            "shown beside the location-based figure (dual reporting)",
        )

        pue_options = [RUN_DEFAULT, *pue.PRESETS, CUSTOM]
        pue_choice = st.selectbox(
            "PUE (facility energy / IT energy)", pue_options, key=f"{key}_pue"
        )
        pue_value = None
        if pue_choice == CUSTOM:
            pue_value = st.number_input(
                "PUE", min_value=1.0, max_value=5.0, value=1.2, step=0.01, key=f"{key}_pue_value"
            )
        _slot(st, controls, pue.NAME)

        price = _optional_amount(
            "Electricity price (USD/kWh)",
            f"{key}_price",
            step=0.01,
            format="%.4f",
            placeholder="default",
        )
        _slot(st, controls, "electricity_price")

    with middle:
        st.markdown("**Carbon and water**")
        scc_options = [*scc.PRESETS, CUSTOM]
        scc_choice = st.selectbox(
            "Social cost of carbon",
            scc_options,
            index=scc_options.index(scc.DEFAULT_PRESET),
            key=f"{key}_scc",
        )
        scc_value = None
        if scc_choice == CUSTOM:
            scc_value = st.number_input(
                "Social cost of carbon (USD/tCO₂e)",
                min_value=0.0,
                value=190.0,
                step=10.0,
                key=f"{key}_scc_value",
            )
        _slot(st, controls, scc.NAME)

        water_options = list(water.PRESETS)
        water_choice = st.selectbox(
            "Water",
            water_options,
            index=water_options.index(water.DEFAULT_PRESET),
            key=f"{key}_water",
        )
        _slot(st, controls, water.EWIF)

        embodied_options = [AUTO, *embodied.GPU_PRESETS]
        embodied_choice = st.selectbox(
            "Embodied carbon per GPU", embodied_options, key=f"{key}_embodied"
        )
        _slot(st, controls, embodied.GPU)
        shared = st.radio(
            "A GPU other processes used",
            list(SHARED_GPU_LABELS),
            format_func=SHARED_GPU_LABELS.__getitem__,
            key=f"{key}_shared_gpu",
            help="charge the whole device (conservative), or this run's estimated share from "
            "per-process SM utilization (approximated); exclusive GPUs are charged whole",
        )

    with right:
        st.markdown("**Uses and benefits**")
        expected = st.number_input(
            "Expected uses of the model",
            min_value=1,
            value=None,
            step=1000,
            placeholder=f"{view.expected_uses:,}" if view.expected_uses else "not set",
            key=f"{key}_expected_uses",
            help="the training cost is spread over this many uses (amortization)",
        )
        benefit = _optional_amount(
            "Benefit per use (USD)",
            f"{key}_benefit_per_use",
            step=0.001,
            format="%.6f",
            placeholder="from the run's benefit entries",
            help="what one request, item or token is worth; drives the break-even",
        )

    try:
        controls.settings = AssumptionSettings(
            country=country,
            cloud=cloud,
            pue=pue_value,
            pue_preset=pue_choice if pue_choice not in (RUN_DEFAULT, CUSTOM) else None,
            price_per_kwh=price,
            scc=scc_choice if scc_choice not in (scc.DEFAULT_PRESET, CUSTOM) else None,
            scc_usd_per_t=scc_value,
            water=water_choice if water_choice != water.DEFAULT_PRESET else None,
            embodied=embodied_choice if embodied_choice != AUTO else None,
            expected_uses=int(expected) if expected is not None else None,
            benefit_per_use_usd=benefit,
            market_factor=market,
            shared_gpu="attribute" if shared == "attribute" else "whole",
        )
    except (ValidationError, InputError) as exc:
        controls.error = _one_line(exc)
    return controls


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        loc = error.get("loc") or ()
        name = str(loc[0]) if loc else "assumptions"
        return f"{name}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}"
    return str(exc).strip().splitlines()[0]


def cli_equivalent(run_id: str, settings: AssumptionSettings) -> str:
    """The ``ecoledger assess`` command that gives the same assessment."""
    parts = ["ecoledger", "assess", run_id[:12]]
    for name, value in settings.chosen().items():
        option = cli_option(name)
        text = ",".join(value) if isinstance(value, list | tuple) else str(value)
        parts += [option, text]
    return " ".join(parts + ["--json"])
