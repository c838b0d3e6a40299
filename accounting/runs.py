"""The derived view of a run, computed from its entries (never stored).

``energy_it_j`` is the sum of the run's ``run``-window Energy segments over every device
and rank. Other windows (phases, epochs, aggregated steps) are views inside it. A run with
no ``RunEnded`` whose last entry is older than a few flush intervals reads as ``lost``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounting.entries import (
    RUN_WINDOW,
    Assumptions,
    Benefit,
    Correction,
    DeviceFacts,
    Energy,
    Problem,
    RunEnded,
    RunStarted,
    Usage,
    entry_from_json,
)
from accounting.errors import RunNotFound
from accounting.reader import LedgerReader
from accounting.run_header import RunHeader
from accounting.units import j_to_kwh, s_to_h
from accounting.writer_alive import WriterState, writer_state

LIVE_STATUSES = ("running", "stalled")
"""A run without ``RunEnded`` whose writer lives: flushing (running) or silent (stalled)."""
LOST_AFTER_MIN_S = 30.0
LOST_AFTER_FLUSHES = 5
DEFAULT_FLUSH_INTERVAL_S = 2.0
NON_SAMPLE_KINDS = (
    "run_started",
    "run_ended",
    "energy",
    "usage",
    "benefit",
    "assumptions",
    "problem",
    "device",
    "correction",
)


@dataclass(frozen=True)
class DeviceTotal:
    device_id: str
    kind: str
    model: str
    method: str
    energy_j: float
    approximated: bool
    host: str
    rank: int | None
    metered_s: float
    power_limit_w: float | None = None
    driver_version: str | None = None
    memory_total_mib: float | None = None
    mig_enabled: bool | None = None
    shared_share: float | None = None
    """This run's estimated share of a GPU other processes used too; None when exclusive."""
    attribution_method: str | None = None


@dataclass(frozen=True)
class WindowTotal:
    key: str
    energy_j: float
    count: int | None
    start: datetime
    end: datetime
    approximated: bool


@dataclass(frozen=True)
class ProblemView:
    code: str
    severity: str
    message: str
    device_id: str | None = None


@dataclass(frozen=True)
class UsageTotals:
    requests: int = 0
    tokens: int = 0
    items: int = 0
    energy_j: float | None = None


@dataclass(frozen=True)
class RunView(RunHeader):
    ended_at: datetime | None
    duration_s: float
    last_recorded_at: datetime
    exit_code: int | None
    error: str | None
    command: tuple[str, ...] | None
    country: str | None
    cloud: str | None
    pue: float | None
    parent_run_id: str | None
    expected_uses: int | None
    tags: tuple[str, ...]
    meter_cpu_s: float | None
    devices: tuple[DeviceTotal, ...]
    windows: tuple[WindowTotal, ...]
    usage: UsageTotals
    benefits: tuple[Benefit, ...]
    assumptions: Assumptions | None
    problems: tuple[ProblemView, ...]
    hosts: tuple[str, ...]
    ecoledger_version: str

    @property
    def energy_it_j(self) -> float:
        return sum(device.energy_j for device in self.devices)

    @property
    def energy_it_kwh(self) -> float:
        return j_to_kwh(self.energy_it_j)

    @property
    def gpu_hours(self) -> float:
        return s_to_h(sum(d.metered_s for d in self.devices if d.kind == "gpu"))

    @property
    def approximated_share(self) -> float:
        """Share of the IT energy that comes from approximated methods (0..1)."""
        total = self.energy_it_j
        if total <= 0:
            return 0.0
        return sum(d.energy_j for d in self.devices if d.approximated) / total

    @property
    def synthetic(self) -> bool:
        """Made up by ``ecoledger demo --synthetic``, not measured."""
        from accounting.run_list import SYNTHETIC_TAG

        return SYNTHETIC_TAG in self.tags

    @property
    def finished(self) -> bool:
        return self.status not in LIVE_STATUSES


def apply_corrections(entries: Sequence[Any]) -> list[Any]:
    """The entries as corrected: a Correction voids or replaces its target (it is dropped)."""
    corrections = [e for e in entries if isinstance(e, Correction)]
    if not corrections:
        return list(entries)
    replaced: dict[str, Any] = {}
    voided: set[str] = set()
    invalid: list[Any] = []
    for correction in corrections:
        if correction.replacement_json:
            try:
                replaced[correction.target_id] = entry_from_json(correction.replacement_json)
            except ValueError as exc:  # pydantic's ValidationError too: keep the original
                invalid.append(
                    Problem(
                        run_id=correction.run_id,
                        recorded_at=correction.recorded_at,
                        source=correction.source,
                        code="entry_invalid",
                        severity="error",
                        message=f"correction {correction.id}: its replacement does not parse "
                        f"({str(exc).splitlines()[0][:160]}); the corrected entry is kept as it was",
                    )
                )
        else:
            voided.add(correction.target_id)
    out = []
    for entry in entries:
        if isinstance(entry, Correction) or entry.id in voided:
            continue
        out.append(replaced.get(entry.id, entry))
    return out + invalid


def _facts_of(facts: DeviceFacts | None) -> dict[str, Any]:
    if facts is None:
        return {}
    return {
        "power_limit_w": facts.power_limit_w,
        "driver_version": facts.driver_version,
        "memory_total_mib": facts.memory_total_mib,
        "mig_enabled": facts.mig_enabled,
        "shared_share": facts.shared_share,
        "attribution_method": facts.attribution_method,
    }


def build_run_view(
    entries: Iterable[Any],
    now: datetime | None = None,
    writer: Callable[[RunStarted], WriterState] = writer_state,
) -> RunView:
    """Fold one run's entries (chain order) into its :class:`RunView`.

    A run without ``RunEnded``: when ``writer`` tells its writer is gone (same host), it is
    ``lost`` at once; alive, it is ``running``, or ``stalled`` once silent for
    ``LOST_AFTER_FLUSHES`` flush intervals (e.g. SIGSTOPped); when it cannot tell (another
    host, an older entry), ``lost`` after max(30 s, 5 flush intervals) of silence."""
    items = apply_corrections(list(entries))
    started = next((e for e in items if isinstance(e, RunStarted)), None)
    if started is None:
        raise RunNotFound("run: no run_started entry for this run")
    ended = next((e for e in reversed(items) if isinstance(e, RunEnded)), None)
    now = now or datetime.now(UTC)

    devices: dict[tuple[str, str, int | None], dict[str, Any]] = {}
    windows: dict[str, dict[str, Any]] = {}
    facts: dict[tuple[str, str, int | None], DeviceFacts] = {}
    problems: list[ProblemView] = []
    benefits: list[Benefit] = []
    assumptions: Assumptions | None = None
    requests = tokens = n_items = 0
    usage_j: float | None = None
    hosts: list[str] = []
    last = started.recorded_at
    for entry in items:
        last = max(last, entry.recorded_at)
        if entry.source.host and entry.source.host not in hosts:
            hosts.append(entry.source.host)
        if isinstance(entry, Energy):
            if entry.window == RUN_WINDOW:
                dkey = (entry.device_id, entry.source.host, entry.source.rank)
                d = devices.setdefault(
                    dkey,
                    {
                        "kind": entry.device_kind,
                        "model": entry.device_model,
                        "methods": [],
                        "energy_j": 0.0,
                        "approximated": False,
                        "metered_s": 0.0,
                    },
                )
                d["energy_j"] += entry.joules
                d["metered_s"] += entry.duration_s
                d["approximated"] = d["approximated"] or entry.approximated
                if entry.method not in d["methods"]:
                    d["methods"].append(entry.method)
            else:
                w = windows.setdefault(
                    entry.window,
                    {
                        "energy_j": 0.0,
                        "count": None,
                        "start": entry.start,
                        "end": entry.end,
                        "approximated": False,
                        "counts": {},
                    },
                )
                w["energy_j"] += entry.joules
                w["start"] = min(w["start"], entry.start)
                w["end"] = max(w["end"], entry.end)
                w["approximated"] = w["approximated"] or entry.approximated
                if entry.count is not None:
                    # each writer counts its steps once per device: keep one count per writer
                    w["counts"][(entry.source.host, entry.source.rank)] = entry.count
        elif isinstance(entry, DeviceFacts):
            facts[(entry.device_id, entry.source.host, entry.source.rank)] = entry
        elif isinstance(entry, Problem):
            problems.append(ProblemView(entry.code, entry.severity, entry.message, entry.device_id))
        elif isinstance(entry, Benefit):
            benefits.append(entry)
        elif isinstance(entry, Assumptions):
            assumptions = entry
        elif isinstance(entry, Usage):
            requests += entry.requests
            tokens += entry.tokens
            n_items += entry.items
            if entry.joules is not None:
                usage_j = (usage_j or 0.0) + entry.joules

    status: str
    if ended is not None:
        status = ended.status
        ended_at: datetime | None = ended.ended_at
        duration_s = ended.duration_s
    else:
        flush = started.flush_interval_s or DEFAULT_FLUSH_INTERVAL_S
        silent_s = (now - last).total_seconds()
        state = writer(started)
        if state == "gone":
            lost = True
            why = f"its writer (pid {started.source.pid} on {started.source.host}) is gone"
        elif state == "alive":
            lost = False
            why = ""
        else:
            lost = silent_s > max(LOST_AFTER_MIN_S, LOST_AFTER_FLUSHES * flush)
            why = "the writer died"
        stalled = state == "alive" and silent_s > LOST_AFTER_FLUSHES * flush
        status = "lost" if lost else ("stalled" if stalled else "running")
        ended_at = last if lost else None
        duration_s = ((last if lost else now) - started.started_at).total_seconds()
        if lost:
            problems.append(
                ProblemView(
                    "run_lost",
                    "error",
                    f"no entry since {last.isoformat(timespec='seconds')}: {why} "
                    "(energy after the last flush is not recorded)",
                )
            )
        elif stalled:
            problems.append(
                ProblemView(
                    "run_stalled",
                    "warning",
                    f"its writer (pid {started.source.pid}) lives but has written nothing since "
                    f"{last.isoformat(timespec='seconds')} ({silent_s:.0f} s, more than "
                    f"{LOST_AFTER_FLUSHES} flush intervals): stopped or hung",
                )
            )

    device_totals = tuple(
        DeviceTotal(
            device_id=device_id,
            kind=d["kind"],
            model=d["model"],
            method="+".join(d["methods"]),
            energy_j=d["energy_j"],
            approximated=d["approximated"],
            host=host,
            rank=rank,
            metered_s=d["metered_s"],
            **_facts_of(facts.get((device_id, host, rank))),
        )
        for (device_id, host, rank), d in devices.items()
    )
    window_totals = tuple(
        WindowTotal(
            key=key,
            energy_j=w["energy_j"],
            # every rank runs the same steps: the window's count is the largest any wrote
            count=max(w["counts"].values()) if w["counts"] else None,
            start=w["start"],
            end=w["end"],
            approximated=w["approximated"],
        )
        for key, w in sorted(windows.items(), key=lambda kv: kv[1]["start"])
    )
    return RunView(
        run_id=started.run_id,
        name=started.name,
        project=started.project,
        run_kind=started.run_kind,
        status=status,
        started_at=started.started_at,
        ended_at=ended_at,
        duration_s=max(0.0, duration_s),
        last_recorded_at=last,
        exit_code=ended.exit_code if ended else None,
        error=ended.error if ended else None,
        command=started.command,
        country=started.country,
        cloud=started.cloud,
        pue=started.pue,
        parent_run_id=started.parent_run_id,
        expected_uses=started.expected_uses,
        tags=started.tags,
        meter_cpu_s=ended.meter_cpu_s if ended else None,
        devices=device_totals,
        windows=window_totals,
        usage=UsageTotals(requests, tokens, n_items, usage_j),
        benefits=tuple(benefits),
        assumptions=assumptions,
        problems=tuple(problems),
        hosts=tuple(hosts),
        ecoledger_version=started.ecoledger_version,
    )


def load_run(ledger: LedgerReader, run_id_or_prefix: str, now: datetime | None = None) -> RunView:
    """Resolve an id or prefix and build its view (power samples are not loaded)."""
    run_id = ledger.resolve_run(run_id_or_prefix)
    return build_run_view(run_entries(ledger, run_id), now)


def run_entries(ledger: Any, run_id: str) -> list[Any]:
    """A run's entries as the run view needs them: its energy segments summed by the store
    when it can (:func:`summarized_entries`), else every entry parsed."""
    summarized = summarized_entries(ledger, run_id)
    return summarized if summarized is not None else full_entries(ledger, run_id)


def summarized_entries(ledger: Any, run_id: str) -> list[Any] | None:
    """The run's entries with its energy segments replaced by stand-ins summed by the store
    (``Ledger.summarized_entries``), or None where that cannot be exact."""
    summarized = getattr(ledger, "summarized_entries", None)
    return None if summarized is None else summarized(run_id, NON_SAMPLE_KINDS)


def full_entries(ledger: Any, run_id: str) -> list[Any]:
    """Every entry of the run but its power samples, parsed."""
    return list(ledger.entries(run_id=run_id, kinds=NON_SAMPLE_KINDS))


def list_runs(ledger: LedgerReader, now: datetime | None = None) -> list[RunView]:
    """Every run, newest first."""
    by_run: dict[str, list[Any]] = {}
    for entry in ledger.entries(kinds=NON_SAMPLE_KINDS):
        by_run.setdefault(entry.run_id, []).append(entry)
    views = [
        build_run_view(items, now)
        for items in by_run.values()
        if any(isinstance(e, RunStarted) for e in items)
    ]
    return sorted(views, key=lambda v: v.started_at, reverse=True)
