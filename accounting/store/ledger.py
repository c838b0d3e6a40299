"""The append-only, hash-chained ledger store (SQLAlchemy Core over SQLite or PostgreSQL).

Appends are serialized per backend (``BEGIN IMMEDIATE`` on SQLite, an advisory transaction
lock on PostgreSQL) so the chain stays linear with many writer processes. Readers see only
committed batches.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, inspect, select
from sqlalchemy.exc import DatabaseError, OperationalError

from accounting.canonical import GENESIS_HASH, canonical_json, chain_hash
from accounting.entries import entry_from_json
from accounting.errors import AmbiguousRun, LedgerError, NotALedger, RunNotFound
from accounting.store import migrations, schema
from accounting.store.location import is_postgres, ledger_location, mask_url, sqlalchemy_url

MIN_PREFIX = 8
_PG_APPEND_LOCK = 0x6563_6F6C  # "ecol": one advisory lock for the chain


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    id: str
    run_id: str
    kind: str
    recorded_at: str
    payload: str
    prev_hash: str
    hash: str


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60.0, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("ecoledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _create_private_file(path: Path) -> None:
    """A new SQLite ledger is readable by its owner only (0600)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


class Ledger:
    """An open ledger. Use :func:`open_ledger`; close it, or use it as a context manager."""

    def __init__(self, location: str, engine: Engine) -> None:
        self.location = location
        self.engine = engine

    @property
    def display(self) -> str:
        """The location with any password masked."""
        return mask_url(self.location)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------
    def append(self, new_entries: Sequence[Any]) -> list[str]:
        """Append entries in one transaction, chained after the current head. Returns hashes."""
        if not new_entries:
            return []
        payloads = [canonical_json(entry) for entry in new_entries]
        with self.engine.connect().execution_options(ecoledger_write=True) as conn:
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
                head = conn.execute(
                    select(schema.entries.c.seq, schema.entries.c.hash)
                    .order_by(schema.entries.c.seq.desc())
                    .limit(1)
                ).first()
                seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
                rows = []
                hashes = []
                for entry, payload in zip(new_entries, payloads, strict=True):
                    seq += 1
                    digest = chain_hash(prev, payload)
                    rows.append(
                        {
                            "seq": seq,
                            "id": entry.id,
                            "run_id": entry.run_id,
                            "kind": entry.kind,
                            "recorded_at": entry.recorded_at.isoformat(),
                            "payload": payload,
                            "prev_hash": prev,
                            "hash": digest,
                        }
                    )
                    hashes.append(digest)
                    prev = digest
                conn.execute(insert(schema.entries), rows)
        return hashes

    # -- reading ---------------------------------------------------------------------------
    def stored(
        self,
        run_id: str | None = None,
        kinds: Iterable[str] | None = None,
        after_seq: int = 0,
        upto_seq: int | None = None,
    ) -> Iterator[StoredEntry]:
        """Stored rows in chain order, optionally for one run and some kinds."""
        t = schema.entries
        query = select(t).where(t.c.seq > after_seq).order_by(t.c.seq)
        if run_id is not None:
            query = query.where(t.c.run_id == run_id)
        if kinds is not None:
            query = query.where(t.c.kind.in_(list(kinds)))
        if upto_seq is not None:
            query = query.where(t.c.seq <= upto_seq)
        with self.engine.connect() as conn, conn.begin():
            rows = conn.execute(query).all()
        for row in rows:
            yield StoredEntry(*row)

    def entries(
        self, run_id: str | None = None, kinds: Iterable[str] | None = None
    ) -> list[Any]:
        """Parsed, frozen entries in chain order."""
        return [entry_from_json(row.payload) for row in self.stored(run_id, kinds)]

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry; (0, genesis) for an empty ledger."""
        t = schema.entries
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def count(self, kind: str | None = None) -> int:
        t = schema.entries
        query = select(func.count()).select_from(t)
        if kind is not None:
            query = query.where(t.c.kind == kind)
        with self.engine.connect() as conn, conn.begin():
            return int(conn.execute(query).scalar_one())

    def run_ids(self) -> list[str]:
        """Run ids in the order their runs started (oldest first)."""
        t = schema.entries
        query = select(t.c.run_id).where(t.c.kind == "run_started").order_by(t.c.seq)
        with self.engine.connect() as conn, conn.begin():
            return [row[0] for row in conn.execute(query)]

    def resolve_run(self, run_id_or_prefix: str) -> str:
        """The full run id for an id or a prefix of at least 8 characters."""
        wanted = run_id_or_prefix.strip().lower()
        ids = self.run_ids()
        if wanted in ids:
            return wanted
        if len(wanted) < MIN_PREFIX:
            raise RunNotFound(
                f"run: no run {run_id_or_prefix!r} (a prefix needs at least {MIN_PREFIX} characters)"
            )
        matches = [run_id for run_id in ids if run_id.startswith(wanted)]
        if not matches:
            raise RunNotFound(f"run: no run matches {run_id_or_prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(match[:12] for match in matches[:5])
            raise AmbiguousRun(f"run: prefix {run_id_or_prefix!r} matches {len(matches)} runs: {shown}")
        return matches[0]


def open_ledger(location: str | None = None, *, create: bool = True) -> Ledger:
    """Open (and, for a new SQLite file, create) the ledger at a path or URL.

    Raises :class:`NotALedger` for a file or database that is not an ecoledger ledger,
    :class:`NewerLedger` for one written by a newer version, :class:`LedgerError` when it
    cannot be reached.
    """
    location = ledger_location(location)
    url = sqlalchemy_url(location)
    shown = mask_url(location)
    if is_postgres(location):
        try:
            engine = create_engine(url, pool_pre_ping=True)
            with engine.connect() as conn, conn.begin():
                names = set(inspect(conn).get_table_names())
                if names and schema.migrations.name not in names:
                    raise NotALedger(f"ledger: {shown} is not an ecoledger ledger")
                if names:
                    migrations.check_known(migrations.applied(conn))
                if not create and not names:
                    raise NotALedger(f"ledger: {shown} is empty (no ecoledger tables)")
                migrations.migrate(conn)
        except OperationalError as exc:
            message = str(exc.orig).splitlines()[0] if exc.orig else "cannot connect"
            raise LedgerError(f"ledger: cannot reach {shown}: {mask_url(message)}") from None
        return Ledger(location, engine)

    path = Path(url.removeprefix("sqlite:///"))
    fresh = not path.exists()
    if fresh:
        if not create:
            raise NotALedger(f"ledger: {path} does not exist")
        _create_private_file(path)
    elif path.stat().st_size and not _looks_like_sqlite(path):
        raise NotALedger(f"ledger: {path} is not an ecoledger ledger (not a SQLite file)")
    engine = _sqlite_engine(url)
    try:
        with engine.connect().execution_options(ecoledger_write=True) as conn, conn.begin():
            names = set(inspect(conn).get_table_names())
            if names and schema.migrations.name not in names:
                raise NotALedger(f"ledger: {path} is not an ecoledger ledger")
            migrations.migrate(conn)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        raise NotALedger(f"ledger: {path} is not an ecoledger ledger ({exc.__class__.__name__})") from None
    except Exception:
        engine.dispose()
        raise
    return Ledger(location, engine)
