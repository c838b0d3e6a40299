"""``--shared-gpu attribute``: charge a shared GPU's estimated share instead of all of it.

When other processes used a metered GPU, the meter records this run's share of it
(``DeviceFacts.shared_share``, from per-process SM utilization). By default the assessment
charges the whole device, the conservative choice; with ``shared_gpu="attribute"`` every
Energy entry of such a device is scaled by the share and flagged approximated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounting.entries import DeviceFacts, Energy


def attribute_shared_gpus(entries: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """(entries with each shared GPU's energy scaled by its share, one note per device)."""
    shares: dict[tuple[str, str, int | None], float] = {}
    for entry in entries:
        if isinstance(entry, DeviceFacts):
            key = (entry.device_id, entry.source.host, entry.source.rank)
            if entry.shared_share is None:
                shares.pop(key, None)
            else:
                shares[key] = entry.shared_share
    if not shares:
        return list(entries), []
    out: list[Any] = []
    for entry in entries:
        share = (
            shares.get((entry.device_id, entry.source.host, entry.source.rank))
            if isinstance(entry, Energy)
            else None
        )
        if share is None:
            out.append(entry)
        else:
            out.append(
                entry.model_copy(update={"joules": entry.joules * share, "approximated": True})
            )
    notes = [
        f"shared GPU {device_id} charged at this run's estimated share, {share:.0%} "
        "(per-process SM utilization; approximated)"
        for (device_id, _, _), share in shares.items()
    ]
    return out, notes
