"""The cheap chain check behind every reader: verify incrementally from the last verified
point, kept in the ledger's metadata (``ecoledger_meta.verified_upto`` = ``SEQ:HASH``).

``show``, ``assess``, ``report`` and the dashboard call :func:`check_chain` before they show
figures: it recomputes only the entries appended since the last successful check (and that
the entry at the mark still holds its hash), plus the derived rows after it, rows at seq ≤ 0
and the append-only guards. A full ``ecoledger verify`` re-reads everything; an edit *before*
the mark by someone who also dropped the triggers is found there, not here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from accounting.store import schema
from accounting.store.engines import SQLITE_BUSY_TIMEOUT_S
from accounting.store.ledger import Ledger
from accounting.store.verify import VerifyResult, verify

MARK_KEY = "verified_upto"
MARK_WAIT_MS = 250


def read_mark(ledger: Ledger) -> tuple[int, str] | None:
    """(seq, hash) of the last successful check, or None (never checked, or unreadable)."""
    m = schema.meta
    try:
        with ledger.engine.connect() as conn, conn.begin():
            value = conn.execute(select(m.c.value).where(m.c.key == MARK_KEY)).scalar()
    except Exception:  # an older ledger without the table, or one we cannot read it in
        return None
    if not isinstance(value, str):
        return None
    seq_text, _, digest = value.partition(":")
    if not seq_text.isdigit() or len(digest) != 64:
        return None
    return int(seq_text), digest


def save_mark(ledger: Ledger, seq: int, digest: str) -> bool:
    """Keep (seq, hash) as verified; False when the ledger cannot be written now (read-only,
    or its write lock held: a reader waits at most :data:`MARK_WAIT_MS` for it)."""
    if seq < 1:
        return False
    statement = text(
        "INSERT INTO ecoledger_meta (key, value) VALUES (:key, :value) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    sqlite = ledger.dialect == "sqlite"
    try:
        with ledger.engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={MARK_WAIT_MS}")
                conn.commit()
            try:
                conn.execution_options(ecoledger_write=True)
                with conn.begin():
                    conn.execute(statement, {"key": MARK_KEY, "value": f"{seq}:{digest}"})
            finally:
                if sqlite:
                    conn.execution_options(ecoledger_write=False)
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
                    conn.commit()
    except Exception:
        return False
    return True


def check_chain(ledger: Ledger, *, save: bool = True) -> VerifyResult:
    """Verify from the last verified point to the head; move the point on when intact
    (``save=False``: the caller saves it with :func:`save_mark` once its command succeeded,
    so that a command that fails leaves the ledger as it was)."""
    result = verify(ledger, since=read_mark(ledger))
    if result.ok and save:
        save_mark(ledger, result.head_seq, result.head_hash)
    return result


def chain_warning(ledger: Any) -> str | None:
    """One line for a reader when the chain does not verify (None when it does)."""
    try:
        result = check_chain(ledger)
    except Exception as exc:  # a check that cannot run must not hide the figures
        return f"the ledger's chain could not be checked ({exc.__class__.__name__})"
    if result.ok:
        return None
    where = f"seq {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
    return (
        f"the ledger does not verify ({where}{result.reason}); figures may have been "
        "tampered with: run `ecoledger verify`"
    )
