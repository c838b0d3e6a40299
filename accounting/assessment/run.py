"""Assess a measured run from the ledger: gather its entries into quantities, then assess.

Defaults come from the run itself (its RunStarted country, cloud and PUE; its latest
Assumptions entry when the user gives no settings). An inference run that names its
training run (``parent_run_id``) carries that run's cost × uses / expected uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from accounting.assessment.counterfactual_places import compare_factors
from accounting.assessment.engine import ParentRun, assess
from accounting.assessment.factor_set import ENERGY, FactorSet, Segments, resolve_factors
from accounting.assessment.quantities import Quantities
from accounting.assessment.result import Assessment
from accounting.assessment.settings import MAX_INPUT, AssumptionSettings
from accounting.assessment.shared_gpu import attribute_shared_gpus
from accounting.entries import RUN_WINDOW, Energy
from accounting.errors import InputError
from accounting.factors.factor import Factor
from accounting.reader import LedgerReader
from accounting.runs import (
    RunView,
    apply_corrections,
    build_run_view,
    full_entries,
    summarized_entries,
)
from accounting.units import J_PER_KWH, s_to_h

MEASURED_REL_RANGE = 0.05
"""±5 % for energy read from hardware counters (NVML, RAPL); ecoledger assumption."""
APPROXIMATED_REL_RANGE = 0.30
"""±30 % for estimated energy (TDP × load, RAM estimate); ecoledger assumption."""


def run_segments(entries: Sequence[Any]) -> Segments:
    """The run's additive energy segments (window ``run``), all devices, in kWh."""
    rows = [
        (e.start.timestamp(), e.end.timestamp(), e.joules)
        for e in apply_corrections(entries)
        if isinstance(e, Energy) and e.window == RUN_WINDOW
    ]
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return Segments(table[:, 0].copy(), table[:, 1].copy(), table[:, 2] / J_PER_KWH)


def segments_of(rows: Sequence[tuple[float, float, float]]) -> Segments:
    """Segments from stored (start_s, end_s, joules) rows."""
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return Segments(table[:, 0].copy(), table[:, 1].copy(), table[:, 2] / J_PER_KWH)


def _energy_factor(view: RunView) -> Factor:
    share = view.approximated_share
    rel = MEASURED_REL_RANGE * (1 - share) + APPROXIMATED_REL_RANGE * share
    methods = sorted({d.method for d in view.devices}) or ["none"]
    return Factor.relative(
        ENERGY,
        1.0,
        "× IT energy",
        rel,
        f"measured by {', '.join(methods)}; {share:.0%} approximated; range ±{rel:.1%} "
        "(±5 % counters, ±30 % estimates, ecoledger assumption)",
    )


def _quantities(view: RunView, segments: Segments, settings: AssumptionSettings) -> Quantities:
    gpu_hours = view.gpu_hours
    if settings.gpus_per_host and gpu_hours > 0:
        host_hours = gpu_hours / settings.gpus_per_host
        hours_source = f"GPU-hours / {settings.gpus_per_host} GPUs per host"
    else:
        hosts = max(1, len({d.host for d in view.devices}))
        host_hours = s_to_h(view.duration_s) * hosts
        hours_source = f"run duration × {hosts} metered host(s), whole host attributed"
    usage = view.usage
    if usage.requests:
        uses, unit = usage.requests, "request"
    elif usage.items:
        uses, unit = usage.items, "item"
    else:
        uses, unit = usage.tokens, "token"
    social = lump = environmental_usd = avoided = 0.0
    counts = {
        "lump_sum": 1,
        "per_request": usage.requests,
        "per_token": usage.tokens,
        "per_item": usage.items,
    }
    for benefit in view.benefits:
        if out_of_range(benefit):
            continue  # noted by benefit_notes(): one such entry must not break every report
        if benefit.benefit_kind == "social":
            amount = (benefit.usd or 0.0) * counts[benefit.basis]
            social += amount
            if benefit.basis == "lump_sum":
                lump += amount
        else:
            avoided += (benefit.avoided_kgco2e or 0.0) * counts[benefit.basis]
            environmental_usd += (benefit.usd or 0.0) * counts[benefit.basis]
    return Quantities(
        energy_it_kwh=view.energy_it_kwh,
        gpu_hours=gpu_hours,
        host_hours=host_hours,
        social_benefit_usd=social,
        social_lump_sum_usd=lump,
        environmental_usd=environmental_usd,
        avoided_kgco2e=avoided,
        uses=uses,
        use_unit=unit,
        counts=(
            ("request", usage.requests),
            ("token", usage.tokens),
            ("sample", usage.items),
            ("step", sum(w.count or 0 for w in view.windows if w.key.startswith("step"))),
        ),
        segments=segments,
        energy_source=f"{len(segments.kwh)} run-window energy segments, "
        f"{len(view.devices)} device(s)",
        device_hours_source=hours_source,
    )


def out_of_range(benefit: Any) -> bool:
    """A Benefit whose amount is not finite or beyond ``MAX_INPUT`` (it could only have
    been written by an older version or another tool): left out of the sums, with a note."""
    for value in (benefit.usd, benefit.avoided_kgco2e):
        if value is not None and not (math.isfinite(value) and abs(value) <= MAX_INPUT):
            return True
    return False


def benefit_notes(view: RunView) -> list[str]:
    return [
        f"benefit entry {b.id[:12]} left out: its amount ({b.usd or b.avoided_kgco2e:g}) is "
        f"beyond {MAX_INPUT:g}; record a corrected benefit"
        for b in view.benefits
        if out_of_range(b)
    ]


def _gather(
    ledger: LedgerReader, run_id: str, settings: AssumptionSettings | None, now: datetime | None
) -> tuple[RunView, Quantities, FactorSet, AssumptionSettings, list[str]]:
    summarized = summarized_entries(ledger, run_id)
    entries = summarized if summarized is not None else full_entries(ledger, run_id)
    view = build_run_view(entries, now)
    notes: list[str] = []
    if (settings is None or settings.is_default) and view.assumptions is not None:
        settings = AssumptionSettings.from_json(view.assumptions.settings_json)
        label = view.assumptions.label or "recorded"
        notes.append(f"assumptions from the run's latest Assumptions entry ({label})")
    settings = settings or AssumptionSettings()
    if settings.shared_gpu == "attribute":
        # scales single segments by their device's share: read them all
        full = entries if summarized is None else full_entries(ledger, run_id)
        entries, shared_notes = attribute_shared_gpus(full)
        view = build_run_view(entries, now)
        notes += shared_notes
        segments = run_segments(entries)
    elif summarized is not None:
        segments = segments_of(ledger.run_segments(run_id) or [])  # summarized: the table exists
    else:
        segments = run_segments(entries)
    q = _quantities(view, segments, settings)
    fs = resolve_factors(
        settings,
        run_country=view.country,
        run_cloud=view.cloud,
        run_pue=view.pue,
        run_year=view.started_at.year,
        gpu_models=tuple(d.model for d in view.devices if d.kind == "gpu"),
        energy=_energy_factor(view),
        segments=segments,
    )
    if view.status in ("running", "stalled", "lost"):
        notes.append(f"run is {view.status}: energy up to its last flush")
    if view.approximated_share > 0:
        notes.append(f"{view.approximated_share:.0%} of the IT energy is approximated")
    notes += benefit_notes(view)
    return view, q, fs, settings, notes


def assess_run(
    ledger: LedgerReader,
    run_id: str,
    settings: AssumptionSettings | None = None,
    *,
    now: datetime | None = None,
) -> Assessment:
    """Assess one run (an id or a prefix of ≥ 8 characters). Raises InputError on bad input."""
    full_id = ledger.resolve_run(run_id)
    view, q, fs, used, notes = _gather(ledger, full_id, settings, now)
    parent: ParentRun | None = None
    expected = used.expected_uses or view.expected_uses
    if view.parent_run_id:
        try:
            parent_id = ledger.resolve_run(view.parent_run_id)
        except InputError:
            notes.append(f"training run {view.parent_run_id[:12]} is not in this ledger")
            parent_id = None
        if parent_id is not None:
            parent_settings = used
            try:
                p_view, p_q, p_fs, _, _ = _gather(ledger, parent_id, parent_settings, now)
            except InputError as exc:
                if used.intensity_csv is None:
                    raise
                parent_settings = used.model_copy(update={"intensity_csv": None})
                p_view, p_q, p_fs, _, _ = _gather(ledger, parent_id, parent_settings, now)
                notes.append(f"training run priced without the series ({exc})")
            expected = expected or p_view.expected_uses
            p_assessment = assess(
                p_q,
                p_fs,
                parent_settings,
                subject=f"run {parent_id}",
                run_id=parent_id,
                expected_uses=expected,
            )
            parent = ParentRun(parent_id, p_q, p_fs, p_assessment)
    return assess(
        q,
        fs,
        used,
        subject=f"run {full_id}",
        run_id=full_id,
        parent=parent,
        expected_uses=expected,
        counterfactual_factors=compare_factors(used),
        notes=tuple(notes),
    )
