"""The one adapter to codecarbon's CPU table (``data/hardware/cpu_power.csv``: Name, TDP in W).

It reads the file without importing codecarbon, because ``import codecarbon`` initialises
NVML at import time. The table has malformed TDP cells; they are dropped, never guessed.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

CPU_TABLE_RELATIVE = Path("data") / "hardware" / "cpu_power.csv"
DEFAULT_W_PER_THREAD = 4.0
DEFAULT_SOURCE = "codecarbon default: 4 W per logical CPU when the model is not in its table"


def cpu_table_path() -> Path | None:
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / CPU_TABLE_RELATIVE
    return path if path.exists() else None


@lru_cache(maxsize=1)
def cpu_tdp_table() -> dict[str, float]:
    """Model name → TDP in watts; malformed rows are skipped."""
    path = cpu_table_path()
    if path is None:
        return {}
    table: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("Name") or "").strip()
            try:
                tdp = float((row.get("TDP") or "").strip())
            except ValueError:
                continue
            if name and tdp > 0:
                table[name] = tdp
    return table


def _normalise(name: str) -> str:
    name = re.sub(r"\((R|TM|tm|r)\)", "", name)
    name = re.sub(r"\b(CPU|Processor|\d+-Core|@.*$)", "", name)
    return re.sub(r"\s+", " ", name).strip().lower()


def lookup_tdp_w(model: str) -> tuple[float, str] | None:
    """(TDP W, matched table name) for a CPU model string, or None when not in the table."""
    wanted = _normalise(model)
    if not wanted:
        return None
    table = cpu_tdp_table()
    by_norm = {_normalise(name): (tdp, name) for name, tdp in table.items()}
    if wanted in by_norm:
        return by_norm[wanted]
    # a table name that ends the model string ("Intel Xeon Gold 6248" in "Intel(R) Xeon(R) Gold 6248 CPU")
    best: tuple[float, str] | None = None
    best_len = 0
    for norm, value in by_norm.items():
        if len(norm) > best_len and re.search(r"(^|\s)" + re.escape(norm) + r"$", wanted):
            if any(ch.isdigit() for ch in norm):
                best, best_len = value, len(norm)
    return best
