"""Opening a ledger's database: SQLite engines (WAL, busy timeout, BEGIN IMMEDIATE for
writes), PostgreSQL engines (psycopg 3), and the checks that refuse a foreign or newer
database before anything is written to it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError

from accounting.errors import LedgerError, NewerLedger, NotALedger
from accounting.store import migrations, schema
from accounting.store.location import mask_url

SQLITE_BUSY_TIMEOUT_S = 60.0
SQLITE_MAGIC = b"SQLite format 3\x00"


PG_CONNECT_TIMEOUT_S = 10


def sqlite_engine(url: str) -> Engine:
    """WAL, ``synchronous=NORMAL``, a 60 s busy timeout; writes begin with ``BEGIN IMMEDIATE``.

    Pass ``execution_options(ecoledger_write=True)`` on a connection that will write, so the
    write lock is taken before the head of the chain is read.
    """
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            try:
                cur.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error:  # a read-only (immutable) connection: it only reads
                pass
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("ecoledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def create_private_file(path: Path) -> None:
    """A new SQLite ledger is readable by its owner only (0600); SQLite gives its -wal and
    -shm files the same mode."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _newer(shown: str, names: list[str]) -> NewerLedger:
    unknown = sorted(set(names) - migrations.KNOWN)
    return NewerLedger(
        f"ledger: {shown} was written by a newer ecoledger (unknown migration {unknown[0]}); "
        "upgrade ecoledger to open it"
    )


def writable(path: Path) -> bool:
    """Can SQLite write this existing ledger file here? Its folder must take the ``-wal`` and
    ``-shm`` files unless they are already there (``access``: honours ``chattr +i``)."""
    if not os.access(path, os.W_OK):
        return False
    if os.access(path.parent, os.W_OK):
        return True
    return all(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))


def read_only_uri(path: Path) -> str:
    """A ``mode=ro`` URI; ``immutable=1`` as well where SQLite could not even create the
    ``-shm`` file it needs to read a WAL database (a read-only folder: nobody writes there)."""
    immutable = not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists()
    return f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")


def probe_sqlite(path: Path) -> list[str] | None:
    """Read-only look at an existing file: the migrations applied, or None for an empty
    database. Raises NotALedger/NewerLedger without writing a byte to the file."""
    if path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise NotALedger(f"ledger: {path} is not an ecoledger ledger (not a SQLite file)")
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise LedgerError(f"ledger: cannot open {path}: {exc}") from None
    try:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not names:
            return None
        if schema.migrations.name not in names:
            raise NotALedger(
                f"ledger: {path} is not an ecoledger ledger (a SQLite database without "
                f"{schema.migrations.name})"
            )
        applied = [row[0] for row in conn.execute(f"SELECT name FROM {schema.migrations.name}")]
    except sqlite3.OperationalError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise NotALedger(f"ledger: {path} is not an ecoledger ledger ({exc})") from None
        raise LedgerError(f"ledger: cannot read {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise NotALedger(f"ledger: {path} is not an ecoledger ledger ({exc})") from None
    finally:
        conn.close()
    if set(applied) - migrations.KNOWN:
        raise _newer(str(path), applied)
    return applied


def open_sqlite_read_only(path: Path) -> Engine:
    """An engine that only reads (``mode=ro``): for a ledger this process cannot write."""
    return sqlite_engine(f"sqlite:///{read_only_uri(path)}&uri=true")


def open_sqlite(url: str, path: Path, *, create: bool) -> Engine:
    fresh = not path.exists()
    if fresh:
        if not create:
            raise NotALedger(f"ledger: {path} does not exist")
        try:
            create_private_file(path)
        except FileExistsError:
            fresh = False  # another process created it just now
        except OSError as exc:
            raise LedgerError(f"ledger: cannot create {path}: {exc.strerror}") from None
    applied = None if fresh else probe_sqlite(path)
    if applied is None and not create:
        raise NotALedger(f"ledger: {path} is empty (no ecoledger tables)")
    engine = sqlite_engine(url)
    if applied is not None and not migrations.pending(applied):
        return engine
    with _disposed_on_failure(engine, lambda exc: f"cannot prepare {path}: {_first_line(exc)}"):
        with engine.connect().execution_options(ecoledger_write=True) as conn, conn.begin():
            names = set(inspect(conn).get_table_names())
            if names and schema.migrations.name not in names:
                raise NotALedger(f"ledger: {path} is not an ecoledger ledger")
            migrations.migrate(conn)
    return engine


@contextmanager
def _disposed_on_failure(engine: Engine, failure: Callable[[DBAPIError], str]) -> Iterator[None]:
    """Dispose of ``engine`` when preparing it fails; a database error becomes one
    ``LedgerError`` line, ``ledger: `` and then ``failure(exc)``."""
    try:
        yield
    except DBAPIError as exc:
        engine.dispose()
        raise LedgerError(f"ledger: {failure(exc)}") from None
    except Exception:
        engine.dispose()
        raise


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__


def lazy_postgres(url: str) -> Engine:
    """An engine that connects only when first used (a server down now may be back then)."""
    return create_engine(url, pool_pre_ping=True)


def open_postgres(url: str, location: str, *, create: bool) -> Engine:
    shown = mask_url(location)
    try:
        # a host that silently drops packets fails within seconds, not minutes: the writer
        # then buffers and journals instead of stalling
        engine = create_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
        )
    except ModuleNotFoundError:
        raise LedgerError(
            "ledger: PostgreSQL needs the psycopg driver: pip install 'ecoledger[postgres]'"
        ) from None
    with _disposed_on_failure(
        engine, lambda exc: f"cannot use {shown}: {mask_url(_first_line(exc))}"
    ):
        with engine.connect() as conn, conn.begin():
            names = set(inspect(conn).get_table_names())
            if names and schema.migrations.name not in names:
                raise NotALedger(
                    f"ledger: {shown} is not an ecoledger ledger (the database has other tables "
                    "and no ecoledger_migrations; use an empty database)"
                )
            if not names and not create:
                raise NotALedger(f"ledger: {shown} is empty (no ecoledger tables)")
            applied = migrations.applied(conn) if names else []
            if set(applied) - migrations.KNOWN:
                raise _newer(shown, applied)
            if names and not migrations.pending(applied):
                return engine
        with engine.connect() as conn, conn.begin():
            migrations.migrate(conn)
    return engine
