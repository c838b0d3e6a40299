"""Entries, factors, the ledger store, the assessment and reports. Knows nothing of NVML or torch."""

from accounting.entries import Entry, EntrySource
from accounting.errors import EcoledgerError, InputError
from accounting.store import Ledger, open_ledger

__all__ = ["EcoledgerError", "Entry", "EntrySource", "InputError", "Ledger", "open_ledger"]
