"""The cheap chain check behind every reader: verify incrementally from the last verified
point, kept in the ledger's metadata (``ecoledger_meta.verified_upto`` = ``SEQ:HASH``).

``show``, ``assess``, ``report`` and the dashboard call :func:`check_chain` before they show
figures: it recomputes only the entries appended since the last successful check (and that
the entry at the mark still holds its hash), plus the derived rows after it, rows at seq ≤ 0
and the append-only guards; and the hash, link and columns of every row of the runs about to
be shown that sits at or before the mark (:func:`run_findings`). A full ``ecoledger verify`` re-reads everything; an edit *before* the
mark, in a run not shown, is found there, not here.

The batching writer (``ecoledger run``, ``track()``) keeps the mark at the head: a flush that
starts at the mark's head writes rows it chained itself, so it moves the mark along (a ledger
verified once, or created by this version, is checked almost for free; rows appended by
anything else are checked the next time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import text

from accounting.canonical import chain_hash
from accounting.store.engines import SQLITE_BUSY_TIMEOUT_S
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


_RUN_ROWS = (
    "SELECT seq, id, run_id, kind, prev_hash, payload, hash FROM entries "
    "WHERE run_id = :run_id AND seq <= :upto ORDER BY seq"
)
_BROKEN_LINKS = (
    "SELECT a.seq, a.id FROM entries a JOIN entries b ON b.seq = a.seq + 1 "
    "WHERE a.run_id = :run_id AND a.seq <= :upto AND b.prev_hash <> a.hash ORDER BY a.seq"
)


def _pair(key: str, value: str) -> str:
    """``"key":value`` as canonical JSON writes it at an entry's top level (a quote inside a
    string is escaped there, and no nested object of an entry has the keys looked for)."""
    return f'"{key}":{orjson.dumps(value).decode()}'


def run_findings(ledger: Ledger, run_ids: Iterable[str], upto_seq: int) -> list[Finding]:
    """The rows of these runs at or before the verified mark (``upto_seq``), wherever they
    sit in the chain: each still hashes to its ``hash`` over ``prev_hash`` + payload, the next
    row's ``prev_hash`` is that hash, and its id, run and kind columns are its payload's.
    The rows after the mark are :func:`~accounting.store.verify.verify`'s (``since``). A row
    that still hashes to what was verified holds the bytes that were checked against their
    schema then, so the schema is not checked again: an edit before the mark is caught here,
    unless the whole chain after it was recomputed, which moves the mark's hash and is caught
    by ``verify``. This reads each row once, and no payload is parsed."""
    findings: list[Finding] = []
    if upto_seq < 1:
        return findings
    with ledger.engine.connect() as conn, conn.begin():
        for run_id in dict.fromkeys(run_ids):
            params = {"run_id": run_id, "upto": upto_seq}
            edited: set[int] = set()
            run_pair = _pair("run_id", run_id)
            kind_pairs: dict[str, str] = {}
            rows = conn.execute(text(_RUN_ROWS), params).all()
            for seq, entry_id, run, kind, prev, payload, digest in rows:
                if kind not in kind_pairs:
                    kind_pairs[kind] = _pair("kind", kind)
                if chain_hash(prev, payload) != digest:
                    problem = "hash does not match prev_hash + payload (entry edited)"
                elif (
                    run != run_id
                    or run_pair not in payload
                    or kind_pairs[kind] not in payload
                    or _pair("id", entry_id) not in payload
                ):
                    problem = "the id, run_id or kind column differs from the payload (row edited)"
                else:
                    continue
                edited.add(seq)
                findings.append(Finding(seq, entry_id, problem))
            del rows
            for seq, entry_id in conn.execute(text(_BROKEN_LINKS), params):
                if seq not in edited:
                    findings.append(
                        Finding(
                            seq,
                            entry_id,
                            "the next entry's prev_hash is not this entry's hash (entry edited)",
                        )
                    )
    return sorted(findings, key=lambda f: f.seq or 0)


def check_chain(ledger: Ledger, run_ids: Iterable[str] = (), *, save: bool = True) -> VerifyResult:
    """Verify from the last verified point to the head, and every row of ``run_ids`` (the
    runs about to be shown); move the point on when intact (``save=False``: the caller saves
    it with :func:`save_mark` once its command succeeded, so that a command that fails
    leaves the ledger as it was)."""
    mark = read_mark(ledger)
    result = verify(ledger, since=mark)
    extra = run_findings(ledger, run_ids, mark[0] if mark is not None else 0)
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
