"""Energy segments: the derived, read-optimized copy of each ``energy`` entry.

Every Energy entry is also kept as one row of ``energy_segments`` (its figures as numbers,
its times as Unix seconds, the writer's host and rank), written in the same transaction as
the entry, so that a run's energy is summed by the database instead of by parsing every JSON
payload: a week on 8 GPUs flushed every 2 s is 2.4 million segments. The entry stays the
source of truth; ``verify`` checks that every row matches its entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from accounting.store.entry_check import recorded_at_column


def _when(value: Any) -> float:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).timestamp()


def _text(value: str) -> str:
    """A text column's value: NUL, which PostgreSQL text and jsonb cannot hold, as U+FFFD (the
    entry's payload keeps it, escaped; a row that differs from its payload sends the run view
    back to the parsed entries, see ``DISAGREEING_SEGMENT_*``)."""
    return value.replace("\x00", "\ufffd")


def segment_row(seq: int, data: Any) -> dict[str, Any]:
    """The ``energy_segments`` row of an energy entry (a model or its payload dict)."""
    if isinstance(data, dict):
        source = data["source"]
        get = data.__getitem__
        host, rank = source["host"], source.get("rank")
    else:
        get = data.__getattribute__
        host, rank = data.source.host, data.source.rank
    count = get("count")
    return {
        "seq": seq,
        "run_id": get("run_id"),
        "window_key": _text(get("window")),
        "device_id": _text(get("device_id")),
        "device_kind": get("device_kind"),
        "device_model": _text(get("device_model")),
        "method": _text(get("method")),
        "approximated": 1 if get("approximated") else 0,
        "joules": float(get("joules")),
        "start_s": _when(get("start")),
        "end_s": _when(get("end")),
        "duration_s": float(get("duration_s")),
        "count": None if count is None else int(count),
        "writer_host": _text(host),
        "writer_rank": rank,
        "recorded_at": recorded_at_column(get("recorded_at")),
    }


def segment_values(seq: int, entry: Any, recorded_at: str, payload: str) -> tuple[Any, ...]:
    """:func:`segment_row` of an Energy model as a tuple in column order (the append's hot
    path; ``recorded_at`` is the entries column, already computed; ``payload`` the entry's
    canonical JSON, which holds ``\\u0000`` wherever a text field holds NUL, so that text
    without it is taken as it is). ``verify`` rebuilds each row from the payload with
    :func:`segment_row` and compares."""
    text = _text if "\\u0000" in payload else str
    source = entry.source
    return (
        seq,
        entry.run_id,
        text(entry.window),
        text(entry.device_id),
        entry.device_kind,
        text(entry.device_model),
        text(entry.method),
        1 if entry.approximated else 0,
        float(entry.joules),
        entry.start.timestamp(),
        entry.end.timestamp(),
        float(entry.duration_s),
        None if entry.count is None else int(entry.count),
        text(source.host),
        source.rank,
        recorded_at,
    )


_GROUP_COLUMNS = (
    "device_id",
    "device_kind",
    "device_model",
    "method",
    "writer_host",
    "writer_rank",
)

RUN_WINDOW_TOTALS = (
    "SELECT MIN(seq), device_id, device_kind, device_model, method, writer_host, writer_rank, "
    "SUM(joules), SUM(duration_s), MAX(approximated), MIN(start_s), MAX(end_s), "
    "MAX(recorded_at), COUNT(*) "
    "FROM energy_segments WHERE run_id = :run_id AND window_key = 'run' "
    "GROUP BY device_id, device_kind, device_model, method, writer_host, writer_rank "
    "ORDER BY MIN(seq)"
)
"""The run window summed per device, method and writer, in order of first appearance:
everything :func:`~accounting.runs.build_run_view` takes from the run's segments."""

OTHER_WINDOW_TOTALS = (
    "SELECT MIN(seq), window_key, MIN(device_id), MIN(device_kind), MIN(device_model), "
    "MIN(method), writer_host, writer_rank, SUM(joules), SUM(duration_s), MAX(approximated), "
    "MIN(start_s), MAX(end_s), MAX(recorded_at), "
    "(SELECT s2.count FROM energy_segments s2 WHERE s2.run_id = :run_id "
    " AND s2.window_key = s.window_key AND s2.writer_host = s.writer_host "
    " AND (s2.writer_rank = s.writer_rank OR (s2.writer_rank IS NULL AND s.writer_rank IS NULL)) "
    " AND s2.count IS NOT NULL ORDER BY s2.seq DESC LIMIT 1) "
    "FROM energy_segments s WHERE run_id = :run_id AND window_key <> 'run' "
    "GROUP BY window_key, writer_host, writer_rank ORDER BY MIN(seq)"
)
"""Every other window summed per writer, with the last count that writer recorded."""

RUN_SEGMENTS = (
    "SELECT start_s, end_s, joules FROM energy_segments "
    "WHERE run_id = :run_id AND window_key = 'run' ORDER BY seq"
)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def summary_entries(run_id: str, run_rows: Any, other_rows: Any) -> list[tuple[int, Any]]:
    """(seq, Energy) stand-ins, one per group of segments, placed at the group's first seq.

    They are built without validation (``model_construct``) from rows the database summed;
    they carry exactly what the run view reads: energy, metered time, approximation, method,
    writer, first/last time and the last step count."""
    out: list[tuple[int, Any]] = []
    for row in run_rows:
        seq, device_id, kind, model, method, host, rank = row[:7]
        out.append(
            (
                int(seq),
                _stand_in(run_id, "run", device_id, kind, model, method, host, rank, row[7:], None),
            )
        )
    for row in other_rows:
        seq, window, device_id, kind, model, method, host, rank = row[:8]
        out.append(
            (
                int(seq),
                _stand_in(
                    run_id, window, device_id, kind, model, method, host, rank, row[8:14], row[14]
                ),
            )
        )
    return out


def _stand_in(
    run_id: str,
    window: str,
    device_id: str,
    kind: str,
    model: str,
    method: str,
    host: str,
    rank: int | None,
    sums: Any,
    count: int | None,
) -> Any:
    from accounting.entries import Energy, EntrySource

    joules, duration, approx, start_s, end_s, recorded_at = sums[:6]
    return Energy.model_construct(
        id=f"segments:{window}:{device_id}",
        run_id=run_id,
        recorded_at=datetime.fromisoformat(recorded_at),
        source=EntrySource.model_construct(host=host, pid=None, rank=rank, origin="segments"),
        kind="energy",
        window=window,
        device_id=device_id,
        device_kind=kind,
        device_model=model,
        method=method,
        approximated=bool(approx),
        joules=float(joules),
        start=_utc(float(start_s)),
        end=_utc(float(end_s)),
        duration_s=float(duration),
        count=None if count is None else int(count),
    )


DISAGREEING_SEGMENT_SQLITE = (
    "SELECT e.seq FROM entries e LEFT JOIN energy_segments s ON s.seq = e.seq "
    "WHERE e.run_id = :run_id AND e.kind = 'energy' AND ("
    "s.seq IS NULL OR NOT json_valid(e.payload) "
    "OR json_type(e.payload, '$.joules') NOT IN ('integer', 'real') "
    "OR json_extract(e.payload, '$.joules') < 0 "
    "OR json_extract(e.payload, '$.joules') <> s.joules "
    "OR json_type(e.payload, '$.duration_s') NOT IN ('integer', 'real') "
    "OR json_extract(e.payload, '$.duration_s') <> s.duration_s "
    "OR json_extract(e.payload, '$.device_id') IS NOT s.device_id "
    "OR json_extract(e.payload, '$.window') IS NOT s.window_key "
    "OR json_extract(e.payload, '$.method') IS NOT s.method"
    ") LIMIT 1"
)
DISAGREEING_SEGMENT_POSTGRES = (
    "SELECT e.seq FROM entries e LEFT JOIN energy_segments s ON s.seq = e.seq "
    "WHERE e.run_id = :run_id AND e.kind = 'energy' AND ("
    "s.seq IS NULL "
    "OR jsonb_typeof(e.payload::jsonb -> 'joules') IS DISTINCT FROM 'number' "
    "OR jsonb_typeof(e.payload::jsonb -> 'duration_s') IS DISTINCT FROM 'number' "
    "OR (e.payload::jsonb ->> 'joules')::float8 < 0 "
    "OR (e.payload::jsonb ->> 'joules')::float8 <> s.joules "
    "OR (e.payload::jsonb ->> 'duration_s')::float8 <> s.duration_s "
    "OR e.payload::jsonb ->> 'device_id' IS DISTINCT FROM s.device_id "
    "OR e.payload::jsonb ->> 'window' IS DISTINCT FROM s.window_key "
    "OR e.payload::jsonb ->> 'method' IS DISTINCT FROM s.method"
    ") LIMIT 1"
)
"""An energy entry of the run that its ``energy_segments`` row does not match (edited behind
the store's back, or not valid): the run is then read by parsing every entry, which reports
it as ``entry_invalid`` and leaves it out, as a ledger without the table would. The check runs
in the database, over the payloads' JSON, without a Python parse of each segment."""
