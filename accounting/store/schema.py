"""The ledger's tables (SQLAlchemy Core). The same schema runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

entries = Table(
    "entries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False, unique=True),
    Column("run_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_entries_run_kind", entries.c.run_id, entries.c.kind)
Index("ix_entries_kind_recorded", entries.c.kind, entries.c.recorded_at)

migrations = Table(
    "ecoledger_migrations",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)
