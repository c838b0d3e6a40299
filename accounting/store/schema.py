"""The ledger's tables (SQLAlchemy Core). The same schema runs on SQLite and PostgreSQL.

``entries`` is the ledger: one row per entry, chained by ``prev_hash``/``hash``. Its column
names are a contract with the audit tools: ``hash = sha256(prev_hash + payload)``.

``power_batches`` is a derived, read-optimized copy of each ``power_samples`` entry (one row
per batch, the samples as little-endian float64 arrays), written in the same transaction as
the entry. The entry in ``entries`` stays the source of truth; ``verify`` checks that every
batch matches its entry. ``energy_segments`` is the same for ``energy`` entries.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

_SEQ = BigInteger().with_variant(Integer, "sqlite")

entries = Table(
    "entries",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
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

power_batches = Table(
    "power_batches",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("run_id", String(64), nullable=False),
    Column("device_id", Text, nullable=False),
    Column("device_kind", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("samples", Integer, nullable=False),
    Column("t_first_s", Double, nullable=False),
    Column("t_last_s", Double, nullable=False),
    Column("t_s_f64le", LargeBinary, nullable=False),
    Column("power_w_f64le", LargeBinary, nullable=False),
)
Index(
    "ix_power_batches_run_device_t",
    power_batches.c.run_id,
    power_batches.c.device_id,
    power_batches.c.t_first_s,
)

energy_segments = Table(
    "energy_segments",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("run_id", String(64), nullable=False),
    Column("window_key", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("device_kind", Text, nullable=False),
    Column("device_model", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("approximated", Integer, nullable=False),
    Column("joules", Double, nullable=False),
    Column("start_s", Double, nullable=False),
    Column("end_s", Double, nullable=False),
    Column("duration_s", Double, nullable=False),
    Column("count", BigInteger, nullable=True),
    Column("writer_host", Text, nullable=False),
    Column("writer_rank", Integer, nullable=True),
    Column("recorded_at", String(40), nullable=False),
)
"""A derived copy of each ``energy`` entry (see :mod:`accounting.store.energy`); times are
Unix seconds, ``approximated`` 0/1, ``writer_host``/``writer_rank`` the writer's."""
Index("ix_energy_segments_run_window", energy_segments.c.run_id, energy_segments.c.window_key)

migrations = Table(
    "ecoledger_migrations",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

meta = Table(
    "ecoledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Small bookkeeping values, never figures: e.g. ``verified_upto`` = ``SEQ:HASH``, the head
at the last successful verification (where the cheap incremental check starts)."""
