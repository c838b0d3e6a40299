"""The ledger's small bookkeeping table, ``ecoledger_meta``: read and written inside a
caller's transaction. Holds ``verified_upto`` = ``SEQ:HASH``, the point up to which the chain
is known good (see :mod:`accounting.store.checkpoint`)."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from accounting.store import schema

MARK_KEY = "verified_upto"
_UPSERT = text(
    "INSERT INTO ecoledger_meta (key, value) VALUES (:key, :value) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def parse_mark(value: object) -> tuple[int, str] | None:
    if not isinstance(value, str):
        return None
    seq_text, _, digest = value.partition(":")
    if not seq_text.isdigit() or len(digest) != 64:
        return None
    return int(seq_text), digest


def read_mark_in(conn: Connection) -> tuple[int, str] | None:
    m = schema.meta
    return parse_mark(conn.execute(select(m.c.value).where(m.c.key == MARK_KEY)).scalar())


def write_mark_in(conn: Connection, seq: int, digest: str) -> None:
    conn.execute(_UPSERT, {"key": MARK_KEY, "value": f"{seq}:{digest}"})
