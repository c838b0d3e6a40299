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
DEFAULT_SOURCE = "codecarbon's default for unknown CPUs, 4 W per logical CPU"


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
    """ "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz" → "intel xeon gold 6248"."""
    name = re.sub(r"@.*$", "", name)
    name = re.sub(r"\((R|TM|tm|r)\)|™|®", " ", name)
    name = re.sub(r"\b(CPU|Processor|\d+-Core)\b", " ", name)
    return re.sub(r"\s+", " ", name).strip().lower()


@lru_cache(maxsize=1)
def _normalised_table() -> dict[str, tuple[float, str]]:
    return {_normalise(name): (tdp, name) for name, tdp in cpu_tdp_table().items()}


def lookup_tdp_w(model: str) -> tuple[float, str] | None:
    """(TDP W, matched table name) for a CPU model string, or None when not in the table."""
    wanted = _normalise(model)
    if not wanted:
        return None
    by_norm = _normalised_table()
    if wanted in by_norm:
        return by_norm[wanted]
    # the longest table name, with a model number, that ends the model string as whole words
    # ("xeon gold 6248" ends "intel xeon gold 6248"); whole-word suffixes only, so no guessing
    words = wanted.split(" ")
    for start in range(1, len(words)):
        suffix = " ".join(words[start:])
        if suffix in by_norm and any(ch.isdigit() for ch in suffix):
            return by_norm[suffix]
    return None
