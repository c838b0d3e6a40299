"""The append-only, hash-chained ledger store (SQLAlchemy Core over SQLite or PostgreSQL).

Appends are serialized per backend (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped
advisory lock on PostgreSQL) and the head of the chain is read inside that lock, so the
chain stays linear with many writer processes. A batch is one transaction: readers see all
of it or none of it. The store has no update or delete; the database refuses them too.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from accounting.canonical import GENESIS_HASH, canonical_json, chain_hash
from accounting.entries import AnyEntry, entry_from_json
from accounting.errors import AmbiguousRun, InputError, LedgerError, NotALedger, RunNotFound
from accounting.store import schema
from accounting.store.energy import (
    DISAGREEING_SEGMENT_POSTGRES,
    DISAGREEING_SEGMENT_SQLITE,
    OTHER_WINDOW_TOTALS,
    RUN_SEGMENTS,
    RUN_WINDOW_TOTALS,
    segment_row,
    segment_values,
    summary_entries,
)
from accounting.store.engines import (
    lazy_postgres,
    open_postgres,
    open_sqlite,
    open_sqlite_read_only,
    probe_sqlite,
    writable,
)
from accounting.store.entry_check import (
    payload_non_finite,
    recorded_at_column,
    row_problem,
)
from accounting.store.location import is_postgres, ledger_location, mask_url, sqlalchemy_url
from accounting.store.meta import read_mark_in, write_mark_in
from accounting.store.power import DEFAULT_MAX_POINTS, PowerSeries, batch_row, downsample
from accounting.store.readable import read_row

MIN_PREFIX = 8
_CONTROL = re.compile(r"[\x00-\x1f]")
MAX_ID_CHARS = 64
INSERT_CHUNK = 2000
_PG_APPEND_LOCK = 0x6563_6F6C  # "ecol": one advisory lock for the chain
_E = schema.entries
_HEAD = select(_E.c.seq, _E.c.hash).order_by(_E.c.seq.desc()).limit(1)
_ENTRY_COLUMNS = tuple(column.name for column in _E.columns)
_POWER_COLUMNS = tuple(column.name for column in schema.power_batches.columns)
_APPEND_ONE = (
    "SELECT new_seq, new_hash FROM ecoledger_append_one("
    "%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::bytea, %s::bytea)"
)
_ENERGY_COLUMNS = tuple(column.name for column in schema.energy_segments.columns)


class DuplicateEntry(LedgerError, InputError):
    """An entry with this id is already in the ledger (or twice in one batch)."""


class ChainMismatch(LedgerError, InputError):
    """Pre-chained rows (an import, a copy) do not continue this ledger's chain."""


@dataclass(frozen=True)
class StoredEntry:
    """One row of ``entries``: the entry's canonical JSON and its place in the chain."""

    seq: int
    id: str
    run_id: str
    kind: str
    recorded_at: str
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class RunIndexRow:
    """One run as the run list needs it, read from its run_started/run_ended entries.

    ``status`` is None while no run_ended entry exists (running, or lost).
    """

    run_id: str
    name: str
    project: str | None
    run_kind: str
    started_at: datetime
    status: str | None
    ended_at: datetime | None
    duration_s: float | None
    entries: int
    first_seq: int
    last_seq: int


def _check_ids(entry: Any) -> None:
    for field in ("id", "run_id"):
        value = getattr(entry, field)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
            raise InputError(
                f"entry.{field}: must be 1 to {MAX_ID_CHARS} characters, got {value!r}"
            )
        if _CONTROL.search(value):
            raise InputError(f"entry.{field}: control characters are not allowed in {value!r}")
    if getattr(entry, "kind", None) == "power_samples":
        for field in ("device_id", "method"):
            if "\x00" in getattr(entry, field):
                raise InputError(f"entry.{field}: NUL characters are not allowed")


class Ledger:
    """An open ledger. Use :func:`open_ledger`; close it, or use it as a context manager."""

    def __init__(self, location: str, engine: Engine, *, read_only: bool = False) -> None:
        self.location = location
        self.engine = engine
        self.read_only = read_only
        self._has_meta: bool | None = None
        self._has_segments: bool | None = None
        self._one_conn: Connection | None = None
        self._one_lock = threading.Lock()
        self._last_summary: tuple[tuple[Any, ...], list[Any] | None] | None = None
        """The last :meth:`summarized_entries` answer, with the run, kinds and head it was
        read at (``show`` reads a run twice: for its view and for its assessment)."""
        """Opened ``mode=ro``: this process cannot write the ledger (a read-only file or
        folder). Reads work; a writer keeps its entries in a journal instead."""

    @property
    def display(self) -> str:
        """The location with any password masked."""
        return mask_url(self.location)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._one_lock:
            self._drop_one_conn()
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------
    def _lock_chain(self, conn: Connection) -> tuple[int, str]:
        """Inside a write transaction: take the append lock, return the head (seq, hash)."""
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
        head = conn.execute(_HEAD).first()
        return (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)

    def _mark_at(self, conn: Connection, head: tuple[int, str]) -> bool:
        """Inside the write lock: is the verified mark at this head (so that rows chained
        after it by this process keep the whole chain verified)? A new ledger counts."""
        if self._has_meta is None:
            self._has_meta = inspect(conn).has_table(schema.meta.name)
        if not self._has_meta:
            return False
        mark = read_mark_in(conn)
        return mark == head or (mark is None and head[0] == 0)

    def _insert(
        self,
        conn: Connection,
        rows: list[tuple[Any, ...]],
        power: list[Any],
        energy: list[Any],
    ) -> None:
        """executemany straight on the driver's cursor, inside the SQLAlchemy transaction
        (the append is the hot path; SQLAlchemy's per-statement work would double its cost).
        ``rows`` and ``energy``: entries and their energy_segments rows as tuples in column
        order; ``power``: (seq, entry or payload dict) of the power_samples entries."""
        mark = "?" if self.dialect == "sqlite" else "%s"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            tables: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = [
                (_E.name, _ENTRY_COLUMNS, rows),
                (schema.energy_segments.name, _ENERGY_COLUMNS, energy),
            ]
            if power:
                built = [batch_row(seq, data) for seq, data in power]
                tables.append(
                    (
                        schema.power_batches.name,
                        _POWER_COLUMNS,
                        [tuple(r[n] for n in _POWER_COLUMNS) for r in built],
                    )
                )
            for table, names, values in tables:
                if not values:
                    continue
                sql = (
                    f"INSERT INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join([mark] * len(names))})"
                )
                for start in range(0, len(values), INSERT_CHUNK):
                    cursor.executemany(sql, values[start : start + INSERT_CHUNK])
        finally:
            cursor.close()

    def _existing(self, conn: Connection, ids: Sequence[str]) -> dict[str, str]:
        t = schema.entries
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            found.update(conn.execute(select(t.c.id, t.c.hash).where(t.c.id.in_(chunk))).all())
        return found

    def append(
        self,
        new_entries: Sequence[AnyEntry],
        *,
        skip_existing: bool = False,
        keep_mark: bool = False,
    ) -> list[str]:
        """Append entries in one transaction, chained after the current head.

        Returns their hashes, in order. An id already in the ledger raises
        :class:`DuplicateEntry`, unless ``skip_existing``: then that entry is not written
        again and its stored hash is returned (a retry after a lost acknowledgement
        writes each entry exactly once). ``keep_mark``: when the verified mark is at the
        head, move it along to the new head (rows this process chained itself; two small
        statements more per transaction, so the batching writer asks for it, once a flush).
        """
        if not new_entries:
            return []
        if (
            len(new_entries) == 1
            and self.dialect == "postgresql"
            and not skip_existing
            and not keep_mark
            and self.has_segments()
        ):
            return [self._append_one_pg(new_entries[0])]
        ids = [entry.id for entry in new_entries]
        if len(set(ids)) != len(ids):
            twice = next(entry_id for entry_id in ids if ids.count(entry_id) > 1)
            raise DuplicateEntry(f"entry.id: {twice} appears twice in one batch")
        for entry in new_entries:
            _check_ids(entry)
        payloads = [canonical_json(entry) for entry in new_entries]
        for entry, payload in zip(new_entries, payloads, strict=True):
            where = payload_non_finite(payload)
            if where:  # verify would reject it, and every reader after it
                raise InputError(f"entry.{where}: must be a finite number (entry {entry.id})")
        try:
            with self.engine.connect().execution_options(ecoledger_write=True) as conn:
                with conn.begin():
                    seq, prev = self._lock_chain(conn)
                    follow = keep_mark and self._mark_at(conn, (seq, prev))
                    existing = self._existing(conn, ids) if skip_existing else {}
                    rows: list[tuple[Any, ...]] = []
                    power: list[Any] = []
                    energy: list[Any] = []
                    hashes: list[str] = []
                    for entry, payload in zip(new_entries, payloads, strict=True):
                        if entry.id in existing:
                            hashes.append(existing[entry.id])
                            continue
                        seq += 1
                        digest = chain_hash(prev, payload)
                        kind = entry.kind
                        recorded_at = recorded_at_column(entry.recorded_at)
                        rows.append(
                            (
                                seq,
                                entry.id,
                                entry.run_id,
                                kind,
                                recorded_at,
                                payload,
                                prev,
                                digest,
                            )
                        )
                        if kind == "power_samples":
                            power.append((seq, entry))
                        elif kind == "energy":
                            energy.append(segment_values(seq, entry, recorded_at, payload))
                        hashes.append(digest)
                        prev = digest
                    if rows:
                        self._insert(conn, rows, power, energy)
                        if follow:
                            write_mark_in(conn, seq, prev)
        except IntegrityError:
            with self.engine.connect() as conn, conn.begin():
                taken = sorted(self._existing(conn, ids))
            if taken:
                raise DuplicateEntry(
                    f"entry.id: {taken[0]} is already in the ledger"
                    + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
                ) from None
            raise
        return hashes

    def _append_one_pg(self, entry: Any) -> str:
        """One entry on PostgreSQL in one round trip: ``ecoledger_append_one`` takes the
        append lock, reads the head, hashes and inserts on the server (autocommit: the
        statement is its own transaction). A connection is kept for it, so no pool
        pre-ping either."""
        _check_ids(entry)
        payload = canonical_json(entry)
        where = payload_non_finite(payload)
        if where:
            raise InputError(f"entry.{where}: must be a finite number (entry {entry.id})")
        segment = power = t_s = power_w = None
        if entry.kind == "energy":
            segment = orjson.dumps(segment_row(0, entry)).decode()
        elif entry.kind == "power_samples":
            row = batch_row(0, entry)
            t_s, power_w = row.pop("t_s_f64le"), row.pop("power_w_f64le")
            power = orjson.dumps(row).decode()
        params = (
            entry.id,
            entry.run_id,
            entry.kind,
            recorded_at_column(entry.recorded_at),
            payload,
            segment,
            power,
            t_s,
            power_w,
        )
        with self._one_lock:
            for attempt in (1, 2):
                conn = self._one_conn
                if conn is None:
                    conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                    self._one_conn = conn
                try:
                    row_out = conn.exec_driver_sql(_APPEND_ONE, params).one()
                    return str(row_out[1])
                except IntegrityError:
                    taken = self._existing_now([entry.id])
                    if taken:
                        raise DuplicateEntry(
                            f"entry.id: {taken[0]} is already in the ledger"
                        ) from None
                    raise
                except DBAPIError as exc:
                    self._drop_one_conn()
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop_one_conn(self) -> None:
        if self._one_conn is not None:
            try:
                self._one_conn.close()
            except Exception:  # noqa: BLE001 - a dead connection
                pass
            self._one_conn = None

    def _existing_now(self, ids: Sequence[str]) -> list[str]:
        with self.engine.connect() as conn, conn.begin():
            return sorted(self._existing(conn, ids))

    def append_stored(self, rows: Sequence[StoredEntry]) -> int:
        """Append rows that already carry their seq and hashes (an import, a copy).

        They must continue this ledger's chain: the first new row follows the head, and each
        row's hash is ``sha256(prev_hash + payload)``. Rows the ledger already holds (same seq,
        same hash) are skipped, so a repeated import writes nothing twice. All or nothing:
        raises :class:`ChainMismatch` and writes nothing when the rows do not fit.
        Returns the number of rows written.
        """
        if not rows:
            return 0
        for before, row in zip([None, *rows[:-1]], rows, strict=True):
            where = f"seq {row.seq} (id {row.id})"
            problem = row_problem(row)  # what verify would reject is never written
            if problem:
                raise ChainMismatch(f"{where}: {problem}")
            if before is not None and (row.seq != before.seq + 1 or row.prev_hash != before.hash):
                raise ChainMismatch(f"{where}: does not follow seq {before.seq} (not one chain)")
        t = schema.entries
        with self.engine.connect().execution_options(ecoledger_write=True) as conn:
            with conn.begin():
                head_seq, head_hash = self._lock_chain(conn)
                overlap = [row for row in rows if row.seq <= head_seq]
                if overlap:
                    held = dict(
                        conn.execute(
                            select(t.c.seq, t.c.hash).where(
                                t.c.seq >= overlap[0].seq, t.c.seq <= overlap[-1].seq
                            )
                        ).all()
                    )
                    for row in overlap:
                        if held.get(row.seq) != row.hash:
                            raise ChainMismatch(
                                f"seq {row.seq} (id {row.id}): this ledger already holds a "
                                "different entry at that seq (another chain)"
                            )
                new = rows[len(overlap) :]
                if not new:
                    return 0
                first = new[0]
                if first.seq != head_seq + 1 or first.prev_hash != head_hash:
                    raise ChainMismatch(
                        f"seq {first.seq} (id {first.id}) does not continue this ledger, whose "
                        f"head is seq {head_seq} (hash {head_hash[:12]}…)"
                    )
                taken = self._existing(conn, [row.id for row in new])
                if taken:
                    raise DuplicateEntry(f"entry.id: {sorted(taken)[0]} is already in the ledger")
                values = [tuple(row.__dict__[name] for name in _ENTRY_COLUMNS) for row in new]
                power = [
                    (row.seq, json.loads(row.payload)) for row in new if row.kind == "power_samples"
                ]
                energy = [
                    tuple(segment_row(row.seq, json.loads(row.payload))[n] for n in _ENERGY_COLUMNS)
                    for row in new
                    if row.kind == "energy"
                ]
                self._insert(conn, values, power, energy)
        return len(new)

    # -- reading ---------------------------------------------------------------------------
    def stored(
        self,
        run_id: str | None = None,
        kinds: Iterable[str] | None = None,
        after_seq: int = 0,
        upto_seq: int | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEntry]:
        """Stored rows in chain order, optionally for one run, some kinds, a seq range.

        The rows come from one snapshot: never part of a batch.
        """
        t = schema.entries
        query = select(t).where(t.c.seq > after_seq).order_by(t.c.seq)
        if run_id is not None:
            query = query.where(t.c.run_id == run_id)
        if kinds is not None:
            query = query.where(t.c.kind.in_(list(kinds)))
        if upto_seq is not None:
            query = query.where(t.c.seq <= upto_seq)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn, conn.begin():
            rows = conn.execute(query).all()
        for row in rows:
            yield StoredEntry(*row)

    def iter_stored(
        self, page: int = 5000, upto_seq: int | None = None, after_seq: int = 0
    ) -> Iterator[StoredEntry]:
        """Every row in chain order (after ``after_seq``), a page at a time (for verify,
        export, copy).

        Appends are serialized and committed in seq order, so each page continues the last.
        """
        upto = self.head()[0] if upto_seq is None else upto_seq
        after = after_seq
        while after < upto:
            rows = list(self.stored(after_seq=after, upto_seq=upto, limit=page))
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def entries(
        self, run_id: str | None = None, kinds: Iterable[str] | None = None
    ) -> list[AnyEntry]:
        """Parsed, frozen entries in chain order. A row that does not parse reads as an
        ``entry_invalid`` problem on its run (:mod:`accounting.store.readable`)."""
        return [
            entry
            for row in self.stored(run_id, kinds)
            for entry in read_row(
                row.seq, row.id, row.run_id, row.kind, row.recorded_at, row.payload
            )
        ]

    def has_segments(self) -> bool:
        """Does this ledger hold ``energy_segments`` (migration 0006; a ledger opened
        read-only before it was applied does not)?"""
        if self._has_segments is None:
            with self.engine.connect() as conn:
                self._has_segments = inspect(conn).has_table(schema.energy_segments.name)
        return self._has_segments

    def summarized_entries(self, run_id: str, kinds: Iterable[str]) -> list[Any] | None:
        """A run's entries of ``kinds`` in chain order, its energy entries replaced by one
        stand-in per device and writer (the run window) or per window and writer (the others),
        summed by the database from ``energy_segments``: what the run view needs, without
        parsing every segment. None when that cannot be exact: no segments table, the run
        holds a Correction (which may void or replace a single segment), or an energy entry
        disagrees with its derived row (:data:`DISAGREEING_SEGMENT_SQLITE`). Asked again with
        the same head, the last answer is given again without reading (a row edited in place
        behind the store's back is read after the next append; the chain check behind every
        reader reads the rows themselves)."""
        wanted = [kind for kind in kinds if kind != "energy"]
        if "correction" not in wanted:
            wanted.append("correction")  # looked for, whatever the caller wants
        if not self.has_segments():
            return None
        params = {"run_id": run_id}
        with self.engine.connect() as conn, conn.begin():
            head = tuple(conn.execute(_HEAD).first() or ())
            key = (run_id, tuple(wanted), head)
            last = self._last_summary
            if last is not None and last[0] == key:  # nothing appended since: the same answer
                return None if last[1] is None else list(last[1])
            rows = conn.execute(
                select(_E).where(_E.c.run_id == run_id, _E.c.kind.in_(wanted)).order_by(_E.c.seq)
            ).all()
            if any(row.kind == "correction" for row in rows) or self._segments_disagree(
                conn, params
            ):
                self._last_summary = (key, None)
                return None
            run_rows = conn.execute(text(RUN_WINDOW_TOTALS), params).all()
            other_rows = conn.execute(text(OTHER_WINDOW_TOTALS), params).all()
        merged: list[tuple[int, Any]] = [
            (row.seq, entry)
            for row in rows
            for entry in read_row(
                row.seq, row.id, row.run_id, row.kind, row.recorded_at, row.payload
            )
        ]
        merged += summary_entries(run_id, run_rows, other_rows)
        merged.sort(key=lambda pair: pair[0])
        summary = [entry for _, entry in merged]
        self._last_summary = (key, summary)
        return list(summary)

    def _segments_disagree(self, conn: Connection, params: dict[str, Any]) -> bool:
        sql = (
            DISAGREEING_SEGMENT_SQLITE
            if self.engine.dialect.name == "sqlite"
            else DISAGREEING_SEGMENT_POSTGRES
        )
        try:
            with conn.begin_nested():
                return conn.execute(text(sql), params).first() is not None
        except DBAPIError:  # a payload that is not JSON at all (PostgreSQL's cast refuses it)
            return True

    def run_segments(self, run_id: str) -> list[tuple[float, float, float]] | None:
        """(start_s, end_s, joules) of each ``run``-window energy segment, in chain order;
        None without a segments table."""
        if not self.has_segments():
            return None
        with self.engine.connect() as conn, conn.begin():
            return [tuple(row) for row in conn.execute(text(RUN_SEGMENTS), {"run_id": run_id})]

    def entry(self, entry_id: str) -> AnyEntry | None:
        """One parsed entry by id, or None."""
        t = schema.entries
        with self.engine.connect() as conn, conn.begin():
            payload = conn.execute(select(t.c.payload).where(t.c.id == entry_id)).scalar()
        return None if payload is None else entry_from_json(payload)

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry; (0, genesis) for an empty ledger."""
        t = schema.entries
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)

    def count(self, kind: str | None = None) -> int:
        t = schema.entries
        query = select(func.count()).select_from(t)
        if kind is not None:
            query = query.where(t.c.kind == kind)
        with self.engine.connect() as conn, conn.begin():
            return int(conn.execute(query).scalar_one())

    def run_ids(self) -> list[str]:
        """Run ids in the order their runs started (oldest first)."""
        t = schema.entries
        query = select(t.c.run_id).where(t.c.kind == "run_started").order_by(t.c.seq)
        with self.engine.connect() as conn, conn.begin():
            return [row[0] for row in conn.execute(query)]

    def resolve_run(self, run_id_or_prefix: str) -> str:
        """The full run id for an id or a prefix of at least 8 characters."""
        wanted = run_id_or_prefix.strip().lower()
        t = schema.entries
        exact = (
            select(t.c.run_id)
            .where(t.c.run_id == wanted, t.c.kind == "run_started")  # the (run_id, kind) index
            .limit(1)
        )
        with self.engine.connect() as conn, conn.begin():
            if conn.execute(exact).first() is not None:
                return wanted  # a full id: no need to read every run's id
        ids = self.run_ids()
        if wanted in ids:
            return wanted
        if len(wanted) < MIN_PREFIX:
            raise RunNotFound(
                f"run: no run {run_id_or_prefix!r} (a prefix needs at least {MIN_PREFIX} characters)"
            )
        matches = [run_id for run_id in ids if run_id.startswith(wanted)]
        if not matches:
            raise RunNotFound(f"run: no run matches {run_id_or_prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(match[:12] for match in matches[:5])
            raise AmbiguousRun(
                f"run: prefix {run_id_or_prefix!r} matches {len(matches)} runs: {shown}"
            )
        return matches[0]

    def runs_index(self) -> tuple[RunIndexRow, ...]:
        """Every started run, newest first, from two indexed queries in one snapshot."""
        t = schema.entries
        marks = (
            select(t.c.seq, t.c.id, t.c.run_id, t.c.kind, t.c.recorded_at, t.c.payload)
            .where(t.c.kind.in_(["run_started", "run_ended"]))
            .order_by(t.c.seq)
        )
        sizes = select(t.c.run_id, func.count(), func.min(t.c.seq), func.max(t.c.seq)).group_by(
            t.c.run_id
        )
        with self.engine.connect() as conn, conn.begin():
            mark_rows = conn.execute(marks).all()
            size_of = {
                row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in conn.execute(sizes)
            }
        started: dict[str, Any] = {}
        ended: dict[str, Any] = {}
        for mark in mark_rows:
            run_id = mark[2]
            for entry in read_row(*mark):
                if entry.kind == "run_started":
                    started.setdefault(run_id, entry)
                elif entry.kind == "run_ended":
                    ended[run_id] = entry  # the last run_ended wins
        rows = []
        for run_id, start in started.items():
            end = ended.get(run_id)
            count, first, last = size_of.get(run_id, (0, 0, 0))
            rows.append(
                RunIndexRow(
                    run_id=run_id,
                    name=start.name,
                    project=start.project,
                    run_kind=start.run_kind,
                    started_at=start.started_at,
                    status=end.status if end else None,
                    ended_at=end.ended_at if end else None,
                    duration_s=end.duration_s if end else None,
                    entries=count,
                    first_seq=first,
                    last_seq=last,
                )
            )
        rows.sort(key=lambda row: row.first_seq, reverse=True)
        return tuple(rows)

    def power_series(
        self,
        run_id: str,
        device_id: str | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> tuple[PowerSeries, ...]:
        """Each device's power samples of a run in [start_s, end_s] (Unix seconds), at most
        ``max_points`` points per device: time-bucket means with each bucket's min and max."""
        if max_points < 1:
            raise InputError(f"max_points: must be ≥ 1, got {max_points}")
        pb = schema.power_batches
        query = (
            select(
                pb.c.device_id, pb.c.device_kind, pb.c.method, pb.c.t_s_f64le, pb.c.power_w_f64le
            )
            .where(pb.c.run_id == run_id)
            .order_by(pb.c.device_id, pb.c.seq)
        )
        if device_id is not None:
            query = query.where(pb.c.device_id == device_id)
        if start_s is not None:
            query = query.where(pb.c.t_last_s >= start_s)
        if end_s is not None:
            query = query.where(pb.c.t_first_s <= end_s)
        with self.engine.connect() as conn, conn.begin():
            rows = conn.execute(query).all()
        series = []
        for device, group in groupby(rows, key=lambda row: row[0]):
            batches = list(group)
            series.append(
                downsample(
                    run_id,
                    device,
                    batches[-1][1],
                    batches[-1][2],
                    ((bytes(row[3]), bytes(row[4])) for row in batches),
                    start_s,
                    end_s,
                    max_points,
                )
            )
        return tuple(series)


def open_ledger(
    location: str | None = None,
    *,
    create: bool = True,
    on_unreachable: Callable[[LedgerError], None] | None = None,
) -> Ledger:
    """Open (and, for a new SQLite file or an empty PostgreSQL database, create) a ledger.

    Raises :class:`NotALedger` for a file or database that is not an ecoledger ledger,
    :class:`NewerLedger` for one written by a newer version, both without changing it;
    :class:`LedgerError` when it cannot be reached. Messages never show a password.
    An existing SQLite ledger this process cannot write (a read-only file or folder) is
    checked and opened read-only (``mode=ro``): ``ledger.read_only`` is True.

    With ``on_unreachable``, a PostgreSQL server that cannot be reached now is not an error:
    ``on_unreachable`` gets the error and the ledger returned connects lazily, so its writes
    wait (the writer's memory, then its journal) until the server is back. Bad input (not a
    ledger, a newer one) still raises.
    """
    location = ledger_location(location)
    url = sqlalchemy_url(location)
    if is_postgres(location):
        try:
            return Ledger(location, open_postgres(url, location, create=create))
        except LedgerError as exc:
            if on_unreachable is None or isinstance(exc, InputError):
                raise
            on_unreachable(exc)
            return Ledger(location, lazy_postgres(url))
    from pathlib import Path

    path = Path(url.removeprefix("sqlite:///"))
    if path.exists() and not writable(path):
        applied = probe_sqlite(path)
        if applied is None:
            raise NotALedger(f"ledger: {path} is empty (no ecoledger tables) and read-only")
        return Ledger(location, open_sqlite_read_only(path), read_only=True)
    return Ledger(location, open_sqlite(url, path, create=create))
