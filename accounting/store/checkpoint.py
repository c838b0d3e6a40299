"""The cheap chain check behind every reader: verify incrementally from the last verified
point, kept in the ledger's metadata (``ecoledger_meta.verified_upto`` = ``SEQ:HASH``).

``show``, ``assess``, ``report`` and the dashboard call :func:`check_chain` before they show
figures: it recomputes only the entries appended since the last successful check (and that
the entry at the mark still holds its hash), plus the derived rows after it, rows at seq ≤ 0
and the append-only guards; and every row of the runs about to be shown, wherever it sits
(:func:`run_findings`). A full ``ecoledger verify`` re-reads everything; an edit *before* the
mark, in a run not shown, is found there, not here.

The batching writer (``ecoledger run``, ``track()``) keeps the mark at the head: a flush that
starts at the mark's head writes rows it chained itself, so it moves the mark along (a ledger
verified once, or created by this version, is checked almost for free; rows appended by
anything else are checked the next time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from accounting.canonical import chain_hash
from accounting.store import schema
from accounting.store.engines import SQLITE_BUSY_TIMEOUT_S
from accounting.store.entry_check import row_problem
from accounting.store.ledger import Ledger
from accounting.store.meta import read_mark_in, write_mark_in
from accounting.store.verify import Finding, VerifyResult, result_of, verify

MARK_WAIT_MS = 250


def read_mark(ledger: Ledger) -> tuple[int, str] | None:
    """(seq, hash) of the last successful check, or None (never checked, or unreadable)."""
    try:
        with ledger.engine.connect() as conn, conn.begin():
            return read_mark_in(conn)
    except Exception:  # an older ledger without the table, or one we cannot read it in
        return None


def save_mark(ledger: Ledger, seq: int, digest: str) -> bool:
    """Keep (seq, hash) as verified; False when the ledger cannot be written now (read-only,
    or its write lock held: a reader waits at most :data:`MARK_WAIT_MS` for it)."""
    if seq < 1:
        return False
    sqlite = ledger.dialect == "sqlite"
    try:
        with ledger.engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={MARK_WAIT_MS}")
                conn.commit()
            try:
                conn.execution_options(ecoledger_write=True)
                with conn.begin():
                    write_mark_in(conn, seq, digest)
            finally:
                if sqlite:
                    conn.execution_options(ecoledger_write=False)
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
                    conn.commit()
    except Exception:
        return False
    return True


def _successors(ledger: Ledger, seqs: list[int]) -> dict[int, str]:
    """prev_hash of the rows at these seqs (those that exist)."""
    t = schema.entries
    found: dict[int, str] = {}
    with ledger.engine.connect() as conn, conn.begin():
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            query = select(t.c.seq, t.c.prev_hash).where(t.c.seq.in_(chunk))
            found.update((int(seq), str(prev)) for seq, prev in conn.execute(query))
    return found


def run_findings(ledger: Ledger, run_ids: Iterable[str]) -> list[Finding]:
    """Every row of these runs, wherever it sits in the chain: its hash matches its payload
    and the next row's prev_hash; a figure entry is also checked against its schema (a power
    batch, which only draws charts, by its hash alone: it can be megabytes). An edit before
    the verified mark is caught here, unless the whole chain after it was recomputed, which
    moves the mark's hash and is caught by :func:`~accounting.store.verify.verify`."""
    findings: list[Finding] = []
    for run_id in dict.fromkeys(run_ids):
        rows = list(ledger.stored(run_id=run_id))
        following = _successors(ledger, [row.seq + 1 for row in rows])
        for row in rows:
            if row.kind == "power_samples":
                problem = (
                    "hash does not match prev_hash + payload (entry edited)"
                    if chain_hash(row.prev_hash, row.payload) != row.hash
                    else None
                )
            else:
                problem = row_problem(row)
            if problem is None and following.get(row.seq + 1, row.hash) != row.hash:
                problem = "the next entry's prev_hash is not this entry's hash (entry edited)"
            if problem:
                findings.append(Finding(row.seq, row.id, problem))
    return findings


def check_chain(ledger: Ledger, run_ids: Iterable[str] = (), *, save: bool = True) -> VerifyResult:
    """Verify from the last verified point to the head, and every row of ``run_ids`` (the
    runs about to be shown); move the point on when intact (``save=False``: the caller saves
    it with :func:`save_mark` once its command succeeded, so that a command that fails
    leaves the ledger as it was)."""
    result = verify(ledger, since=read_mark(ledger))
    extra = run_findings(ledger, run_ids)
    if extra:
        findings = sorted(
            {(f.seq, f.id, f.reason): f for f in [*result.findings, *extra]}.values(),
            key=lambda f: (f.seq is None, f.seq or 0),
        )
        result = result_of(result.checked, result.head_seq, result.head_hash, findings)
    if result.ok and save:
        save_mark(ledger, result.head_seq, result.head_hash)
    return result


def chain_warning(ledger: Any, run_ids: Iterable[str] = ()) -> str | None:
    """One line for a reader when the chain does not verify (None when it does); the rows
    of ``run_ids`` (the runs shown) are checked wherever they sit."""
    try:
        result = check_chain(ledger, run_ids)
    except Exception as exc:  # a check that cannot run must not hide the figures
        return f"the ledger's chain could not be checked ({exc.__class__.__name__})"
    if result.ok:
        return None
    where = f"seq {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
    return (
        f"the ledger does not verify ({where}{result.reason}); figures may have been "
        "tampered with: run `ecoledger verify`"
    )
