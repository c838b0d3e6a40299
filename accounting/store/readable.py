"""Reading stored rows without letting one bad entry take down the ledger.

A payload that does not parse as an entry (tampered, or written by a buggy tool) becomes an
``entry_invalid`` :class:`~accounting.entries.Problem` on its run, naming its seq; every other
entry, and every other run, still reads. A ``run_started`` that does not parse also gives a
stand-in start (named after the seq), so its run is still listed and shown with the problem.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from accounting.entries import AnyEntry, EntrySource, Problem, RunStarted, entry_from_json

ENTRY_INVALID = "entry_invalid"
_NOWHERE = EntrySource(host="", pid=None, origin="ecoledger (read check)")


def _when(column: str) -> datetime:
    try:
        value = datetime.fromisoformat(column)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{place}: {first['msg']}"
    return str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__


def read_row(
    seq: int, entry_id: str, run_id: str, kind: str, recorded_at: str, payload: str
) -> list[AnyEntry]:
    """The entry of one stored row; or, when it does not parse, what stands in for it."""
    try:
        return [entry_from_json(payload)]
    except (ValidationError, ValueError) as exc:
        reason = _why(exc)
    when = _when(recorded_at)
    problem = Problem(
        id=entry_id,
        run_id=run_id,
        recorded_at=when,
        source=_NOWHERE,
        code=ENTRY_INVALID,
        severity="error",
        message=f"the {kind} entry at seq {seq} does not parse ({reason}); it is left out",
    )
    if kind != "run_started":
        return [problem]
    start = RunStarted(
        id=f"{entry_id}:start"[:64],
        run_id=run_id,
        recorded_at=when,
        source=_NOWHERE,
        name=f"(run_started at seq {seq} does not parse)",
        started_at=when,
    )
    return [start, problem]
