"""Named schema migrations, recorded in ``ecoledger_migrations``.

A ledger that records a migration this version does not know was written by a newer
ecoledger and is refused, rather than half-understood.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, inspect, select

from accounting.errors import NewerLedger
from accounting.store import schema

SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (DELETE refused)'); END",
)

POSTGRES_APPEND_ONLY = (
    "CREATE OR REPLACE FUNCTION ecoledger_refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'ecoledger: the ledger is append-only (% refused)', TG_OP; END; "
    "$$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS entries_append_only ON entries",
    "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION ecoledger_refuse_change()",
)


def _m0001_entries(conn: Connection) -> None:
    schema.entries.create(conn, checkfirst=True)
    for index in schema.entries.indexes:
        index.create(conn, checkfirst=True)


def _m0002_append_only(conn: Connection) -> None:
    statements = SQLITE_APPEND_ONLY if conn.dialect.name == "sqlite" else POSTGRES_APPEND_ONLY
    for statement in statements:
        conn.exec_driver_sql(statement)


MIGRATIONS: tuple[tuple[str, Callable[[Connection], None]], ...] = (
    ("0001_entries", _m0001_entries),
    ("0002_append_only_triggers", _m0002_append_only),
)
KNOWN = {name for name, _ in MIGRATIONS}


def applied(conn: Connection) -> list[str]:
    if not inspect(conn).has_table(schema.migrations.name):
        return []
    return [row[0] for row in conn.execute(select(schema.migrations.c.name))]


def check_known(names: list[str]) -> None:
    unknown = sorted(set(names) - KNOWN)
    if unknown:
        raise NewerLedger(
            f"ledger: written by a newer ecoledger (unknown migration {unknown[0]}); upgrade ecoledger"
        )


def migrate(conn: Connection) -> list[str]:
    """Apply the missing migrations in order; return the names applied now."""
    schema.migrations.create(conn, checkfirst=True)
    done = set(applied(conn))
    check_known(sorted(done))
    new: list[str] = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        step(conn)
        conn.execute(
            insert(schema.migrations).values(name=name, applied_at=datetime.now(UTC).isoformat())
        )
        new.append(name)
    return new
