"""A batching writer: entries are queued and appended in one transaction per flush.

A background thread flushes at least every ``flush_interval_s`` (default 2 s, never more
than 5 s by default) and on :meth:`close`. A failed flush keeps the entries queued and
retries at the next interval; the caller is never blocked or raised at.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from accounting.store.ledger import Ledger

DEFAULT_FLUSH_INTERVAL_S = 2.0


class BufferedWriter:
    def __init__(
        self,
        ledger: Ledger,
        *,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        before_flush: Callable[[], None] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.flush_interval_s = flush_interval_s
        self._before_flush = before_flush
        self._warn = warn or (
            lambda message: print(f"ecoledger: warning: {message}", file=sys.stderr)
        )
        self._pending: list[Any] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False
        self.written = 0

    def put(self, entry: Any) -> None:
        with self._lock:
            self._pending.append(entry)

    def put_many(self, entries: Iterable[Any]) -> None:
        with self._lock:
            self._pending.extend(entries)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> bool:
        """Append everything queued; True when the queue is empty afterwards."""
        with self._flush_lock:
            if self._before_flush is not None:
                try:
                    self._before_flush()
                except Exception as exc:
                    self._warn_once(f"could not collect measurements: {exc}")
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return True
            try:
                self.ledger.append(batch)
            except Exception as exc:
                with self._lock:
                    self._pending[:0] = batch
                self._warn_once(f"ledger write failed, will retry: {exc}")
                return False
            self.written += len(batch)
            return True

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush()

    def start(self) -> BufferedWriter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ecoledger-writer", daemon=True)
            self._thread.start()
        return self

    def close(self) -> bool:
        """Stop the thread and flush what is left. True when everything was written."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        return self.flush()
