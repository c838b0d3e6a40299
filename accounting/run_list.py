"""The run list (``ecoledger runs``): a page of runs from a few indexed queries.

:func:`accounting.runs.list_runs` parses every entry but power samples into a full
:class:`~accounting.runs.RunView` per run: right for ``show``, too slow for a listing of
thousands of runs, and it needs SQLAlchemy and pydantic (most of a short command's time).
This module reads only what a listing shows:

1. every ``run_started`` payload (name, project, kind, start), to order, filter and count;
2. for the page alone, its runs' ``run_ended``, ``energy`` and ``correction`` entries
   (through the ``(run_id, kind)`` index), and the last ``recorded_at`` of unended runs.

A SQLite ledger is read with the standard ``sqlite3`` module (``mode=ro`` when it is not ours
to write; only SELECTs either way);
PostgreSQL through the store's SQLAlchemy engine, with the same SQL. The figures are those of
``list_runs`` (the same fold, the same float sums in chain order). Whatever this reader is not
sure to read as ``list_runs`` would (a correction on a run of the page, a payload that does
not parse, a ledger whose migrations differ from this version's, a file that is not a
ledger) is handed to ``list_runs``, which reads it, reports it or refuses it as it always has.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import quote

from accounting.run_header import RunHeader
from accounting.units import j_to_kwh
from accounting.writer_alive import WriterState, writer_state

DEFAULT_PAGE = 50
"""Runs a listing shows unless asked for more (newest first)."""

LEDGER_ENV = "ECOLEDGER_LEDGER"  # as accounting.store.location (a test keeps them equal)
DEFAULT_LEDGER_PATH = "ecoledger.db"
KNOWN_MIGRATIONS = frozenset(
    {
        "0001_entries",
        "0002_append_only_triggers",
        "0003_power_batches",
        "0004_seq_positive",
        "0005_meta",
        "0006_energy_segments",
    }
)
"""The migrations this reader knows the schema of (a test keeps it equal to the store's).
A ledger with others (older, newer) is read by the store, which migrates or refuses it."""

_RUN_KINDS = ("training", "fine_tuning", "inference", "evaluation", "other")
_RUN_STATUSES = ("completed", "failed", "interrupted", "lost", "budget_exceeded")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_S = 60.0
# as accounting.runs (a test keeps them equal): when an unended run reads as lost or stalled
_LOST_AFTER_MIN_S = 30.0
_LOST_AFTER_FLUSHES = 5
_DEFAULT_FLUSH_INTERVAL_S = 2.0
_RUN_WINDOW = "run"
SYNTHETIC_TAG = "synthetic"
"""A run whose ``RunStarted`` carries this tag was made up (``ecoledger demo --synthetic``),
not measured: every output says so."""

Fetch = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]


class _Unsure(Exception):
    """Something this reader does not read as ``list_runs`` would: hand over to it."""


@dataclass(frozen=True)
class RunListing(RunHeader):
    """One run as ``ecoledger runs`` shows it."""

    duration_s: float
    energy_it_kwh: float
    synthetic: bool


@dataclass(frozen=True)
class RunPage:
    """The newest ``limit`` runs (all when ``limit`` is None) and how many there are."""

    runs: tuple[RunListing, ...]
    total: int


def list_run_page(
    location: str | None,
    *,
    project: str | None = None,
    limit: int | None = DEFAULT_PAGE,
    now: datetime | None = None,
    writer: Callable[[Any], WriterState] = writer_state,
) -> RunPage:
    """The newest ``limit`` runs of the ledger at ``location`` (a path or a URL; None: the
    default ledger), only ``project``'s when given. Raises what ``open_ledger`` raises."""
    if limit is not None and limit < 1:
        from accounting.errors import InputError

        raise InputError(f"limit: must be ≥ 1, got {limit}")
    now = now or datetime.now(UTC)
    location = location or os.environ.get(LEDGER_ENV) or DEFAULT_LEDGER_PATH
    path = _sqlite_path(location)
    if path is not None:
        try:
            conn = sqlite3.connect(_uri(path), uri=True, timeout=_BUSY_TIMEOUT_S)
        except sqlite3.Error:
            conn = None
        if conn is not None:
            try:
                with conn:
                    conn.execute("BEGIN")  # one snapshot for every query
                    if _migrations(conn) == KNOWN_MIGRATIONS:
                        return _page(_sqlite_fetch(conn), project, limit, now, writer)
            except (_Unsure, sqlite3.Error):
                pass
            finally:
                conn.close()
    return _page_from_store(location, project, limit, now, writer)


def _sqlite_path(location: str) -> Path | None:
    """The file of a SQLite ledger that exists and is one; None for anything else."""
    if "://" in location and not location.startswith("sqlite:///"):
        return None
    path = Path(location.removeprefix("sqlite:///")).expanduser()
    try:
        with path.open("rb") as handle:
            return path.resolve() if handle.read(16) == _SQLITE_MAGIC else None
    except OSError:
        return None


def _uri(path: Path) -> str:
    """Read-write when this process may write the ledger (it only reads: the mode is so that,
    as the last connection to close, SQLite removes the ``-wal`` and ``-shm`` files it made, as
    the store's own reads do); read-only otherwise."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return f"file:{quote(str(path))}?mode=rw"
    immutable = not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists()
    return f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")


def _migrations(conn: sqlite3.Connection) -> frozenset[str]:
    try:
        return frozenset(row[0] for row in conn.execute("SELECT name FROM ecoledger_migrations"))
    except sqlite3.OperationalError:
        return frozenset()


def _sqlite_fetch(conn: sqlite3.Connection) -> Fetch:
    def fetch(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return conn.execute(sql, params).fetchall()

    return fetch


def _page_from_store(
    location: str,
    project: str | None,
    limit: int | None,
    now: datetime,
    writer: Callable[[Any], WriterState],
) -> RunPage:
    from accounting.store import open_ledger

    with open_ledger(location, create=False) as ledger:
        if ledger.dialect == "postgresql":
            from sqlalchemy import text

            with ledger.engine.connect() as conn, conn.begin():

                def fetch(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
                    return conn.execute(text(sql), params).all()

                try:
                    return _page(fetch, project, limit, now, writer)
                except _Unsure:
                    pass
        return _page_of_views(ledger, project, limit, now, writer)


def _page_of_views(
    ledger: Any,
    project: str | None,
    limit: int | None,
    now: datetime,
    writer: Callable[[Any], WriterState],
) -> RunPage:
    from accounting.runs import NON_SAMPLE_KINDS, build_run_view

    by_run: dict[str, list[Any]] = {}
    for entry in ledger.entries(kinds=NON_SAMPLE_KINDS):
        by_run.setdefault(entry.run_id, []).append(entry)
    views = sorted(
        (
            build_run_view(items, now, writer)
            for items in by_run.values()
            if any(entry.kind == "run_started" for entry in items)
        ),
        key=lambda v: v.started_at,
        reverse=True,
    )
    views = [v for v in views if project in (None, v.project)]
    shown = views if limit is None else views[:limit]
    return RunPage(
        tuple(
            RunListing(
                run_id=v.run_id,
                name=v.name,
                project=v.project,
                run_kind=v.run_kind,
                status=v.status,
                started_at=v.started_at,
                duration_s=v.duration_s,
                energy_it_kwh=v.energy_it_kwh,
                synthetic=SYNTHETIC_TAG in v.tags,
            )
            for v in shown
        ),
        len(views),
    )


# --- the fold, over rows ---------------------------------------------------------------


def _check(ok: bool) -> None:
    if not ok:
        raise _Unsure


def _payload(text: Any) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise _Unsure from None
    _check(isinstance(data, dict) and isinstance(data.get("source"), dict))
    return cast(dict[str, Any], data)


def _when(value: Any) -> datetime:
    _check(isinstance(value, str))
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _Unsure from None
    _check(when.tzinfo is not None)
    return when


def _number(value: Any) -> float:
    _check(isinstance(value, int | float) and not isinstance(value, bool))
    number = float(value)
    _check(math.isfinite(number))
    return number


def _optional(value: Any, kind: type | tuple[type, ...]) -> Any:
    _check(value is None or (isinstance(value, kind) and not isinstance(value, bool)))
    return value


def _start_of(data: dict[str, Any]) -> dict[str, Any]:
    _check(isinstance(data.get("name"), str) and isinstance(data.get("run_id"), str))
    _optional(data.get("project"), str)
    _check(data.get("run_kind", "training") in _RUN_KINDS)
    tags = data.get("tags", [])
    _check(isinstance(tags, list) and all(isinstance(tag, str) for tag in tags))
    flush = data.get("flush_interval_s")
    return {
        "run_id": data["run_id"],
        "name": data["name"],
        "project": data.get("project"),
        "run_kind": data.get("run_kind", "training"),
        "started_at": _when(data.get("started_at")),
        "recorded_at": _when(data.get("recorded_at")),
        "synthetic": SYNTHETIC_TAG in tags,
        "flush_interval_s": None if flush is None else _number(flush),
        "writer": SimpleNamespace(
            source=SimpleNamespace(
                host=data["source"].get("host"), pid=_optional(data["source"].get("pid"), int)
            ),
            writer_start_ticks=_optional(data.get("writer_start_ticks"), int),
            writer_boot_id=_optional(data.get("writer_boot_id"), str),
        ),
    }


def _is_run_window(energy: dict[str, Any]) -> bool:
    _check(isinstance(energy.get("window"), str) and isinstance(energy.get("device_id"), str))
    return bool(energy["window"] == _RUN_WINDOW)


def _in(name: str, values: Sequence[str]) -> tuple[str, dict[str, Any]]:
    keys = [f"{name}{i}" for i in range(len(values))]
    return ", ".join(f":{key}" for key in keys), dict(zip(keys, values, strict=True))


def _page(
    fetch: Fetch,
    project: str | None,
    limit: int | None,
    now: datetime,
    writer: Callable[[Any], WriterState],
) -> RunPage:
    starts: dict[str, dict[str, Any]] = {}
    for run_id, payload in fetch(
        "SELECT run_id, payload FROM entries WHERE kind = 'run_started' ORDER BY seq", {}
    ):
        if run_id not in starts:  # the first run_started of a run is its start
            start = _start_of(_payload(payload))
            _check(start["run_id"] == run_id)
            starts[run_id] = start
    ordered = sorted(starts.values(), key=lambda s: s["started_at"], reverse=True)
    ordered = [s for s in ordered if project in (None, s["project"])]
    shown = ordered if limit is None else ordered[:limit]
    if not shown:
        return RunPage((), len(ordered))
    ids, params = _in("r", [s["run_id"] for s in shown])
    ended: dict[str, dict[str, Any]] = {}
    devices: dict[str, dict[tuple[Any, Any, Any], float]] = {}
    for run_id, kind, payload in fetch(
        f"SELECT run_id, kind, payload FROM entries WHERE run_id IN ({ids}) "
        "AND kind IN ('run_ended', 'energy', 'correction') ORDER BY seq",
        params,
    ):
        _check(kind != "correction")  # corrections fold as list_runs folds them
        data = _payload(payload)
        _check(data.get("run_id") == run_id and data.get("kind") == kind)
        if kind == "run_ended":
            _check(data.get("status") in _RUN_STATUSES)
            ended[run_id] = {
                "status": data["status"],
                "duration_s": _number(data.get("duration_s")),
            }
        elif _is_run_window(data):
            source = data["source"]
            key = (data["device_id"], source.get("host"), _optional(source.get("rank"), int))
            per_device = devices.setdefault(run_id, {})
            per_device[key] = per_device.get(key, 0.0) + _number(data.get("joules"))
    unended = [s["run_id"] for s in shown if s["run_id"] not in ended]
    last: dict[str, datetime] = {}
    if unended:
        ids, params = _in("u", unended)
        for run_id, recorded_at in fetch(
            f"SELECT run_id, MAX(recorded_at) FROM entries WHERE run_id IN ({ids}) "
            "AND kind <> 'power_samples' GROUP BY run_id",
            params,
        ):
            last[run_id] = _when(recorded_at)
    runs = []
    for start in shown:
        run_id = start["run_id"]
        if run_id in ended:
            status, duration_s = ended[run_id]["status"], ended[run_id]["duration_s"]
        else:
            status, duration_s = _unended(start, last.get(run_id), now, writer)
        energy_j = sum(devices.get(run_id, {}).values())
        runs.append(
            RunListing(
                run_id=run_id,
                name=start["name"],
                project=start["project"],
                run_kind=start["run_kind"],
                status=status,
                started_at=start["started_at"],
                duration_s=max(0.0, duration_s),
                energy_it_kwh=j_to_kwh(energy_j),
                synthetic=start["synthetic"],
            )
        )
    return RunPage(tuple(runs), len(ordered))


def _unended(
    start: dict[str, Any],
    last: datetime | None,
    now: datetime,
    writer: Callable[[Any], WriterState],
) -> tuple[str, float]:
    """Status and duration of a run without ``run_ended``, as ``build_run_view`` tells them."""
    last = max(last or start["recorded_at"], start["recorded_at"])
    flush = start["flush_interval_s"] or _DEFAULT_FLUSH_INTERVAL_S
    silent_s = (now - last).total_seconds()
    state = writer(start["writer"])
    if state == "gone":
        lost = True
    elif state == "alive":
        lost = False
    else:
        lost = silent_s > max(_LOST_AFTER_MIN_S, _LOST_AFTER_FLUSHES * flush)
    stalled = state == "alive" and silent_s > _LOST_AFTER_FLUSHES * flush
    status = "lost" if lost else ("stalled" if stalled else "running")
    return status, ((last if lost else now) - start["started_at"]).total_seconds()
