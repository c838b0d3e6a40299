"""Recompute the hash chain of a ledger and say where it first breaks.

For each entry in ``seq`` order: ``seq`` follows the previous one, ``prev_hash`` equals the
previous entry's ``hash``, ``hash == sha256(prev_hash + payload)``, the payload is canonical
JSON of an entry that parses against its schema with finite numbers, and the
``id``/``run_id``/``kind``/``recorded_at`` columns agree with it (one function,
:func:`~accounting.store.entry_check.row_problem`, shared with ``import``). Then every
``power_batches`` row must match its power_samples entry, and every ``energy_segments`` row
its energy entry, and no entry lacks its row; no row
may sit at seq ≤ 0 or (a power batch) beyond the head without its entry; and the append-only
guards (triggers, seq constraints) must all be there. This finds an entry edited, removed,
inserted or reordered, even with the append-only triggers dropped. Every finding names its seq.

What a chain cannot show by itself: entries removed from the *end*, or a whole chain
recomputed after an edit. Both are caught by an *anchor*: a (seq, hash) pair kept outside the
ledger (printed by ``ecoledger verify``, quoted in a report). ``verify(..., anchor=...)`` fails
when the ledger no longer holds that hash at that seq.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select

from accounting.canonical import GENESIS_HASH
from accounting.errors import InputError
from accounting.store import migrations, schema
from accounting.store.energy import segment_row
from accounting.store.entry_check import row_problem
from accounting.store.ledger import Ledger
from accounting.store.power import batch_row


@dataclass(frozen=True)
class Anchor:
    """A (seq, hash) pair recorded outside the ledger."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``SEQ:HASH`` as printed by ``ecoledger verify``."""
        seq_text, _, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if not seq_text.isdigit() or int(seq_text) < 1:
            raise InputError(f"`anchor`: expected SEQ:HASH with SEQ ≥ 1, got {text!r}")
        if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
            raise InputError(f"`anchor`: HASH must be 64 hex digits, got {text!r}")
        return cls(int(seq_text), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


MAX_FINDINGS = 50


@dataclass(frozen=True)
class Finding:
    """One thing verify found wrong; ``seq``/``id`` name the row when there is one."""

    seq: int | None
    id: str | None
    reason: str

    def __str__(self) -> str:
        if self.seq is None:
            return self.reason
        return f"seq {self.seq}" + (f" (id {self.id})" if self.id else "") + f": {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`. ``checked`` counts entries read; ``findings`` lists
    every problem found (at most :data:`MAX_FINDINGS`), the first one also in
    ``first_bad_seq``/``first_bad_id``/``reason``."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    reason: str = ""
    findings: tuple[Finding, ...] = ()

    @property
    def message(self) -> str:
        if self.ok:
            return (
                f"ledger intact: {self.checked} entries checked; "
                f"head {self.head_seq}:{self.head_hash}"
            )
        if self.first_bad_seq is None:
            first = f"ledger BROKEN: {self.reason}"
        else:
            first = (
                f"ledger BROKEN at seq {self.first_bad_seq} (id {self.first_bad_id}): {self.reason}"
            )
        more = self.findings[1:]
        if not more:
            return first
        named = "; ".join(str(finding) for finding in more[:5])
        rest = f"; and {len(more) - 5} more" if len(more) > 5 else ""
        return f"{first} (also: {named}{rest})"

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_id": self.first_bad_id,
            "reason": self.reason or None,
            "findings": [finding.as_dict() for finding in self.findings],
        }


def result_of(checked: int, head_seq: int, head_hash: str, findings: list[Finding]) -> VerifyResult:
    if not findings:
        return VerifyResult(True, checked, head_seq, head_hash)
    first = findings[0]
    return VerifyResult(
        False,
        checked,
        head_seq,
        head_hash,
        first.seq,
        first.id,
        first.reason,
        tuple(findings[:MAX_FINDINGS]),
    )


def _fingerprint(values: dict[str, object]) -> tuple[object, ...]:
    """A batch row reduced to comparable values (blobs by their SHA-256)."""
    out: list[object] = []
    for name in sorted(values):
        value = values[name]
        if isinstance(value, bytes | memoryview):
            out.append((name, hashlib.sha256(bytes(value)).hexdigest()))
        elif isinstance(value, float) and math.isnan(value):
            out.append((name, "nan"))
        else:
            out.append((name, float(value) if isinstance(value, int | float) else value))
    return tuple(out)


@dataclass(frozen=True)
class _Derived:
    """A table derived from one kind of entry, and how verify names what is wrong in it."""

    table: Any
    kind: str
    row_of: Callable[[int, Any], dict[str, Any]]
    inserted: str
    edited: str
    removed: str


DERIVED = (
    _Derived(
        schema.power_batches,
        "power_samples",
        batch_row,
        "a power_batches row has no power_samples entry (samples inserted",
        "power_batches row differs from the entry's samples (samples edited)",
        "the entry's power_batches row is missing (samples removed)",
    ),
    _Derived(
        schema.energy_segments,
        "energy",
        segment_row,
        "an energy_segments row has no energy entry (segment inserted",
        "energy_segments row differs from its energy entry (segment edited)",
        "the entry's energy_segments row is missing (segment removed)",
    ),
)


def _has_table(ledger: Ledger, table: Any) -> bool:
    with ledger.engine.connect() as conn:
        return bool(inspect(conn).has_table(table.name))


def _check_derived(
    ledger: Ledger,
    derived: _Derived,
    after_seq: int,
    upto_seq: int,
    expected: dict[int, tuple[str, tuple[object, ...]]],
) -> list[Finding]:
    """Every row of a derived table after ``after_seq`` matches its entry, none is missing,
    and none lies beyond the head without its entry."""
    pb = derived.table
    t = schema.entries
    findings: list[Finding] = []
    after = after_seq
    seen: set[int] = set()
    beyond: list[int] = []
    while True:
        query = select(pb).where(pb.c.seq > after).order_by(pb.c.seq).limit(2000)
        with ledger.engine.connect() as conn, conn.begin():
            rows = conn.execute(query).all()
        if not rows:
            break
        for row in rows:
            seq = int(row.seq)
            if seq > upto_seq:
                beyond.append(seq)  # appended since verify began, or planted: see below
                continue
            if seq not in expected:
                findings.append(Finding(seq, None, derived.inserted + ")"))
                continue
            entry_id, want = expected[seq]
            if _fingerprint(dict(row._mapping)) != want:
                findings.append(Finding(seq, entry_id, derived.edited))
            seen.add(seq)
        after = int(rows[-1].seq)
    if beyond:
        # a derived row and its entry commit together: a visible row has a visible entry
        with ledger.engine.connect() as conn, conn.begin():
            held = {
                int(row[0])
                for row in conn.execute(
                    select(t.c.seq).where(t.c.seq.in_(beyond), t.c.kind == derived.kind)
                )
            }
        for seq in beyond:
            if seq not in held:
                findings.append(Finding(seq, None, derived.inserted + " beyond the head)"))
    for seq in sorted(set(expected) - seen):
        findings.append(Finding(seq, expected[seq][0], derived.removed))
    return findings


def _outside_the_chain(ledger: Ledger) -> list[Finding]:
    """Rows at seq ≤ 0, which a walk from seq 1 never reads."""
    findings = []
    for table in (schema.entries, schema.power_batches, schema.energy_segments):
        if table is schema.energy_segments and not _has_table(ledger, table):
            continue
        has_id = "id" in table.c
        columns = [table.c.seq, table.c.id] if has_id else [table.c.seq]
        with ledger.engine.connect() as conn, conn.begin():
            rows = conn.execute(
                select(*columns).where(table.c.seq <= 0).order_by(table.c.seq)
            ).all()
        for row in rows:
            findings.append(
                Finding(
                    int(row[0]),
                    str(row[1]) if has_id else None,
                    f"a {table.name} row at seq ≤ 0, outside the chain (inserted behind "
                    "ecoledger's back)",
                )
            )
    return findings


def _guard_findings(ledger: Ledger) -> list[Finding]:
    with ledger.engine.connect() as conn, conn.begin():
        missing = migrations.missing_guards(conn)
    if not missing:
        return []
    return [
        Finding(
            None,
            None,
            f"the append-only guards {', '.join(missing)} are missing (dropped by hand; "
            "`ecoledger verify --repair-triggers` re-creates them)",
        )
    ]


def verify(
    ledger: Ledger, anchor: Anchor | None = None, *, since: tuple[int, str] | None = None
) -> VerifyResult:
    """Recompute the chain up to the head seen at the start (later appends are not read).

    ``since``: a (seq, hash) verified earlier; only the rows after it are recomputed (the
    row at that seq must still hold that hash). Every finding is collected, not just the
    first.
    """
    head_seq, _ = ledger.head()
    prev_seq, prev_hash, prev_id = 0, GENESIS_HASH, None
    findings: list[Finding] = []
    if since is not None and since[0] > head_seq:
        findings.append(
            Finding(
                since[0],
                None,
                f"seq {since[0]} was verified earlier but the head is now seq {head_seq}: "
                "entries were removed from the end",
            )
        )
    elif since is not None and since[0] > 0:
        held = list(ledger.stored(after_seq=since[0] - 1, upto_seq=since[0]))
        if held and held[0].hash == since[1]:
            prev_seq, prev_hash, prev_id = since[0], since[1], held[0].id
        else:
            findings.append(
                Finding(
                    since[0],
                    held[0].id if held else None,
                    "no longer holds the hash verified earlier (the chain was rewritten)",
                )
            )
    start_seq = prev_seq
    checked = 0
    derived = [d for d in DERIVED if d.kind == "power_samples" or _has_table(ledger, d.table)]
    expected: dict[str, dict[int, tuple[str, tuple[object, ...]]]] = {d.kind: {} for d in derived}
    row_of = {d.kind: d.row_of for d in derived}
    anchor_seen = False
    for row in ledger.iter_stored(upto_seq=head_seq, after_seq=start_seq):
        if len(findings) >= MAX_FINDINGS:
            break
        problem: str | None = None
        try:
            parsed = json.loads(row.payload)
        except ValueError:
            parsed = None  # row_problem names it
        if row.seq != prev_seq + 1:
            gap = (
                f"seq {prev_seq + 1}"
                if row.seq == prev_seq + 2
                else f"seq {prev_seq + 1}–{row.seq - 1}"
            )
            problem = f"{gap} missing before it (entry removed or reordered)"
        elif row.prev_hash != prev_hash:
            after = f"seq {prev_seq} (id {prev_id})" if prev_id else "the start of the chain"
            problem = (
                f"prev_hash does not match the hash of {after} "
                "(an entry was inserted, removed or reordered before it)"
            )
        else:
            problem = row_problem(row, parsed)
        if anchor is not None and row.seq == anchor.seq:
            anchor_seen = True
            if problem is None and row.hash != anchor.hash:
                problem = (
                    f"hash {row.hash[:12]}… differs from the anchor {anchor.hash[:12]}… "
                    "(the chain was rewritten since the anchor was taken)"
                )
        if problem:
            findings.append(Finding(row.seq, row.id, problem))
        if row.kind in row_of and isinstance(parsed, dict):
            try:
                fingerprint = _fingerprint(row_of[row.kind](row.seq, parsed))
                expected[row.kind][row.seq] = (row.id, fingerprint)
            except Exception:  # noqa: BLE001
                pass  # a payload that is no such entry: already a finding
        checked += 1
        prev_seq, prev_hash, prev_id = row.seq, row.hash, row.id
    if anchor is not None and not anchor_seen and anchor.seq > start_seq:
        findings.append(
            Finding(
                anchor.seq,
                None,
                f"the anchor's seq {anchor.seq} is beyond the head (seq {prev_seq}): "
                "entries were removed from the end",
            )
        )
    for table in derived:
        findings += _check_derived(ledger, table, start_seq, prev_seq, expected[table.kind])
    findings += _outside_the_chain(ledger)
    findings += _guard_findings(ledger)
    return result_of(checked, prev_seq, prev_hash, findings)


def repair_triggers(ledger: Ledger) -> list[str]:
    """Re-create the append-only guards that were dropped; return their names."""
    with ledger.engine.connect().execution_options(ecoledger_write=True) as conn:
        with conn.begin():
            return migrations.repair_guards(conn)
