"""The ledger store: append-only, hash-chained, SQLite by default, PostgreSQL for teams."""

from accounting.store.ledger import Ledger, StoredEntry, open_ledger
from accounting.store.location import ledger_location, mask_url

__all__ = ["Ledger", "StoredEntry", "ledger_location", "mask_url", "open_ledger"]
