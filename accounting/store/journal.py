"""The local spill journal: entries a writer could not get into the ledger, kept on disk.

When the ledger cannot be written (disk full, read-only, locked, the database server down)
a :class:`~accounting.store.writer.BufferedWriter` keeps a bounded number of entries in
memory and spills the rest, oldest first, to a journal file: one canonical JSON entry per
line, created ``0600`` in a ``0700`` folder, held under an exclusive ``flock`` while its
writer lives. Once the ledger is back the writer appends the journal, then its memory,
with ``skip_existing`` (every entry exactly once), and empties the journal.

A journal left behind by a writer that died (SIGKILL, power loss) is replayed by the next
writer on the same ledger (:func:`replay_journals`, at its start and at its close); the
lock tells a dead writer's journal from a live one's. Where journals live
(:func:`journal_dirs`):

- ``$ECOLEDGER_JOURNAL_DIR`` when set;
- else, for a SQLite ledger ``/path/ledger.db``: the folder ``/path/ledger.db.journal/``;
- and always as a fallback (a PostgreSQL ledger, or a read-only ledger folder):
  ``$XDG_STATE_HOME/ecoledger/journal/<key>/`` (``~/.local/state/...``), where ``<key>`` is
  a hash of the ledger location with any password masked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from accounting.canonical import canonical_json
from accounting.entries import entry_from_json
from accounting.store.location import is_postgres, mask_url, sqlite_path

JOURNAL_ENV = "ECOLEDGER_JOURNAL_DIR"
SUFFIX = ".jsonl"
REPLAY_CHUNK = 1000


def _state_home() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ecoledger" / "journal"


def journal_dirs(location: str) -> list[Path]:
    """Where journals for this ledger are written (first usable wins) and looked for."""
    if os.environ.get(JOURNAL_ENV):
        return [Path(os.environ[JOURNAL_ENV])]
    key = hashlib.sha256(mask_url(location).encode("utf-8")).hexdigest()[:16]
    dirs: list[Path] = []
    if not is_postgres(location):
        try:
            path = sqlite_path(location)
        except Exception:
            path = None
        if path is not None:
            dirs.append(path.with_name(path.name + ".journal"))
    dirs.append(_state_home() / key)
    return dirs


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class Journal:
    """One writer's journal file (created on first spill). Not thread-safe: the writer
    serializes access."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.path: Path | None = None
        self._fd: int | None = None
        self.count = 0

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        last_error: OSError | None = None
        for folder in journal_dirs(self.location):
            try:
                path = _private_dir(folder) / name
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_APPEND, 0o600)
            except OSError as exc:
                last_error = exc
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.path, self._fd = path, fd
            return fd
        raise OSError(f"no folder for a journal: {last_error}")

    def append(self, entries: Sequence[Any]) -> None:
        """Write entries (oldest first) at the end of the journal, and sync them to disk."""
        if not entries:
            return
        fd = self._open()
        data = "".join(canonical_json(entry) + "\n" for entry in entries).encode("utf-8")
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        self.count += len(entries)

    def read(self) -> list[Any]:
        if self._fd is None or self.count == 0:
            return []
        assert self.path is not None
        return list(_parse(self.path.read_bytes()))

    def clear(self) -> None:
        """Empty the journal (its entries are in the ledger now)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        self.count = 0

    def close(self) -> None:
        """Close; an empty journal is removed, a non-empty one stays for a later replay."""
        if self._fd is None:
            return
        if self.count == 0 and self.path is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
        os.close(self._fd)  # releases the lock
        self._fd = None


def _parse(data: bytes) -> Iterator[Any]:
    """Entries of a journal; a torn last line (a writer killed mid-write) is ignored."""
    lines = data.split(b"\n")
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            yield entry_from_json(line)
        except Exception:
            if number == len(lines) - 1 or all(not rest.strip() for rest in lines[number + 1 :]):
                return  # torn tail
            raise


def leftover_journals(location: str) -> list[Path]:
    found: list[Path] = []
    for folder in journal_dirs(location):
        if folder.is_dir():
            found += sorted(folder.glob("*" + SUFFIX))
    return found


def replay_journals(ledger: Any, *, skip: Path | None = None) -> int:
    """Append the entries of journals left by dead writers on this ledger; remove them.

    A journal whose writer still holds its lock is left alone. Entries already in the
    ledger are skipped (``skip_existing``), so a replay interrupted half-way is simply
    replayed again. Returns the number of entries read from the replayed journals.
    """
    replayed = 0
    for path in leftover_journals(ledger.location):
        if skip is not None and path == skip:
            continue
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its writer is alive
            try:
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    continue
            except FileNotFoundError:
                continue  # another writer replayed it just now
            entries = list(_parse(path.read_bytes()))
            for start in range(0, len(entries), REPLAY_CHUNK):
                ledger.append(entries[start : start + REPLAY_CHUNK], skip_existing=True)
            path.unlink(missing_ok=True)
            replayed += len(entries)
        finally:
            os.close(fd)
    return replayed
