"""Entries, factors, the ledger store, the assessment and reports. Knows nothing of NVML or torch.

The names below are imported on first use, so ``import accounting.errors`` (the CLI, the
hooks) does not load SQLAlchemy or pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounting.entries import Entry, EntrySource
    from accounting.errors import EcoledgerError, InputError
    from accounting.store import Ledger, open_ledger

__all__ = ["EcoledgerError", "Entry", "EntrySource", "InputError", "Ledger", "open_ledger"]
_WHERE = {
    "Entry": "accounting.entries",
    "EntrySource": "accounting.entries",
    "EcoledgerError": "accounting.errors",
    "InputError": "accounting.errors",
    "Ledger": "accounting.store",
    "open_ledger": "accounting.store",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'accounting' has no attribute {name!r}")
