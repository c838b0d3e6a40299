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

A journal is trusted only as far as its owner. A journal folder or file that is not owned by
the user running ecoledger, that is group- or other-writable, or that is a symbolic link, is
never written to, replayed or deleted; a warning names it (another local user could plant
entries in a shared folder). A journal file that does not parse is renamed ``*.corrupt`` and
the others still replay. A replayed entry must belong to a run this ledger started (its
``run_started`` is in the ledger, or in a journal replayed with it); a journal holding
entries of any other run is left where it is, with a warning.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import stat
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from accounting.canonical import canonical_json
from accounting.entries import entry_from_json
from accounting.store.location import is_postgres, mask_url, sqlite_path

JOURNAL_ENV = "ECOLEDGER_JOURNAL_DIR"
SUFFIX = ".jsonl"
CORRUPT_SUFFIX = ".corrupt"
REPLAY_CHUNK = 1000

Warn = Callable[[str], None]


class UntrustedJournal(PermissionError):
    """A journal folder or file someone else could have written."""


class CorruptJournal(ValueError):
    """A journal line that is not an entry (and not a torn last line)."""


def _ignore(_message: str) -> None:
    pass


def untrusted_reason(st: os.stat_result) -> str | None:
    """Why a journal folder or file (its ``lstat``) must not be trusted, or None."""
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if st.st_uid != os.geteuid():
        return f"it is owned by uid {st.st_uid}, not by the user running ecoledger (uid {os.geteuid()})"
    if st.st_mode & 0o022:
        return f"it is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _untrusted(path: Path, kind: str) -> str | None:
    """A one-line warning when the folder/file at ``path`` must not be trusted, else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    reason = untrusted_reason(st)
    if reason is None:
        return None
    return f"journal {kind} {path} is not replayed, written or deleted: {reason}"


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
    """The folder, created ``0700`` when missing; refused (OSError) when someone else owns it,
    it is a link, or group/other can write it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    problem = _untrusted(path, "folder")
    if problem:
        raise UntrustedJournal(problem)
    return path


class Journal:
    """One writer's journal file (created on first spill). Not thread-safe: the writer
    serializes access."""

    def __init__(self, location: str, warn: Warn = _ignore) -> None:
        self.location = location
        self._warn = warn
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
                fd = os.open(
                    path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW, 0o600
                )
            except UntrustedJournal as exc:
                self._warn(str(exc))
                last_error = exc
                continue
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
        """The entries written so far, read through the open descriptor (never the path,
        which someone could have replaced)."""
        if self._fd is None or self.count == 0:
            return []
        return list(_parse(_read_fd(self._fd)))

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


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


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
            raise CorruptJournal(f"line {number + 1} is not an ecoledger entry") from None


def leftover_journals(location: str, warn: Warn = _ignore) -> list[Path]:
    """Journal files of this ledger that may be replayed: in trusted folders only (the
    others are named in a warning)."""
    found: list[Path] = []
    for folder in journal_dirs(location):
        if not folder.is_dir():
            continue
        problem = _untrusted(folder, "folder")
        if problem:
            warn(problem)
            continue
        found += sorted(folder.glob("*" + SUFFIX))
    return found


def _open_trusted(path: Path, warn: Warn) -> int | None:
    """An fd on a journal file that its owner wrote and nobody else can change, else None."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        problem = _untrusted(path, "file")
        if problem:
            warn(problem)
        return None
    reason = untrusted_reason(os.fstat(fd))
    if reason is not None or not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        warn(
            f"journal file {path} is not replayed, written or deleted: "
            f"{reason or 'it is not a regular file'}"
        )
        return None
    return fd


def _set_aside(path: Path, exc: Exception, warn: Warn) -> None:
    target = path.with_name(path.name + CORRUPT_SUFFIX)
    try:
        os.rename(path, target)
    except OSError as err:
        warn(f"journal file {path} is corrupt ({exc}) and could not be moved aside: {err}")
        return
    warn(f"journal file {path} is corrupt ({exc}); moved aside to {target}, the others replay")


def replay_journals(ledger: Any, *, skip: Path | None = None, warn: Warn = _ignore) -> int:
    """Append the entries of journals left by dead writers on this ledger; remove them.

    A journal whose writer still holds its lock is left alone; so is one that is not
    trusted (see the module's docstring). Entries already in the ledger are skipped
    (``skip_existing``), so a replay interrupted half-way is simply replayed again. A
    corrupt file is moved aside. Returns the number of entries read from the replayed
    journals.
    """
    held: list[tuple[Path, int, list[Any]]] = []
    try:
        for path in leftover_journals(ledger.location, warn):
            if skip is not None and path == skip:
                continue
            fd = _open_trusted(path, warn)
            if fd is None:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    raise FileNotFoundError(path)
            except OSError:
                os.close(fd)  # its writer is alive, or another writer replayed it just now
                continue
            try:
                entries = list(_parse(_read_fd(fd)))
            except CorruptJournal as exc:
                _set_aside(path, exc, warn)
                os.close(fd)
                continue
            held.append((path, fd, entries))
        return _replay_held(ledger, held, warn)
    finally:
        for _path, fd, _entries in held:
            os.close(fd)


def _replay_held(ledger: Any, held: list[tuple[Path, int, list[Any]]], warn: Warn) -> int:
    """Replay each held journal whose entries all belong to runs this ledger started; a
    journal's own ``run_started`` entries count once it is replayed, so repeat while that
    lets another one in."""
    started = set(ledger.run_ids())
    replayed = 0
    waiting = list(held)
    progress = True
    while waiting and progress:
        progress = False
        for item in list(waiting):
            path, _fd, entries = item
            own = {e.run_id for e in entries if e.kind == "run_started"}
            if {e.run_id for e in entries} - started - own:
                continue
            for start in range(0, len(entries), REPLAY_CHUNK):
                ledger.append(entries[start : start + REPLAY_CHUNK], skip_existing=True)
            path.unlink(missing_ok=True)
            replayed += len(entries)
            started |= own
            waiting.remove(item)
            progress = True
    for path, _fd, entries in waiting:
        foreign = sorted({e.run_id for e in entries} - started)
        warn(
            f"journal file {path} is not replayed: it holds entries of runs this ledger never "
            f"started ({', '.join(r[:12] for r in foreign[:3])}); it is kept"
        )
    return replayed
