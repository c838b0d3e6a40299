"""What a stored row must be, checked the same way by ``verify``, ``import`` and ``copy``.

A row is valid when its ``seq`` is ≥ 1, its ``hash`` is ``sha256(prev_hash + payload)``, its
payload is the canonical JSON of an entry that parses against its schema with finite
numbers, and its ``id``/``run_id``/``kind``/``recorded_at`` columns agree with the payload.
Whatever :func:`row_problem` accepts, ``verify`` accepts; an import refuses the rest before
it writes anything.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from accounting.canonical import canonical_json, chain_hash
from accounting.entries import entry_from_json

NON_FINITE_TOKENS = ("NaN", "Infinity")
_ZERO = timedelta(0)


def recorded_at_column(value: str | datetime) -> str:
    """The ``recorded_at`` column: ISO 8601 in UTC with ``+00:00`` (sorts as text)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.utcoffset() == _ZERO:  # already UTC (any tzinfo object): no conversion to make
        return when.isoformat()
    return when.astimezone(UTC).isoformat()


def columns_of(payload: dict[str, Any]) -> tuple[str, str, str, str]:
    """(id, run_id, kind, recorded_at) as the columns must hold them for this payload."""
    return (
        str(payload["id"]),
        str(payload["run_id"]),
        str(payload["kind"]),
        recorded_at_column(str(payload["recorded_at"])),
    )


NON_FINITE_ALLOWED = ("power_w[",)
"""A power reading may be NaN or ±inf (a sensor's glitch, kept as read; readers skip it).
Every other number in an entry must be finite."""


def non_finite_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first NaN or ±inf inside parsed JSON (outside the power
    readings), or None."""
    if path.startswith(NON_FINITE_ALLOWED):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "value")
    if isinstance(value, dict):
        for key, item in value.items():
            found = non_finite_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = non_finite_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


def payload_non_finite(payload: str) -> str | None:
    """Where a canonical payload holds NaN or ±inf (a cheap scan first: most hold none)."""
    if not any(token in payload for token in NON_FINITE_TOKENS):
        return None
    return non_finite_path(json.loads(payload))


def payload_problem(
    payload: str,
    columns: tuple[str, str, str, str] | None = None,
    *,
    schema: bool = True,
    parsed: Any = None,
) -> str | None:
    """Why this payload cannot be a stored entry, or None. ``columns``: the row's
    (id, run_id, kind, recorded_at), checked against the payload when given. ``parsed``: the
    payload already parsed by the caller (it is not parsed twice)."""
    if parsed is None:
        try:
            parsed = json.loads(payload)
        except ValueError:
            return "payload is not JSON (entry edited)"
    data = parsed
    if not isinstance(data, dict):
        return "payload is not a JSON object (entry edited)"
    if canonical_json(data) != payload:
        return "payload is not canonical JSON (entry edited)"
    # canonical JSON writes a non-finite number as NaN/Infinity: without those tokens there
    # is none to look for (1e999 would not have survived the canonical check)
    if any(token in payload for token in NON_FINITE_TOKENS):
        bad_number = non_finite_path(data)
        if bad_number:
            return f"payload.{bad_number} is not a finite number (entry edited)"
    if columns is not None:
        try:
            want = columns_of(data)
        except (KeyError, ValueError, TypeError):
            return "payload lacks id, run_id, kind or recorded_at (entry edited)"
        names = ("id", "run_id", "kind", "recorded_at")
        for name, expected, have in zip(names, want, columns, strict=True):
            if expected != have:
                return (
                    f"column {name} ({have!r}) differs from the payload ({expected!r}) "
                    "(entry edited)"
                )
    if schema:
        try:
            entry_from_json(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(part) for part in first["loc"]) or "payload"
            return f"payload.{place}: {first['msg']} (breaks the entry schema)"
    return None


def row_problem(row: Any, parsed: Any = None) -> str | None:
    """Why a stored row (seq, id, run_id, kind, recorded_at, payload, prev_hash, hash) is
    invalid on its own, or None. Its place in the chain is checked by the caller."""
    if not isinstance(row.seq, int) or row.seq < 1:
        return f"seq {row.seq!r} is not ≥ 1"
    problem = payload_problem(
        row.payload, (row.id, row.run_id, row.kind, row.recorded_at), parsed=parsed
    )
    if problem:
        return problem
    if chain_hash(row.prev_hash, row.payload) != row.hash:
        return "hash does not match prev_hash + payload (entry edited)"
    return None
