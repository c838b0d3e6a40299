"""Recompute the hash chain of a ledger and say where it first breaks.

For each entry in ``seq`` order: ``seq`` follows the previous one, ``prev_hash`` equals the
previous entry's ``hash``, ``hash == sha256(prev_hash + payload)``, the payload is canonical
JSON, and the ``id``/``run_id``/``kind``/``recorded_at`` columns agree with it. Then every
``power_batches`` row must match its power_samples entry. This finds an entry edited, removed,
inserted or reordered, even with the append-only triggers dropped.

What a chain cannot show by itself: entries removed from the *end*, or a whole chain
recomputed after an edit. Both are caught by an *anchor*: a (seq, hash) pair kept outside the
ledger (printed by ``ecoledger verify``, quoted in a report). ``verify(..., anchor=...)`` fails
when the ledger no longer holds that hash at that seq.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

from sqlalchemy import select

from accounting.canonical import GENESIS_HASH, canonical_json, chain_hash
from accounting.errors import InputError
from accounting.store import schema
from accounting.store.ledger import Ledger, StoredEntry, columns_of
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
            raise InputError(f"--anchor: expected SEQ:HASH with SEQ ≥ 1, got {text!r}")
        if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
            raise InputError(f"--anchor: HASH must be 64 hex digits, got {text!r}")
        return cls(int(seq_text), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`. ``checked`` counts entries read before stopping."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    reason: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return (
                f"ledger intact: {self.checked} entries checked; "
                f"head {self.head_seq}:{self.head_hash}"
            )
        return f"ledger BROKEN at seq {self.first_bad_seq} (id {self.first_bad_id}): {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_id": self.first_bad_id,
            "reason": self.reason or None,
        }


def _broken(checked: int, row: StoredEntry, reason: str) -> VerifyResult:
    return VerifyResult(False, checked, row.seq, row.hash, row.seq, row.id, reason)


def _payload_problem(row: StoredEntry) -> str | None:
    try:
        data = json.loads(row.payload)
    except ValueError:
        return "payload is not JSON (entry edited)"
    if not isinstance(data, dict):
        return "payload is not a JSON object (entry edited)"
    if canonical_json(data) != row.payload:
        return "payload is not canonical JSON (entry edited)"
    try:
        columns = columns_of(data)
    except (KeyError, ValueError, TypeError):
        return "payload lacks id, run_id, kind or recorded_at (entry edited)"
    names = ("id", "run_id", "kind", "recorded_at")
    for name, want, have in zip(
        names, columns, (row.id, row.run_id, row.kind, row.recorded_at), strict=True
    ):
        if want != have:
            return f"column {name} ({have!r}) differs from the payload ({want!r}) (entry edited)"
    return None


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


def _check_power(
    ledger: Ledger, upto_seq: int, expected: dict[int, tuple[str, tuple[object, ...]]]
) -> tuple[int, str | None, str] | None:
    """Every power_batches row up to ``upto_seq`` matches its entry, and none is missing.
    Returns (seq, id, reason) of the first mismatch, or None."""
    pb = schema.power_batches
    after = 0
    seen: set[int] = set()
    while True:
        query = (
            select(pb).where(pb.c.seq > after, pb.c.seq <= upto_seq).order_by(pb.c.seq).limit(2000)
        )
        with ledger.engine.connect() as conn, conn.begin():
            rows = conn.execute(query).all()
        if not rows:
            break
        for row in rows:
            seq = int(row.seq)
            if seq not in expected:
                return (
                    seq,
                    None,
                    "a power_batches row has no power_samples entry (samples inserted)",
                )
            entry_id, want = expected[seq]
            if _fingerprint(dict(row._mapping)) != want:
                return (
                    seq,
                    entry_id,
                    "power_batches row differs from the entry's samples (samples edited)",
                )
            seen.add(seq)
        after = int(rows[-1].seq)
    missing = sorted(set(expected) - seen)
    if missing:
        return (
            missing[0],
            expected[missing[0]][0],
            "the entry's power_batches row is missing (samples removed)",
        )
    return None


def verify(ledger: Ledger, anchor: Anchor | None = None) -> VerifyResult:
    """Recompute the chain up to the head seen at the start (later appends are not read)."""
    head_seq, _ = ledger.head()
    prev_seq, prev_hash, prev_id = 0, GENESIS_HASH, None
    checked = 0
    power_expected: dict[int, tuple[str, tuple[object, ...]]] = {}
    anchor_seen = False
    for row in ledger.iter_stored(upto_seq=head_seq):
        if row.seq != prev_seq + 1:
            gap = (
                f"seq {prev_seq + 1}"
                if row.seq == prev_seq + 2
                else f"seq {prev_seq + 1}–{row.seq - 1}"
            )
            return _broken(checked, row, f"{gap} missing before it (entry removed or reordered)")
        if row.prev_hash != prev_hash:
            after = f"seq {prev_seq} (id {prev_id})" if prev_id else "the start of the chain"
            return _broken(
                checked,
                row,
                f"prev_hash does not match the hash of {after} "
                "(an entry was inserted, removed or reordered before it)",
            )
        if chain_hash(row.prev_hash, row.payload) != row.hash:
            return _broken(checked, row, "hash does not match prev_hash + payload (entry edited)")
        problem = _payload_problem(row)
        if problem:
            return _broken(checked, row, problem)
        if anchor is not None and row.seq == anchor.seq:
            if row.hash != anchor.hash:
                return _broken(
                    checked,
                    row,
                    f"hash {row.hash[:12]}… differs from the anchor {anchor.hash[:12]}… "
                    "(the chain was rewritten since the anchor was taken)",
                )
            anchor_seen = True
        if row.kind == "power_samples":
            power_expected[row.seq] = (
                row.id,
                _fingerprint(batch_row(row.seq, json.loads(row.payload))),
            )
        checked += 1
        prev_seq, prev_hash, prev_id = row.seq, row.hash, row.id
    if anchor is not None and not anchor_seen:
        return VerifyResult(
            False,
            checked,
            prev_seq,
            prev_hash,
            anchor.seq,
            None,
            f"the anchor's seq {anchor.seq} is beyond the head (seq {prev_seq}): "
            "entries were removed from the end",
        )
    power_problem = _check_power(ledger, prev_seq, power_expected)
    if power_problem is not None:
        bad_seq, bad_id, reason = power_problem
        return VerifyResult(False, checked, prev_seq, prev_hash, bad_seq, bad_id, reason)
    return VerifyResult(True, checked, prev_seq, prev_hash)
