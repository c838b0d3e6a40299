"""Hugging Face model-card metadata (``co2_eq_emissions``) and its "Environmental Impact" section.

``emissions`` is in **grams** of CO2e, as the Hub expects: 1000 × the operational kgCO2e.
The YAML is written by ``yaml.safe_dump``, so user text (run names, locations) is quoted as
needed and parses back to the same string.
"""

from __future__ import annotations

from typing import Any

import yaml

from accounting.reports.document import build_document
from accounting.reports.escape import markdown_text as md
from accounting.reports.facts import ReportContent
from accounting.reports.markdown import document_markdown
from accounting.reports.numbers import sig
from accounting.reports.statement import SYNTHETIC_WARNING, hardware_phrase, methods_phrase

TRAINING_TYPES = {
    "training": "pre-training",
    "fine_tuning": "fine-tuning",
    "inference": "inference",
    "evaluation": "evaluation",
    "other": "other",
}


def _own_runs(content: ReportContent) -> list[Any]:
    return [r for r in content.runs if r.role != "training run amortized"]


def co2_eq_emissions(content: ReportContent) -> dict[str, Any]:
    kinds = dict.fromkeys(TRAINING_TYPES.get(r.kind, r.kind) for r in _own_runs(content))
    grams = 1000.0 * float(content.totals.get("operational_kgco2e") or 0.0)
    return {
        "emissions": grams,
        "source": (
            "SYNTHETIC, not measured (ecoledger demo --synthetic): " if content.synthetic else ""
        )
        + f"ecoledger {content.provenance.ecoledger_version}: energy measured per device "
        f"({methods_phrase(content)}), {content.approximated_share:.1%} approximated; "
        f"ledger chain hash {content.provenance.anchor_hash[:16]}",
        "training_type": ", ".join(kinds),
        "geographical_location": ", ".join(content.locations) or "unknown",
        "hardware_used": hardware_phrase(content),
    }


def metadata(content: ReportContent) -> dict[str, Any]:
    name = content.runs[0].name if content.scope.kind == "run" else content.scope.project
    return {"model_name": name, "co2_eq_emissions": co2_eq_emissions(content)}


def environmental_impact(content: ReportContent) -> str:
    """The Hub template's "Environmental Impact" section, filled in."""
    meta = co2_eq_emissions(content)
    clouds = sorted({loc for loc in content.locations if ":" in loc})
    provider = ", ".join(sorted({c.split(":", 1)[0].upper() for c in clouds})) or "not recorded"
    t = content.totals
    missing = t.get("not_estimated") or {}
    embodied_g = 1000.0 * float(t.get("embodied_kgco2e") or 0.0)
    embodied = (
        f"embodied in the hardware: not estimated ({missing['embodied_kgco2e']})"
        if "embodied_kgco2e" in missing
        else f"plus {sig(embodied_g)} g CO2eq embodied in the hardware"
    )
    notes = []
    if t.get("operational_kgco2e_p05") is not None:
        notes.append(
            f"- **Uncertainty (90 %):** operational {sig(1000 * t['operational_kgco2e_p05'])}–"
            f"{sig(1000 * t['operational_kgco2e_p95'])} g CO2eq; facility energy "
            f"{sig(t.get('energy_facility_kwh_p05'))}–{sig(t.get('energy_facility_kwh_p95'))} "
            f"kWh; water consumption {sig(t.get('water_l_p05'))}–{sig(t.get('water_l_p95'))} L"
            + (
                ""
                if "embodied_kgco2e" in missing or t.get("embodied_kgco2e_p05") is None
                else f"; embodied {sig(1000 * t['embodied_kgco2e_p05'])}–"
                f"{sig(1000 * t['embodied_kgco2e_p95'])} g CO2eq"
            )
        )
    if t.get("operational_market_kgco2e") is not None:
        notes.append(
            f"- **Market-based (scope 2):** {sig(1000 * t['operational_market_kgco2e'])} g CO2eq "
            "(contractual instruments; not the figure in `emissions`)"
        )
    water_labels = content.water_basis_labels
    if water_labels:
        notes.append(f"- **Water figures:** {md('; '.join(water_labels))}")
    if t.get("sci_gco2e_per_unit") is not None:
        notes.append(f"- **SCI:** {sig(t['sci_gco2e_per_unit'])} g CO2eq per {t.get('sci_unit')}")
    lines = [
        "## Environmental Impact",
        "",
        "<!-- Total emissions (in grams of CO2eq) and additional considerations, such as "
        "electricity usage, go here. -->",
        "",
        *(
            [f"**{md(SYNTHETIC_WARNING)}**", ""]
            if content.synthetic
            else [
                "Carbon emissions were measured with ecoledger (see the report below) rather "
                "than estimated from hardware and hours.",
                "",
            ]
        ),
        *(
            [f"**WARNING: UNVERIFIED LEDGER** ({md(content.provenance.unverified)}).", ""]
            if content.provenance.unverified
            else []
        ),
        f"- **Hardware Type:** {md(meta['hardware_used'])}",
        f"- **Hours used:** {sig(content.duration_s / 3600)} h ({sig(content.gpu_hours)} "
        "GPU-hours)",
        f"- **Cloud Provider:** {md(provider)}",
        f"- **Compute Region:** {md(meta['geographical_location'])}",
        f"- **Carbon Emitted:** {sig(meta['emissions'])} g CO2eq operational, scope 2 "
        f"location-based (the grid's average intensity; `emissions` above is this figure) "
        f"({embodied})",
        *notes,
        "",
    ]
    return "\n".join(lines)


def render_model_card(content: ReportContent) -> str:
    # ASCII only: non-ASCII (bidi overrides included) is written as \u escapes, and reads back
    front = yaml.safe_dump(metadata(content), sort_keys=False, allow_unicode=False, width=1000)
    body = document_markdown(build_document(content, "model-card"), heading_level=3)
    return f"---\n{front}---\n\n{environmental_impact(content)}\n{body}"
