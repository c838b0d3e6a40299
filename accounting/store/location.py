"""Where the ledger lives: ``--ledger URL_OR_PATH``, else ``$ECOLEDGER_LEDGER``, else ./ecoledger.db."""

from __future__ import annotations

import os
import re
from pathlib import Path

from accounting.errors import InputError
from accounting.store.masking import mask_url

__all__ = ["mask_url"]  # its home is accounting.store.masking; kept importable from here

DEFAULT_LEDGER_PATH = "ecoledger.db"
LEDGER_ENV = "ECOLEDGER_LEDGER"


def ledger_location(arg: str | None = None) -> str:
    """The ledger the user asked for, as given (a path or a URL)."""
    return arg or os.environ.get(LEDGER_ENV) or DEFAULT_LEDGER_PATH


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def sqlalchemy_url(location: str) -> str:
    """Turn a path or URL into a SQLAlchemy URL (psycopg 3 for PostgreSQL)."""
    if is_postgres(location):
        return re.sub(r"^(postgresql|postgres)(\+psycopg)?://", "postgresql+psycopg://", location)
    if location.startswith("sqlite:///"):
        return location
    if "://" in location:
        raise InputError(f"ledger: unsupported URL scheme in {mask_url(location)!r}")
    path = Path(location).expanduser()
    if not path.parent.exists():
        raise InputError(f"ledger: folder does not exist: {path.parent}")
    if path.is_dir():
        raise InputError(f"ledger: {path} is a folder, not a file")
    return f"sqlite:///{path.resolve()}"


def sqlite_path(location: str) -> Path | None:
    if is_postgres(location):
        return None
    url = sqlalchemy_url(location)
    return Path(url.removeprefix("sqlite:///"))
