"""The report's title and its one-paragraph statement, in plain text.

The statement is meant to be pasted into a paper. It is plain text (user text included
verbatim); each format escapes the whole paragraph, so it can hold no markup of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

from accounting.reports.facts import ReportContent, ReportFacts
from accounting.reports.numbers import hours, money, percent, sig
from accounting.reports.places import place_label

KIND_WORDS = {
    "training": "training",
    "fine_tuning": "fine-tuning",
    "inference": "inference",
    "evaluation": "evaluation",
    "other": "",
}


SYNTHETIC_WARNING = (
    "SYNTHETIC DATA: every figure below was made up by `ecoledger demo --synthetic` to try "
    "the tools; nothing was measured."
)


def is_synthetic(content: ReportFacts) -> bool:
    """Whether any run of the report was made up (``ecoledger demo --synthetic``)."""
    return content.synthetic


def hardware_phrase(content: ReportFacts) -> str:
    parts = []
    for h in content.hardware:
        label = {"gpu": "GPU", "cpu": "CPU", "ram": "RAM"}.get(h.kind, h.kind)
        if h.kind == "ram":
            parts.append(f"host RAM ({h.model})" if h.model else "host RAM")
        else:
            parts.append(f"{h.count} × {h.model} ({label})")
    return ", ".join(parts) if parts else "no metered device"


def methods_phrase(content: ReportFacts) -> str:
    own = {r.run_id for r in content.runs if r.role != "training run amortized"}
    methods: dict[str, set[str]] = {}
    for d in content.devices:
        if d.run_id not in own:
            continue
        methods.setdefault(d.method, set()).add(d.kind.upper())
    return "; ".join(f"{m} ({', '.join(sorted(kinds))})" for m, kinds in sorted(methods.items()))


def title_text(content: ReportFacts) -> str:
    label = "Carbon report (SYNTHETIC, not measured)" if is_synthetic(content) else "Carbon report"
    if content.scope.kind == "run":
        run = content.runs[0]
        return f"{label}: run {run.name}"
    return f"{label}: project {content.scope.project}"


def _period(content: ReportFacts) -> str:
    starts = sorted(r.started_at[:10] for r in content.runs)
    if not starts:
        return ""
    return starts[0] if starts[0] == starts[-1] else f"{starts[0]} to {starts[-1]}"


def _statuses(content: ReportFacts) -> str:
    counts = Counter(r.status for r in content.runs)
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def statement_text(content: ReportFacts) -> str:
    t = content.totals
    cur = content.currency
    where = ", ".join(map(place_label, content.locations)) or "an unknown location"
    if content.scope.kind == "run":
        run = content.runs[0]
        kind = KIND_WORDS.get(run.kind, run.kind)
        project = f" of project {run.project}" if run.project else ""
        opening = (
            f"The {kind + ' ' if kind else ''}run {run.name}{project} (id {run.run_id[:12]}, "
            f"{run.status}, started {run.started_at[:10]}) ran for {hours(run.duration_s)} on "
            f"{hardware_phrase(content)} in {where}, using {sig(content.gpu_hours)} GPU-hours."
        )
    else:
        opening = (
            f"Project {content.scope.project} comprised {len(content.runs)} runs "
            f"({_statuses(content)}), started {_period(content)}, failed and exploratory runs "
            f"included: {hours(content.duration_s)} of runs and {sig(content.gpu_hours)} "
            f"GPU-hours on {hardware_phrase(content)} in {where}."
        )
    unverified = content.provenance.unverified
    warning = (
        [
            f"WARNING: UNVERIFIED LEDGER. The ledger this report was made from does not verify "
            f"({unverified}); its figures may have been tampered with."
        ]
        if unverified
        else []
    )
    sentences = [
        *([SYNTHETIC_WARNING] if is_synthetic(content) else []),
        *warning,
        opening,
        f"Energy was measured per device ({methods_phrase(content)}); "
        f"{percent(content.approximated_share)} of the IT energy is approximated.",
        f"The IT energy was {sig(t.get('energy_it_kwh'))} kWh, "
        f"{sig(t.get('energy_facility_kwh'))} kWh at the facility (PUE {sig(t.get('pue'))}), "
        f"with {sig(t.get('operational_kgco2e'))} kgCO2e of operational and "
        f"{sig(t.get('embodied_kgco2e'))} kgCO2e of embodied emissions and "
        f"{sig(t.get('water_l'))} L of water.",
        f"Priced with the assumptions listed in this report, the energy cost "
        f"{money(t.get('energy_cost'), cur)}, the carbon cost {money(t.get('carbon_cost'), cur)} "
        f"and the secondary costs {money(t.get('secondary_cost'), cur)}, against benefits of "
        f"{money((t.get('social_benefit') or 0.0) + (t.get('environmental_benefit') or 0.0), cur)}"
        f": a net benefit of {money(t.get('net_benefit'), cur)} (90 % interval "
        f"{sig(t.get('net_benefit_p05'))} to {sig(t.get('net_benefit_p95'))} {cur}).",
    ]
    amort = content.amortization
    if amort and amort.get("parent_run_id") and amort.get("share"):
        parent = next((r for r in content.runs if r.role != "run"), None)
        name = parent.name if parent else amort["parent_run_id"][:12]
        sentences.append(
            f"The money figures include {percent(amort['share'])} of the costs of the training "
            f"run {name} ({amort['uses']:,} of {amort['expected_uses']:,} expected "
            f"{amort['use_unit']}s)."
        )
    lowest = content.lowest_counterfactual
    if lowest is not None and len(content.counterfactuals) > 1:
        if lowest.where == "as run":
            sentences.append(
                "Of the places and hours compared, the one used had the lowest operational "
                "emissions."
            )
        else:
            sentences.append(
                f"The same energy in {place_label(lowest.where)} would have emitted "
                f"{sig(lowest.operational_kgco2e)} kgCO2e, the lowest of the places and hours "
                "compared."
            )
    if content.equivalences:
        car = content.equivalences[0]
        sentences.append(
            f"The emissions are comparable to {car.label} for {sig(car.amount)} {car.unit} "
            "(EPA 2023)."
        )
    p = content.provenance
    sentences.append(
        f"Figures computed by ecoledger {p.ecoledger_version} from ledger entries up to chain "
        f"hash {p.anchor_hash[:16]} (seq {p.anchor_seq})."
    )
    return " ".join(sentences)


def written(facts: ReportFacts) -> ReportContent:
    """The report: ``facts`` with the title and statement written from them, in one step."""
    return ReportContent(
        **{f.name: getattr(facts, f.name) for f in fields(ReportFacts)},
        title=title_text(facts),
        statement=statement_text(facts),
    )
