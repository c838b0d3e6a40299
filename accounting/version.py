"""The installed ecoledger version: the one lookup every package uses (no upward import)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

UNINSTALLED = "0.0.0+local"
"""What a checkout that was never installed reports, never an empty string."""


@cache
def version_text() -> str:
    """``0.1.0``: the ``ecoledger`` distribution's version, or :data:`UNINSTALLED`."""
    try:
        return version("ecoledger")
    except PackageNotFoundError:
        return UNINSTALLED
