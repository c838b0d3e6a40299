"""Named schema migrations, recorded in ``ecoledger_migrations``.

A ledger that records a migration this version does not know was written by a newer
ecoledger and is refused, rather than half-understood.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, inspect, select

from accounting.errors import NewerLedger
from accounting.store import schema
from accounting.store.energy import segment_row
from accounting.store.power import batch_row

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


SQLITE_POWER_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS power_batches_no_update BEFORE UPDATE ON power_batches "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER IF NOT EXISTS power_batches_no_delete BEFORE DELETE ON power_batches "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (DELETE refused)'); END",
)

POSTGRES_POWER_APPEND_ONLY = (
    "DROP TRIGGER IF EXISTS power_batches_append_only ON power_batches",
    "CREATE TRIGGER power_batches_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON power_batches FOR EACH STATEMENT EXECUTE FUNCTION ecoledger_refuse_change()",
)


SQLITE_ENERGY_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS energy_segments_no_update BEFORE UPDATE ON energy_segments "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER IF NOT EXISTS energy_segments_no_delete BEFORE DELETE ON energy_segments "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: the ledger is append-only (DELETE refused)'); END",
    "CREATE TRIGGER IF NOT EXISTS energy_segments_seq_positive BEFORE INSERT ON energy_segments "
    "WHEN NEW.seq IS NULL OR NEW.seq <= 0 "
    "BEGIN SELECT RAISE(ABORT, 'ecoledger: seq must be > 0 in energy_segments'); END",
)

POSTGRES_ENERGY_APPEND_ONLY = (
    "DROP TRIGGER IF EXISTS energy_segments_append_only ON energy_segments",
    "CREATE TRIGGER energy_segments_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON energy_segments FOR EACH STATEMENT EXECUTE FUNCTION ecoledger_refuse_change()",
)

ENERGY_GUARDS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "energy_segments_no_update",
        "energy_segments_no_delete",
        "energy_segments_seq_positive",
    ),
    "postgresql": ("energy_segments_append_only", "energy_segments_seq_positive"),
}
"""The guards of ``energy_segments`` (migration ``0006_energy_segments``)."""

SQLITE_SEQ_POSITIVE = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {table}_seq_positive BEFORE INSERT ON {table} "
    f"WHEN NEW.seq IS NULL OR NEW.seq <= 0 "
    f"BEGIN SELECT RAISE(ABORT, 'ecoledger: seq must be > 0 in {table}'); END"
    for table in ("entries", "power_batches")
)
"""SQLite cannot add a CHECK to an existing table: a trigger refuses the insert instead."""

SEQ_CONSTRAINTS = ("entries_seq_positive", "power_batches_seq_positive")

GUARDS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "entries_no_update",
        "entries_no_delete",
        "power_batches_no_update",
        "power_batches_no_delete",
        *SEQ_CONSTRAINTS,
    ),
    "postgresql": ("entries_append_only", "power_batches_append_only", *SEQ_CONSTRAINTS),
}
"""The triggers (and, on PostgreSQL, CHECK constraints) that keep the ledger append-only
and its seq > 0, by name."""


def _execute(conn: Connection, statement: str) -> None:
    """Run DDL as written (psycopg would read a bare ``%`` as a parameter)."""
    if conn.dialect.name == "postgresql":
        statement = statement.replace("%", "%%")
    conn.exec_driver_sql(statement)


def _m0001_entries(conn: Connection) -> None:
    schema.entries.create(conn, checkfirst=True)
    for index in schema.entries.indexes:
        index.create(conn, checkfirst=True)


def _m0002_append_only(conn: Connection) -> None:
    statements = SQLITE_APPEND_ONLY if conn.dialect.name == "sqlite" else POSTGRES_APPEND_ONLY
    for statement in statements:
        _execute(conn, statement)


def _m0003_power_batches(conn: Connection) -> None:
    """Samples as packed arrays beside their entries, backfilled from existing entries."""
    schema.power_batches.create(conn, checkfirst=True)
    for index in schema.power_batches.indexes:
        index.create(conn, checkfirst=True)
    t = schema.entries
    query = select(t.c.seq, t.c.payload).where(t.c.kind == "power_samples").order_by(t.c.seq)
    rows = [batch_row(seq, json.loads(payload)) for seq, payload in conn.execute(query)]
    if rows:
        conn.execute(insert(schema.power_batches), rows)
    _power_append_only(conn)


def _power_append_only(conn: Connection) -> None:
    statements = (
        SQLITE_POWER_APPEND_ONLY if conn.dialect.name == "sqlite" else POSTGRES_POWER_APPEND_ONLY
    )
    for statement in statements:
        _execute(conn, statement)


def _m0004_seq_positive(conn: Connection) -> None:
    """seq > 0 in entries and power_batches, enforced by the database (a row at seq ≤ 0
    would sit outside the chain, unseen by a verify that walks seq 1, 2, …).

    On PostgreSQL a ``CHECK … NOT VALID``: rows already there are not re-checked (verify
    reports them), so a tampered ledger still opens."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_SEQ_POSITIVE:
            _execute(conn, statement)
        return
    present = set(_pg_constraints(conn))
    for table in ("entries", "power_batches"):
        name = f"{table}_seq_positive"
        if name not in present:
            _execute(conn, f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (seq > 0) NOT VALID")


_PG_CONSTRAINTS_SQL = (
    "SELECT conname FROM pg_constraint WHERE conrelid IN "
    "(to_regclass('entries'), to_regclass('power_batches'), to_regclass('energy_segments'))"
)
_PG_TRIGGERS_SQL = (
    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
    "(to_regclass('entries'), to_regclass('power_batches'), to_regclass('energy_segments'))"
)
"""Over the ledger's tables (``energy_segments`` may not exist yet: NULL, matching nothing)."""


def _pg_constraints(conn: Connection) -> list[str]:
    return [row[0] for row in conn.exec_driver_sql(_PG_CONSTRAINTS_SQL)]


def present_guards(conn: Connection) -> set[str]:
    """The names of the guard triggers/constraints this database holds."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in rows}
    rows = conn.exec_driver_sql(_PG_TRIGGERS_SQL)
    return {row[0] for row in rows} | set(_pg_constraints(conn))


def missing_guards(conn: Connection) -> list[str]:
    """Guard triggers/constraints that should be there and are not (dropped by hand). A
    ledger opened read-only before ``0004_seq_positive`` was applied is not asked for its
    seq guards."""
    have = present_guards(conn)
    expected = GUARDS.get(conn.dialect.name, ())
    done = applied(conn)
    if "0004_seq_positive" not in done:
        expected = tuple(name for name in expected if name not in SEQ_CONSTRAINTS)
    if "0006_energy_segments" in done:
        expected += ENERGY_GUARDS.get(conn.dialect.name, ())
    return [name for name in expected if name not in have]


def repair_guards(conn: Connection) -> list[str]:
    """Re-create the missing guards (inside a write transaction); return their names."""
    missing = missing_guards(conn)
    if missing:
        _m0002_append_only(conn)
        _power_append_only(conn)
        _m0004_seq_positive(conn)
        if "0006_energy_segments" in applied(conn):
            _energy_guards(conn)
    return missing


def _m0005_meta(conn: Connection) -> None:
    schema.meta.create(conn, checkfirst=True)


def _m0006_energy_segments(conn: Connection) -> None:
    """Energy entries as numbers beside their entries, backfilled from existing entries
    (a page at a time: an old ledger may hold millions)."""
    schema.energy_segments.create(conn, checkfirst=True)
    for index in schema.energy_segments.indexes:
        index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        _execute(conn, POSTGRES_APPEND_ONE)
    t = schema.entries
    after = 0
    while True:
        query = (
            select(t.c.seq, t.c.payload)
            .where(t.c.kind == "energy", t.c.seq > after)
            .order_by(t.c.seq)
            .limit(20_000)
        )
        page = conn.execute(query).all()
        if not page:
            break
        rows = []
        for seq, payload in page:
            try:
                rows.append(segment_row(seq, json.loads(payload)))
            except (ValueError, KeyError, TypeError):
                pass  # an entry that does not parse: verify names it, and its missing row
        if rows:
            conn.execute(insert(schema.energy_segments), rows)
        after = int(page[-1][0])
    _energy_guards(conn)


APPEND_LOCK = 0x6563_6F6C  # "ecol": one advisory lock for the chain (the ledger's)

POSTGRES_APPEND_ONE = f"""
CREATE OR REPLACE FUNCTION ecoledger_append_one(
    p_id text, p_run_id text, p_kind text, p_recorded_at text, p_payload text,
    p_segment jsonb, p_power jsonb, p_t_s bytea, p_power_w bytea
) RETURNS TABLE (new_seq bigint, new_hash text) AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    digest text;
BEGIN
    PERFORM pg_advisory_xact_lock({APPEND_LOCK});
    SELECT e.seq, e.hash INTO head_seq, head_hash FROM entries e ORDER BY e.seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    digest := encode(sha256(convert_to(head_hash || p_payload, 'UTF8')), 'hex');
    INSERT INTO entries (seq, id, run_id, kind, recorded_at, payload, prev_hash, hash)
    VALUES (head_seq + 1, p_id, p_run_id, p_kind, p_recorded_at, p_payload, head_hash, digest);
    IF p_segment IS NOT NULL THEN
        INSERT INTO energy_segments SELECT (jsonb_populate_record(
            NULL::energy_segments, p_segment || jsonb_build_object('seq', head_seq + 1))).*;
    END IF;
    IF p_power IS NOT NULL THEN
        INSERT INTO power_batches (seq, run_id, device_id, device_kind, method, samples,
            t_first_s, t_last_s, t_s_f64le, power_w_f64le)
        VALUES (head_seq + 1, p_run_id, p_power ->> 'device_id', p_power ->> 'device_kind',
            p_power ->> 'method', (p_power ->> 'samples')::integer,
            (p_power ->> 't_first_s')::double precision,
            (p_power ->> 't_last_s')::double precision, p_t_s, p_power_w);
    END IF;
    RETURN QUERY SELECT head_seq + 1, digest;
END
$$ LANGUAGE plpgsql
"""
"""One entry (and its derived row) appended in one statement, so in one round trip: the
append lock, the head, the hash ``sha256(prev_hash || payload)`` and the inserts, on the
server. Returns the new seq and hash."""


def _energy_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_ENERGY_APPEND_ONLY:
            _execute(conn, statement)
        return
    for statement in POSTGRES_ENERGY_APPEND_ONLY:
        _execute(conn, statement)
    if "energy_segments_seq_positive" not in set(_pg_constraints(conn)):
        _execute(
            conn,
            "ALTER TABLE energy_segments ADD CONSTRAINT energy_segments_seq_positive "
            "CHECK (seq > 0) NOT VALID",
        )


MIGRATIONS: tuple[tuple[str, Callable[[Connection], None]], ...] = (
    ("0001_entries", _m0001_entries),
    ("0002_append_only_triggers", _m0002_append_only),
    ("0003_power_batches", _m0003_power_batches),
    ("0004_seq_positive", _m0004_seq_positive),
    ("0005_meta", _m0005_meta),
    ("0006_energy_segments", _m0006_energy_segments),
)
KNOWN = {name for name, _ in MIGRATIONS}
MIGRATE_LOCK = 0x6563_6F6D  # "ecom": one advisory lock for schema changes


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


def pending(names: list[str]) -> list[str]:
    """The known migrations not yet in ``names`` (after refusing unknown ones)."""
    check_known(names)
    done = set(names)
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(conn: Connection) -> list[str]:
    """Apply the missing migrations in order; return the names applied now.

    The caller holds the write lock (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL this takes
    a transaction-scoped advisory lock) so that processes opening a new ledger at once
    do not race.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
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
