"""Near-match suggestions for unknown names (presets, countries, regions)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def near_matches(wanted: str, known: Iterable[str], n: int = 5) -> list[str]:
    names = list(known)
    lowered = {name.lower(): name for name in names}
    hits = difflib.get_close_matches(wanted.lower(), list(lowered), n=n, cutoff=0.5)
    if not hits:
        hits = [low for low in lowered if wanted.lower() in low][:n]
    return [lowered[hit] for hit in hits]


def unknown_message(field: str, kind: str, wanted: str, known: Iterable[str]) -> str:
    hits = near_matches(wanted, known)
    hint = f"; did you mean {', '.join(hits)}?" if hits else ""
    return f"`{field}`: unknown {kind} {wanted!r}{hint}"
