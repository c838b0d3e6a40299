"""The ledger store: append-only, hash-chained, SQLite by default, PostgreSQL for teams."""

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
