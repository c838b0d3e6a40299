"""The facts of a report, gathered once from the ledger and the assessment.

Every format (Markdown, LaTeX, HTML, PDF, JSON, model card) renders the same
:class:`ReportContent`, so they all say the same thing. ``ReportContent.to_json()`` is the
JSON report; ``verify_report`` recomputes it from the ledger and compares.

A **run report** covers one run and, for an inference run, the training run it amortizes.
Its ``totals`` are exactly the stable keys of ``ecoledger assess RUN --json``.

A **project report** covers every run of a project started in ``[since, until]``, failed and
exploratory runs included. Its totals add up the runs' own terms: an inference run's money
keys carry a share of its training run's cost, which is taken out again so that a training
run in the same project is not counted twice. The project's p05/p50/p95 come from one joint
Monte Carlo over its runs (:mod:`accounting.assessment.project`): factors shared by runs are
one draw, each run's energy measurement its own, and percentiles are never summed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from accounting.assessment import AssumptionSettings, assess_run
from accounting.assessment.aggregate import ADDITIVE, Totals, aggregate
from accounting.assessment.project import METHOD as PROJECT_METHOD
from accounting.assessment.result import Assessment
from accounting.errors import InputError
from accounting.factors.factor import Factor
from accounting.reader import LedgerReader
from accounting.reports import equivalences as eq
from accounting.reports import references as refs
from accounting.reports import statement
from accounting.reports.facts import (
    AssumptionLine,
    CounterfactualLine,
    DeviceFacts,
    HardwareLine,
    ProblemLine,
    Provenance,
    ReportContent,
    ReportFacts,
    RunFacts,
    Scope,
)
from accounting.runs import RunView, list_runs, load_run
from accounting.units import j_to_kwh
from accounting.version import version_text

STABLE_KEYS = (
    ADDITIVE[0],
    "pue",
    *ADDITIVE[1:],
    "currency",
    "net_benefit_p05",
    "net_benefit_p50",
    "net_benefit_p95",
    "break_even_uses",
)
"""The stable keys of ``ecoledger assess --json``, in order: the totals of every report."""
INTERVAL_QUANTITIES = ("energy_facility_kwh", "operational_kgco2e", "embodied_kgco2e", "water_l")
INTERVAL_KEYS = tuple(f"{key}_{p}" for key in INTERVAL_QUANTITIES for p in ("p05", "p50", "p95"))
METHOD_KEYS = (
    *INTERVAL_KEYS,
    "dollar_year",
    "money_unit",
    "scope2_method",
    "operational_location_kgco2e",
    "operational_market_kgco2e",
    "sci_gco2e_per_unit",
    "sci_unit",
    "not_estimated",
)
"""Methodology keys (issue 15) carried in the totals beside the stable keys."""


# -- gathering ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gathered:
    """What the figures need beyond the content: the views and assessment objects."""

    content: ReportContent
    views: tuple[RunView, ...]
    assessments: tuple[Assessment | None, ...]
    """One per view; None for a run without energy."""
    totals: Totals | None = None
    """A project's totals (a run report's are its assessment's)."""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def parse_when(text: str | None, option: str, end_of_day: bool) -> datetime | None:
    """``YYYY-MM-DD`` (the whole day) or an ISO datetime (UTC when no offset is given)."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"`{option}`: expected a date YYYY-MM-DD or an ISO datetime, got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _has_energy(view: RunView) -> bool:
    return bool(view.devices)


def _assess(ledger: LedgerReader, view: RunView, settings: AssumptionSettings | None) -> Assessment:
    return assess_run(ledger, view.run_id, settings)


def _location(view: RunView, assessment: Assessment | None) -> str | None:
    if assessment is not None and assessment.location:
        return assessment.location
    return view.cloud or view.country


def _run_facts(view: RunView, role: str, assessment: Assessment | None) -> RunFacts:
    return RunFacts(
        role=role,
        run_id=view.run_id,
        name=view.name,
        project=view.project,
        kind=view.run_kind,
        status=view.status,
        started_at=_iso(view.started_at) or "",
        ended_at=_iso(view.ended_at),
        duration_s=view.duration_s,
        gpu_hours=view.gpu_hours,
        energy_it_kwh=view.energy_it_kwh,
        approximated_share=view.approximated_share,
        location=_location(view, assessment),
        hosts=view.hosts,
        tags=view.tags,
        assessment=assessment,
    )


def _hardware(views: Sequence[RunView]) -> tuple[HardwareLine, ...]:
    groups: dict[tuple[str, str], dict[str, set[Any]]] = {}
    for view in views:
        for d in view.devices:
            g = groups.setdefault(
                (d.kind, d.model), {"devices": set(), "hosts": set(), "facts": set()}
            )
            g["devices"].add((d.host, d.device_id))
            g["hosts"].add(d.host)
            facts = (d.power_limit_w, d.driver_version, d.memory_total_mib)
            if any(f is not None for f in facts):
                g["facts"].add(facts)
    order = {"gpu": 0, "cpu": 1, "ram": 2}
    return tuple(
        HardwareLine(
            kind,
            model,
            len(g["devices"]),
            len(g["hosts"]),
            # one set of facts for the group when its devices agree; else none is claimed
            *(next(iter(g["facts"])) if len(g["facts"]) == 1 else (None, None, None)),
        )
        for (kind, model), g in sorted(
            groups.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0])
        )
    )


def _devices(views: Sequence[RunView]) -> tuple[DeviceFacts, ...]:
    return tuple(
        DeviceFacts(
            run_id=view.run_id,
            run_name=view.name,
            device_id=d.device_id,
            kind=d.kind,
            model=d.model,
            method=d.method,
            approximated=d.approximated,
            energy_kwh=j_to_kwh(d.energy_j),
            host=d.host,
            rank=d.rank,
        )
        for view in views
        for d in view.devices
    )


def _assumptions(assessed: Sequence[Assessment]) -> tuple[AssumptionLine, ...]:
    """Each factor once, in the order first used, with how many runs used it."""
    runs: dict[Factor, int] = {}
    for assessment in assessed:
        for factor in assessment.factors:
            runs[factor] = runs.get(factor, 0) + 1
    return tuple(AssumptionLine(factor, count) for factor, count in runs.items())


def _counterfactuals(assessed: Sequence[Assessment]) -> tuple[CounterfactualLine, ...]:
    """Counterfactual places/hours summed over the runs; only those every run was priced at."""
    if not assessed:
        return ()
    sums: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for assessment in assessed:
        for c in assessment.counterfactuals:
            where = "as run" if c.kind == "actual" else c.where
            s = sums.setdefault(where, {"kind": c.kind, "kg": 0.0, "usd": 0.0, "saving": 0.0})
            s["kg"] += c.operational_kgco2e
            s["usd"] += c.carbon_cost
            s["saving"] += c.saving_kgco2e
            counts[where] = counts.get(where, 0) + 1
    complete = {w: s for w, s in sums.items() if counts[w] == len(assessed)}
    if not complete:
        return ()
    lowest = min(complete, key=lambda w: (complete[w]["kg"], w != "as run"))
    return tuple(
        CounterfactualLine(w, s["kind"], s["kg"], s["usd"], s["saving"], w == lowest)
        for w, s in complete.items()
    )


def _problems(views: Sequence[RunView]) -> tuple[ProblemLine, ...]:
    return tuple(
        ProblemLine(view.name, p.code, p.severity, p.message, p.device_id)
        for view in views
        for p in view.problems
    )


def _project_totals(totals: Totals) -> dict[str, Any]:
    """The stable keys and methodology keys of a project's :class:`Totals`."""
    out: dict[str, Any] = {key: getattr(totals, key) for key in ADDITIVE}
    out["pue"] = totals.pue
    out["currency"] = totals.currency
    out["break_even_uses"] = None
    for key in ("net_benefit", *INTERVAL_QUANTITIES):
        for p in ("p05", "p50", "p95"):
            out[f"{key}_{p}"] = totals.percentile(key, p)
    out = {key: out[key] for key in STABLE_KEYS + INTERVAL_KEYS}
    out["dollar_year"] = None
    out["money_unit"] = None
    out["scope2_method"] = "location-based"
    out["operational_location_kgco2e"] = 0.0
    out["operational_market_kgco2e"] = None
    out["sci_gco2e_per_unit"] = None
    out["sci_unit"] = None
    out["not_estimated"] = dict(totals.not_estimated)
    return out


def _scope2_keys(assessed: Sequence[Assessment]) -> dict[str, Any]:
    """The first run's dollar year, and the location- and market-based operational sums (the
    market-based one only when every run has one)."""
    first = assessed[0] if assessed else None
    markets = [a.operational_market_kgco2e for a in assessed]
    known = [float(m) for m in markets if m is not None]
    return {
        "dollar_year": first.dollar_year if first else None,
        "money_unit": first.money_unit if first else None,
        "operational_location_kgco2e": sum(float(a.operational_kgco2e) for a in assessed),
        "operational_market_kgco2e": (
            sum(known) if markets and len(known) == len(markets) else None
        ),
    }


def _anchor(ledger: LedgerReader, run_ids: Sequence[str]) -> tuple[int, str]:
    wanted = set(run_ids)
    last = max((row.last_seq for row in ledger.runs_index() if row.run_id in wanted), default=0)
    if last <= 0:
        return ledger.head()
    row = next(iter(ledger.stored(after_seq=last - 1, upto_seq=last)))
    return row.seq, row.hash


def _no_energy(view: RunView) -> InputError:
    return InputError(
        f"run {view.run_id[:12]}: no energy entries (nothing was metered; "
        f"status {view.status}), so there is nothing to report"
    )


@dataclass(frozen=True)
class _Found:
    """What a run, or a project's runs, give a report before the parts every report shares."""

    scope: Scope
    views: Sequence[RunView]
    assessments: Sequence[Assessment | None]
    facts: Sequence[RunFacts]
    totals: dict[str, Any]
    assessed: Sequence[Assessment]
    amortization: dict[str, Any] | None
    interval: dict[str, Any] | None
    notes: tuple[str, ...]
    used_settings: dict[str, Any]
    project_totals: Totals | None = None


def gather(
    ledger: LedgerReader,
    scope: Scope,
    settings: AssumptionSettings | None,
    *,
    command: str = "",
    generated_at: str = "",
    ledger_label: str | None = None,
) -> Gathered:
    """The content of a report on ``scope`` (and the views and assessments its figures need)."""
    if scope.kind == "run":
        found = _found_run(ledger, str(scope.run_id), settings)
    else:
        found = _found_project(ledger, str(scope.project), settings, scope.since, scope.until)
    return _finish(ledger, settings, found, command, generated_at, ledger_label)


def _found_run(ledger: LedgerReader, run_id: str, settings: AssumptionSettings | None) -> _Found:
    view = load_run(ledger, run_id)
    if not _has_energy(view):
        raise _no_energy(view)
    assessment = _assess(ledger, view, settings)
    views: list[RunView] = [view]
    assessments: list[Assessment | None] = [assessment]
    facts = [_run_facts(view, "run", assessment)]
    if view.parent_run_id and assessment.parent is not None:
        parent_view = load_run(ledger, assessment.parent.run_id or view.parent_run_id)
        views.append(parent_view)
        assessments.append(assessment.parent)
        facts.append(_run_facts(parent_view, "training run amortized", assessment.parent))
    doc = assessment.to_json()  # the totals are the stable keys of `assess --json`
    return _Found(
        scope=Scope("run", run_id=view.run_id),
        views=views,
        assessments=assessments,
        facts=facts,
        totals={key: doc.get(key) for key in STABLE_KEYS + METHOD_KEYS},
        assessed=[assessment],
        amortization=doc["amortization"],
        interval=doc["interval"],
        notes=assessment.notes,
        used_settings=assessment.settings.chosen(),
    )


def _found_project(
    ledger: LedgerReader,
    project: str,
    settings: AssumptionSettings | None,
    since: str | None,
    until: str | None,
) -> _Found:
    """Every run of ``project`` started in [since, until]."""
    start = parse_when(since, "since", end_of_day=False)
    end = parse_when(until, "until", end_of_day=True)
    if start and end and start > end:
        raise InputError(f"`since` {since} is after `until` {until}")
    views = [
        v
        for v in list_runs(ledger)
        if v.project == project
        and (start is None or v.started_at >= start)
        and (end is None or v.started_at <= end)
    ]
    views.sort(key=lambda v: (v.started_at, v.run_id))
    if not views:
        known = sorted({v.project for v in list_runs(ledger) if v.project})
        hint = f" (projects: {', '.join(known[:8])})" if known else " (no run has a project)"
        raise InputError(f"`project` {project!r}: no runs in that period{hint}")
    if not any(_has_energy(v) for v in views):
        raise InputError(f"`project` {project!r}: none of its {len(views)} runs has energy entries")
    assessments = [_assess(ledger, v, settings) if _has_energy(v) else None for v in views]
    facts = [_run_facts(v, "project run", a) for v, a in zip(views, assessments, strict=True)]
    assessed = [a for a in assessments if a is not None]
    used = assessed[0].settings.chosen() if assessed else {}
    project_totals = aggregate(assessed, settings if settings is not None else AssumptionSettings())
    totals = _project_totals(project_totals)
    totals.update(_scope2_keys(assessed))
    notes = tuple(
        f"{v.name}: {note}"
        for v, a in zip(views, assessments, strict=True)
        if a is not None
        for note in a.notes
    ) + tuple(f"{v.name}: no energy entries (not assessed)" for v in views if not _has_energy(v))
    return _Found(
        scope=Scope("project", project=project, since=since, until=until),
        views=views,
        assessments=assessments,
        facts=facts,
        totals=totals,
        assessed=assessed,
        amortization=None,
        interval={
            "p05": totals["net_benefit_p05"],
            "p50": totals["net_benefit_p50"],
            "p95": totals["net_benefit_p95"],
            "method": PROJECT_METHOD,
        },
        notes=notes,
        used_settings=used,
        project_totals=project_totals,
    )


def _finish(
    ledger: LedgerReader,
    settings: AssumptionSettings | None,
    found: _Found,
    command: str,
    generated_at: str,
    ledger_label: str | None,
) -> Gathered:
    scope, views, facts, totals = found.scope, found.views, found.facts, found.totals
    own_views = [views[0]] if scope.kind == "run" else list(views)
    energy = sum(v.energy_it_j for v in own_views)
    approx = sum(d.energy_j for v in own_views for d in v.devices if d.approximated)
    kg = float(totals.get("operational_kgco2e") or 0.0) + float(
        totals.get("embodied_kgco2e") or 0.0
    )
    assumptions = _assumptions(found.assessed)
    equivalences = eq.equivalences(kg)
    references = refs.cited(
        [a.factor.source for a in assumptions], extra=[e.reference for e in equivalences]
    )
    anchor_seq, anchor_hash = _anchor(ledger, [v.run_id for v in views])
    requested = settings.chosen() if settings is not None else {}
    provenance = Provenance(
        ecoledger_version=version_text(),
        ledger=ledger_label or ledger.display,
        anchor_seq=anchor_seq,
        anchor_hash=anchor_hash,
        command=command,
        generated_at=generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        settings_requested=requested,
    )
    locations = tuple(dict.fromkeys(f.location for f in facts if f.location))
    counterfactuals = _counterfactuals(found.assessed)
    report_facts = ReportFacts(
        scope=scope,
        totals=totals,
        duration_s=sum(v.duration_s for v in own_views),
        gpu_hours=sum(v.gpu_hours for v in own_views),
        approximated_share=approx / energy if energy > 0 else 0.0,
        runs=tuple(facts),
        hardware=_hardware(own_views),
        locations=locations,
        devices=_devices(views),
        assumptions=assumptions,
        counterfactuals=counterfactuals,
        problems=_problems(views),
        equivalences=equivalences,
        references=references,
        settings=found.used_settings,
        amortization=found.amortization,
        interval=found.interval,
        notes=found.notes,
        provenance=provenance,
    )
    return Gathered(
        statement.written(report_facts),
        tuple(views),
        tuple(found.assessments),
        found.project_totals,
    )


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
