"""The report as a format-neutral document: sections of paragraphs, tables and lists.

Markdown, LaTeX and HTML render this same document, so they carry the same rows in the same
order with the same digits. Every cell and paragraph is plain text (user text verbatim);
the renderers escape each one.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from accounting.reports.facts import AssumptionLine, ReportContent
from accounting.reports.numbers import MISSING, hours, money, percent, sig
from accounting.reports.places import place_label

TRAILER_TAG = "ecoledger-report:v1"


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    """Right-align these columns."""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    items: tuple[str, ...] = ()
    code: str | None = None
    after: tuple[str, ...] = ()
    """Paragraphs after the table."""


@dataclass(frozen=True)
class Document:
    title: str
    statement: str
    sections: tuple[Section, ...]
    trailer: str
    """Base64 JSON that lets ``verify`` regenerate this report (scope, settings, command)."""


# The rows of the summary table: (label, key in totals, unit). The same in every format.
SUMMARY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("IT energy (measured at the devices)", "energy_it_kwh", "kWh"),
    ("PUE", "pue", "ratio"),
    ("Facility energy (IT × PUE)", "energy_facility_kwh", "kWh"),
    ("Operational emissions", "operational_kgco2e", "kgCO2e"),
    ("Embodied emissions (hardware)", "embodied_kgco2e", "kgCO2e"),
    ("Water, on-site", "water_onsite_l", "L"),
    ("Water, off-site (electricity)", "water_offsite_l", "L"),
    ("Water, total", "water_l", "L"),
    ("Social benefit", "social_benefit", "$"),
    ("Environmental benefit", "environmental_benefit", "$"),
    ("− Energy cost", "energy_cost", "$"),
    ("− Carbon cost", "carbon_cost", "$"),
    ("− Secondary cost (embodied carbon, water)", "secondary_cost", "$"),
    ("= Net benefit", "net_benefit", "$"),
    ("Net benefit, p05 (Monte Carlo)", "net_benefit_p05", "$"),
    ("Net benefit, p50 (Monte Carlo)", "net_benefit_p50", "$"),
    ("Net benefit, p95 (Monte Carlo)", "net_benefit_p95", "$"),
)


def summary_table(content: ReportContent) -> Table:
    rows = []
    missing = content.totals.get("not_estimated") or {}
    for label, key, unit in SUMMARY_ROWS:
        if key in missing:
            rows.append((label, f"not estimated ({missing[key]})", unit))
            continue
        rows.append(
            (label, sig(content.totals.get(key)), content.currency if unit == "$" else unit)
        )
    uses = content.totals.get("break_even_uses")
    rows.append(
        ("Break-even (uses)", f"{uses:,}" if isinstance(uses, int) else "never / n.a.", "uses")
    )
    return Table(("Quantity", "Value", "Unit"), tuple(rows), (False, True, False))


def _runs_table(content: ReportContent) -> Table:
    rows = tuple(
        (
            r.name,
            r.role,
            r.kind,
            r.status,
            r.started_at[:16].replace("T", " "),
            hours(r.duration_s),
            sig(r.gpu_hours),
            sig(r.energy_it_kwh),
            sig(r.operational_kgco2e),
            place_label(r.location) if r.location else MISSING,
        )
        for r in content.runs
    )
    return Table(
        (
            "Run",
            "Role",
            "Kind",
            "Status",
            "Started (UTC)",
            "Duration",
            "GPU-hours",
            "IT energy (kWh)",
            "Operational (kgCO2e)",
            "Location",
        ),
        rows,
        (False, False, False, False, False, True, True, True, True, False),
    )


def _devices_table(content: ReportContent) -> Table:
    rows = tuple(
        (
            d.run_name,
            d.kind.upper(),
            d.model,
            d.device_id,
            d.host,
            d.method,
            "yes" if d.approximated else "no",
            sig(d.energy_kwh),
        )
        for d in content.devices
    )
    return Table(
        ("Run", "Kind", "Model", "Device", "Host", "Method", "Approximated", "IT energy (kWh)"),
        rows,
        (False, False, False, False, False, False, False, True),
    )


def _assumption_row(line: AssumptionLine, project: bool) -> tuple[str, ...]:
    f = line.factor
    notes = (
        f"boundary: {f.boundary}" if f.boundary else "",
        f"{f.dollar_year} USD" if f.dollar_year else "",
    )
    return (
        f.name + (f" ({line.runs} runs)" if project else ""),
        sig(f.value),
        f.unit,
        f"{sig(f.low)} – {sig(f.high)}",
        f.distribution_text or MISSING,
        str(f.year) if f.year else MISSING,
        ", ".join(part for part in notes if part) or MISSING,
        f.source,
    )


def _assumptions_table(content: ReportContent) -> Table:
    project = content.scope.kind == "project"
    rows = tuple(_assumption_row(a, project) for a in content.assumptions)
    return Table(
        (
            "Factor",
            "Value",
            "Unit",
            "Range (low – high)",
            "Distribution",
            "Year",
            "Boundary / dollars",
            "Source",
        ),
        rows,
        (False, True, False, False, False, False, False, False),
    )


INTERVAL_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Facility energy", "energy_facility_kwh", "kWh"),
    ("Operational emissions (location-based)", "operational_kgco2e", "kgCO2e"),
    ("Embodied emissions", "embodied_kgco2e", "kgCO2e"),
    ("Water consumption", "water_l", "L"),
)


def _intervals_table(content: ReportContent) -> Table:
    t = content.totals
    missing = t.get("not_estimated") or {}
    rows = []
    for label, key, unit in INTERVAL_ROWS:
        if key in missing:
            rows.append((label, f"not estimated ({missing[key]})", "", "", "", unit))
            continue
        rows.append(
            (
                label,
                sig(t.get(key)),
                sig(t.get(f"{key}_p05")),
                sig(t.get(f"{key}_p50")),
                sig(t.get(f"{key}_p95")),
                unit,
            )
        )
    rows.append(
        (
            "Net benefit",
            sig(t.get("net_benefit")),
            sig(t.get("net_benefit_p05")),
            sig(t.get("net_benefit_p50")),
            sig(t.get("net_benefit_p95")),
            content.currency,
        )
    )
    return Table(
        ("Quantity", "Central", "p05", "p50", "p95", "Unit"),
        tuple(rows),
        (False, True, True, True, True, False),
    )


def _water_bases(content: ReportContent) -> str:
    """`` Water figures: national figure for USA (...)``: which water figures each run used."""
    labels = content.water_basis_labels
    return f" Water figures: {'; '.join(labels)}." if labels else ""


def _methodology(content: ReportContent) -> Section:
    t = content.totals
    market = t.get("operational_market_kgco2e")
    a = content.runs[0].assessment if content.runs and content.scope.kind == "run" else None
    items = [
        f"Money: every amount is in {content.currency} (BLS CPI-U annual averages; each money "
        "factor converted from its own dollar year).",
        f"Scope 2, location-based (headline): {sig(t.get('operational_location_kgco2e'))} kgCO2e.",
        "Scope 2, market-based: "
        + (
            f"{sig(market)} kgCO2e ({(a and a.market_instrument) or 'contractual instruments'})."
            if market is not None
            else "not reported (no contractual instrument given: a market factor or "
            "a renewable share)."
        ),
        "Water is consumption (water withdrawn and not returned), on-site cooling plus "
        "off-site electricity generation." + _water_bases(content),
    ]
    if t.get("sci_gco2e_per_unit") is not None:
        items.append(
            f"SCI (ISO/IEC 21031:2024): {sig(t['sci_gco2e_per_unit'])} gCO2e per "
            f"{t.get('sci_unit')} = (E × I + M) / R, embodied M by time-share."
        )
    scenarios = a.scc_scenarios if a else ()
    if len(scenarios) > 1:
        items.append(
            "Net benefit at the SCC source's other discount rates (scenarios, not drawn): "
            + "; ".join(
                f"{s.discount_rate}: {sig(s.net_benefit)} {content.currency}" for s in scenarios
            )
            + "."
        )
    ranking = a.sensitivity_ranking if a else ()
    if a and ranking:
        items.append(
            f"Sensitivity of {a.sensitivity_of} (one factor at a time over its range): "
            + ", ".join(f"{r.factor} {sig(r.swing)}" for r in ranking[:5])
            + "."
        )
    return Section(
        "uncertainty",
        "Uncertainty, scope 2 and functional unit",
        paragraphs=(
            "90 % intervals from a Monte Carlo whose draws have each published value as their "
            "mean (Beta-PERT; lognormal for the social cost of carbon). A project is drawn "
            "jointly: shared factors once for all runs, each run's measurement on its own.",
        ),
        table=_intervals_table(content),
        after=tuple(items),
    )


def _counterfactual_table(content: ReportContent) -> Table:
    rows = tuple(
        (
            place_label(c.where) + (" (lowest)" if c.lowest else ""),
            c.kind,
            sig(c.operational_kgco2e),
            sig(c.carbon_cost),
            sig(c.saving_kgco2e),
        )
        for c in content.counterfactuals
    )
    return Table(
        (
            "Where / when",
            "Kind",
            "Operational (kgCO2e)",
            f"Carbon cost ({content.currency})",
            "Saving (kgCO2e)",
        ),
        rows,
        (False, False, True, True, True),
    )


def _amortization(content: ReportContent) -> Section | None:
    a = content.amortization
    if not a or not a.get("parent_run_id"):
        return None
    parent = next((r for r in content.runs if r.role != "run"), None)
    cur = content.currency
    items = (
        f"Training run: {parent.name if parent else a['parent_run_id']} "
        f"(id {a['parent_run_id'][:12]})",
        f"Expected uses of the model: {a['expected_uses']:,}"
        if a.get("expected_uses")
        else "Expected uses of the model: not given",
        f"Uses in this run: {a['uses']:,} {a['use_unit']}s; share of the training cost carried: "
        f"{percent(a.get('share'))}",
        f"Training cost: {money(a.get('training_cost'), cur)}; per use: "
        f"{money(a.get('training_cost_per_use'), cur)}",
        f"This run's own cost per use: {money(a.get('own_cost_per_use'), cur)}; "
        f"total cost per use: {money(a.get('cost_per_use'), cur)}",
        f"Note: {a.get('note') or MISSING}",
    )
    return Section("amortization", "Amortized training", items=items)


def trailer_data(content: ReportContent, fmt: str) -> dict[str, Any]:
    p = content.provenance
    return {
        "format": fmt,
        "scope": content.scope.to_json(),
        "settings_requested": p.settings_requested,
        "command": p.command,
        "generated_at": p.generated_at,
        "anchor_seq": p.anchor_seq,
        "anchor_hash": p.anchor_hash,
    }


def encode_trailer(data: dict[str, Any]) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def decode_trailer(text: str) -> dict[str, Any] | None:
    """Find ``ecoledger-report:v1 BASE64`` in a report's text and decode it."""
    at = text.rfind(TRAILER_TAG)
    if at < 0:
        return None
    token = (
        text[at + len(TRAILER_TAG) :].split()[0] if text[at + len(TRAILER_TAG) :].split() else ""
    )
    try:
        data = json.loads(base64.b64decode(token, validate=True))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def build_document(content: ReportContent, fmt: str) -> Document:
    sections: list[Section] = []
    sections.append(
        Section(
            "summary",
            "Energy, emissions, water and the net-benefit identity",
            paragraphs=(
                "net benefit = social benefit + environmental benefit − energy cost − carbon "
                "cost − secondary cost. The p05–p95 interval comes from a Monte Carlo over "
                "every factor's range.",
            ),
            table=summary_table(content),
        )
    )
    sections.append(_methodology(content))
    hardware = tuple(
        f"{h.count} × {h.model} ({h.kind.upper()}) on {h.hosts} host(s)"
        + (f"; {h.facts}" if h.facts else "")
        for h in content.hardware
    )
    sections.append(
        Section(
            "hardware",
            "Hardware, location, duration",
            items=hardware
            + (
                f"Location (grid): {', '.join(map(place_label, content.locations)) or MISSING}",
                f"Duration: {hours(content.duration_s)} ({sig(content.duration_s)} s)",
                f"GPU-hours: {sig(content.gpu_hours)}",
            ),
        )
    )
    sections.append(Section("runs", "Runs", table=_runs_table(content)))
    sections.append(
        Section(
            "methods",
            "Measurement methods",
            paragraphs=(
                f"{percent(content.approximated_share)} of the IT energy comes from approximated "
                "methods (TDP × load, RAM estimates); the rest was read from hardware energy "
                "counters or sampled power.",
            ),
            table=_devices_table(content),
        )
    )
    amortization = _amortization(content)
    if amortization is not None:
        sections.append(amortization)
    settings = ", ".join(f"{k} = {v}" for k, v in sorted(content.settings.items()))
    sections.append(
        Section(
            "assumptions",
            "Assumptions and their sources",
            paragraphs=(f"Settings chosen: {settings or 'defaults'}.",),
            table=_assumptions_table(content),
        )
    )
    lowest = content.lowest_counterfactual
    if content.counterfactuals:
        mitigation = (
            f"Lowest operational emissions: {place_label(lowest.where)}." if lowest else "",
            "The same measured energy priced at other places (and, with an intensity series, "
            "other start hours).",
        )
        sections.append(
            Section(
                "counterfactuals",
                "Mitigation: other places and hours",
                paragraphs=tuple(p for p in mitigation if p),
                table=_counterfactual_table(content),
            )
        )
    else:
        sections.append(
            Section(
                "counterfactuals",
                "Mitigation: other places and hours",
                paragraphs=(
                    "No counterfactual was computed (set compare_countries or compare_clouds "
                    "in the assumptions file).",
                ),
            )
        )
    problems = tuple(
        f"{p.run_name}: [{p.severity}] {p.code}: {p.message}"
        + (f" (device {p.device_id})" if p.device_id else "")
        for p in content.problems
    )
    sections.append(Section("problems", "Problems recorded", items=problems or ("None recorded.",)))
    total_kg = (content.totals.get("operational_kgco2e") or 0.0) + (
        content.totals.get("embodied_kgco2e") or 0.0
    )
    sections.append(
        Section(
            "equivalences",
            "In familiar terms",
            paragraphs=(f"Operational + embodied emissions: {sig(total_kg)} kgCO2e, about:",),
            items=tuple(
                f"{sig(e.amount)} {e.unit} of {e.label} (source: {e.source})"
                for e in content.equivalences
            ),
        )
    )
    if content.notes:
        sections.append(Section("notes", "Notes", items=content.notes))
    p = content.provenance
    sections.append(
        Section(
            "reproducibility",
            "Reproducibility",
            items=(
                f"Ledger: {p.ledger}",
                f"Chain hash at the last entry used: {p.anchor_hash} (seq {p.anchor_seq}); "
                f"check with: ecoledger verify --anchor {p.anchor_seq}:{p.anchor_hash}",
                f"ecoledger version: {p.ecoledger_version}",
                f"Generated at: {p.generated_at}",
                "Monte Carlo: "
                + (
                    f"{content.interval.get('draws', MISSING)} draws, seed "
                    f"{content.interval.get('seed', MISSING)}"
                    if content.interval and "draws" in content.interval
                    else (content.interval or {}).get("method", MISSING)
                ),
            ),
            paragraphs=("Regenerate this report with:",) if p.command else (),
            code=p.command or None,
        )
    )
    sections.append(
        Section(
            "references",
            "References",
            items=tuple(r.text for r in content.references),
        )
    )
    return Document(
        content.title,
        content.statement,
        tuple(sections),
        encode_trailer(trailer_data(content, fmt)),
    )
