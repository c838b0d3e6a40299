"""Energy segments: the derived, read-optimized copy of each ``energy`` entry.

Every Energy entry is also kept as one row of ``energy_segments`` (its figures as numbers,
its times as Unix seconds, the writer's host and rank), written in the same transaction as
the entry, so that a run's energy is summed by the database instead of by parsing every JSON
payload: a week on 8 GPUs flushed every 2 s is 2.4 million segments. The entry stays the
source of truth; ``verify`` checks that every row matches its entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounting.store.entry_check import recorded_at_column


def _when(value: Any) -> float:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).timestamp()


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
        "window_key": get("window"),
        "device_id": get("device_id"),
        "device_kind": get("device_kind"),
        "device_model": get("device_model"),
        "method": get("method"),
        "approximated": 1 if get("approximated") else 0,
        "joules": float(get("joules")),
        "start_s": _when(get("start")),
        "end_s": _when(get("end")),
        "duration_s": float(get("duration_s")),
        "count": None if count is None else int(count),
        "writer_host": host,
        "writer_rank": rank,
        "recorded_at": recorded_at_column(get("recorded_at")),
    }
