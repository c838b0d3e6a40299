"""The ledger store: append-only, hash-chained, SQLite by default, PostgreSQL for teams.

The names below are imported on first use: ``accounting.store.location`` (paths and URLs)
does not load SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounting.store.ledger import Ledger, RunIndexRow, StoredEntry, open_ledger
    from accounting.store.location import ledger_location, mask_url
    from accounting.store.power import PowerSeries
    from accounting.store.verify import Anchor, VerifyResult, verify

__all__ = [
    "Anchor",
    "Ledger",
    "PowerSeries",
    "RunIndexRow",
    "StoredEntry",
    "VerifyResult",
    "ledger_location",
    "mask_url",
    "open_ledger",
    "verify",
]
_WHERE = {
    "Ledger": "accounting.store.ledger",
    "RunIndexRow": "accounting.store.ledger",
    "StoredEntry": "accounting.store.ledger",
    "open_ledger": "accounting.store.ledger",
    "ledger_location": "accounting.store.location",
    "mask_url": "accounting.store.location",
    "PowerSeries": "accounting.store.power",
    "Anchor": "accounting.store.verify",
    "VerifyResult": "accounting.store.verify",
    "verify": "accounting.store.verify",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'accounting.store' has no attribute {name!r}")
