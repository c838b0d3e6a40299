"""A batching writer that survives ledger write failures.

Entries are queued in memory and appended in one transaction per flush. A background
thread flushes on a fixed cadence of ``flush_interval_s`` (default 2 s) and on
:meth:`BufferedWriter.close`. The caller is never blocked or raised at: :meth:`put` only
appends to a list.

When a flush fails (disk full, read-only file, a lock held too long, the database server
restarting or unreachable):

- the entries stay queued; at most ``max_buffered`` stay in memory, the oldest beyond that
  are spilled to a local journal file (:mod:`accounting.store.journal`, created ``0600``);
- the write is retried with exponential backoff (the flush interval, doubled per failure,
  at most ``max_backoff_s``), while new entries keep being collected;
- ONE warning is printed for the whole outage (masked, one line);
- once the store is back the journal, then memory, is appended with ``skip_existing``:
  every entry is written exactly once, even when a commit's acknowledgement was lost.

At :meth:`close` the writer tries for at most ``close_timeout_s``; what is still unwritten
is kept in the journal, and the next writer on that ledger replays it (as each writer also
replays journals left by dead writers when it starts and when it closes).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from accounting.errors import InputError
from accounting.store.journal import Journal, replay_journals
from accounting.store.ledger import Ledger
from accounting.store.location import mask_url

DEFAULT_FLUSH_INTERVAL_S = 2.0
DEFAULT_POWER_BATCH_S = 10.0
"""Power samples are written one entry per device per this many seconds (not per flush):
they only draw charts, and a SIGKILL loses at most this much of them, never any energy."""
DEFAULT_MAX_BUFFERED = 10_000
DEFAULT_MAX_BACKOFF_S = 10.0
DEFAULT_CLOSE_TIMEOUT_S = 15.0


def one_line(exc: BaseException) -> str:
    """An exception as one masked line (driver errors span lines and may hold URLs)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0] if text else exc.__class__.__name__
    return mask_url(first)[:300]


class BufferedWriter:
    def __init__(
        self,
        ledger: Ledger,
        *,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        before_flush: Callable[[], None] | None = None,
        warn: Callable[[str], None] | None = None,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        max_backoff_s: float = DEFAULT_MAX_BACKOFF_S,
        close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_buffered < 1:
            raise ValueError(f"max_buffered must be ≥ 1, got {max_buffered}")
        self.ledger = ledger
        self.flush_interval_s = flush_interval_s
        self.max_buffered = max_buffered
        self.max_backoff_s = max_backoff_s
        self.close_timeout_s = close_timeout_s
        self._clock = clock
        self._before_flush = before_flush
        self._warn = warn or (
            lambda message: print(f"ecoledger: warning: {message}", file=sys.stderr)
        )
        self._pending: list[Any] = []
        self._inflight: list[Any] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False
        self._said: set[str] = set()
        self._journal = Journal(ledger.location, warn=self._warn_unique)
        self._run_ids: set[str] = set()
        """The runs whose entries this writer was given: only theirs leave its journal."""
        self._failures = 0
        self._retry_at = 0.0
        self.written = 0
        self.failed_attempts = 0
        self.spilled = 0
        self.recovered = 0
        self.replayed = 0
        self.journal_only = bool(getattr(ledger, "read_only", False))
        """The ledger was opened read-only (a read-only file or folder): every entry goes
        straight to the journal (in the user's state folder), with one warning."""

    # -- queueing (never blocks on the store) ----------------------------------------------
    def put(self, entry: Any) -> None:
        with self._lock:
            self._pending.append(entry)
            self._run_ids.add(entry.run_id)

    def put_many(self, entries: Iterable[Any]) -> None:
        batch = list(entries)
        with self._lock:
            self._pending.extend(batch)
            self._run_ids.update(entry.run_id for entry in batch)

    @property
    def pending(self) -> int:
        """Entries not yet in the ledger: in memory and in the journal."""
        with self._lock:
            return len(self._pending) + self._journal.count

    @property
    def buffered(self) -> int:
        """Entries waiting in memory."""
        with self._lock:
            return len(self._pending)

    @property
    def journal_path(self) -> str | None:
        return str(self._journal.path) if self._journal.path is not None else None

    # -- flushing --------------------------------------------------------------------------
    def flush(self, *, force: bool = True) -> bool:
        """Append everything queued; True when nothing is left unwritten afterwards.

        ``force=False`` (the background thread) respects the retry backoff.
        """
        with self._flush_lock:
            return self._flush_locked(force)

    def _flush_locked(self, force: bool) -> bool:
        if self._before_flush is not None:
            try:
                self._before_flush()
            except Exception as exc:
                self._warn_once(f"could not collect measurements: {one_line(exc)}")
        if self.journal_only:
            return self._journal_everything()
        if not force and self._clock() < self._retry_at:
            self._spill_overflow()
            return False
        with self._lock:
            batch, self._pending = self._pending, []
            self._inflight = batch
        journaled = 0
        try:
            journaled = self._drain_journal()
            if batch:
                self._append(batch)
        except Exception as exc:
            with self._lock:
                self._pending[:0] = batch
                self._inflight = []
            self._failed(exc)
            return False
        with self._lock:
            self._inflight = []
        if self._failures:
            self.recovered += 1
        self._failures = 0
        self._retry_at = 0.0
        self.written += len(batch) + journaled
        return True

    def _journal_everything(self) -> bool:
        """A read-only ledger: keep what is queued in the journal; False (nothing written)."""
        with self._lock:
            queued = bool(self._pending)
        if queued:
            self._spill_all()
            if self._journal.count and not self._warned:
                self._warned = True
                self._warn(
                    f"the ledger {self.ledger.display} cannot be written (read-only); the job "
                    f"goes on, and its record is kept in {self._journal.path}, written the next "
                    "time a run opens this ledger where it can write"
                )
        return False

    def _drain_journal(self) -> int:
        if self._journal.count == 0:
            return 0
        with self._lock:
            mine = set(self._run_ids)
        entries = [entry for entry in self._journal.read() if entry.run_id in mine]
        for start in range(0, len(entries), 1000):
            self.ledger.append(entries[start : start + 1000], skip_existing=True, keep_mark=True)
        self._journal.clear()
        return len(entries)

    def _append(self, batch: list[Any]) -> None:
        try:
            self.ledger.append(batch, skip_existing=True, keep_mark=True)
        except InputError:
            # one malformed entry must not hold the others back forever: isolate it
            for entry in batch:
                try:
                    self.ledger.append([entry], skip_existing=True, keep_mark=True)
                except InputError as exc:
                    self._warn(f"an entry was refused by the ledger and dropped: {exc}")

    def _failed(self, exc: BaseException) -> None:
        self._failures += 1
        self.failed_attempts += 1
        backoff = min(self.flush_interval_s * 2 ** (self._failures - 1), self.max_backoff_s)
        self._retry_at = self._clock() + backoff
        self._warn_once(
            f"ledger write failed ({one_line(exc)}); the job goes on, entries are kept "
            f"(memory, then a local journal) and retried with backoff"
        )
        self._spill_overflow()

    def _spill_overflow(self) -> None:
        """Keep at most ``max_buffered`` entries in memory: spill the oldest to the journal."""
        with self._lock:
            extra = len(self._pending) - self.max_buffered
            if extra <= 0:
                return
            oldest, self._pending = self._pending[:extra], self._pending[extra:]
        try:
            self._journal.append(oldest)
        except OSError as exc:
            with self._lock:
                self._pending[:0] = oldest
            self._warn_once(f"cannot write the local journal: {exc}")
            return
        self.spilled += len(oldest)

    def _spill_all(self, journal: Journal | None = None) -> None:
        """At close, when the store is still down: keep everything in the journal."""
        journal = journal or self._journal
        with self._lock:
            rest, self._pending = self._inflight + self._pending, []
        try:
            journal.append(rest)
        except OSError as exc:
            with self._lock:
                self._pending[:0] = rest
            self._warn(f"cannot write the local journal: {exc}")
            return
        self.spilled += len(rest)

    def _warn_unique(self, message: str) -> None:
        """Each distinct message once (a journal refused at start is refused again at close)."""
        if message not in self._said:
            self._said.add(message)
            self._warn(message)

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)

    def replay_leftovers(self) -> int:
        """Append journals left on this ledger by writers that died; never raises."""
        try:
            count = replay_journals(self.ledger, skip=self._journal.path, warn=self._warn_unique)
        except Exception as exc:
            self._warn_once(f"could not replay a leftover journal: {one_line(exc)}")
            return 0
        self.replayed += count
        return count

    # -- life cycle ------------------------------------------------------------------------
    def _run(self) -> None:
        if not self.journal_only:
            self.replay_leftovers()
        next_at = self._clock() + self.flush_interval_s
        while not self._stop.wait(max(0.0, next_at - self._clock())):
            # a fixed cadence: a slow flush does not push the next one back
            next_at += self.flush_interval_s
            now = self._clock()
            if next_at < now:
                next_at = now + self.flush_interval_s
            self.flush(force=False)

    def start(self) -> BufferedWriter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ecoledger-writer", daemon=True)
            self._thread.start()
        return self

    def close(self) -> bool:
        """Stop the thread and write what is left, trying for at most ``close_timeout_s``.

        True when everything is in the ledger; otherwise what is left is in the journal
        (one warning says where) and the next writer on this ledger writes it.
        """
        deadline = self._clock() + self.close_timeout_s
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=max(0.0, deadline - self._clock()))
        if self.journal_only:
            with self._flush_lock:
                self._flush_locked(force=True)
            self._journal.close()
            return False
        done = False
        delay = min(0.5, self.flush_interval_s)
        while True:
            remaining = deadline - self._clock()
            if not self._flush_lock.acquire(timeout=max(0.0, remaining)):
                break  # the writer thread is stuck inside the store
            try:
                done = self._flush_locked(force=True)
                if not done and self._clock() + delay >= deadline:
                    self._spill_all()
            finally:
                self._flush_lock.release()
            if done or self._clock() + delay >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)
        journals = [self._journal]
        if not done:
            if self._flush_lock.acquire(blocking=False):
                self._flush_lock.release()
            else:
                # the writer thread is stuck inside the store: keep the in-flight batch too,
                # in a journal of its own (a late commit is deduplicated at the replay)
                journals.append(Journal(self.ledger.location, warn=self._warn_unique))
                self._spill_all(journals[-1])
            for journal in journals:
                if journal.count:
                    self._warn(
                        f"{journal.count} entries could not be written to "
                        f"{self.ledger.display}; they are kept in {journal.path} and will be "
                        "written the next time a run opens this ledger"
                    )
        else:
            self.replay_leftovers()
        for journal in journals:
            journal.close()
        return done
