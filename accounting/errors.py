"""Errors the accounting package raises. The CLI maps :class:`InputError` to exit code 2."""

from __future__ import annotations


class EcoledgerError(Exception):
    """Base of every error ecoledger raises on purpose."""


class InputError(EcoledgerError, ValueError):
    """Bad input from the user: one line, naming the field. Nothing was written."""


class LedgerError(EcoledgerError):
    """The ledger could not be opened or used."""


class NotALedger(LedgerError, InputError):
    """The file or database is not an ecoledger ledger."""


class NewerLedger(LedgerError, InputError):
    """The ledger was written by a newer ecoledger (unknown migration)."""


class RunNotFound(InputError):
    """No run matches the given id or prefix."""


class AmbiguousRun(InputError):
    """A run id prefix matches more than one run."""
