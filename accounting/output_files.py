"""Files written for the user (``--out``, ``--figures``): checked first, then written whole.

- A target that exists and is not a regular file (a symlink, a device such as
  ``/dev/null``, a FIFO, a socket, a folder) is refused, even with ``--force``: replacing it
  would destroy something that is not ours to replace, or write through a link.
- An existing regular file is replaced only with ``--force``.
- The bytes go to a temporary file in the same folder, which is then renamed into place:
  ``rename`` replaces the name itself and never follows a symlink, so a link planted
  between the check and the write is replaced, not written through; and a reader never
  sees half a file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from accounting.errors import InputError


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def refuse_special(path: Path, option: str) -> bool:
    """Raise InputError (naming ``option``) when ``path`` exists and is not a regular file;
    True when it is a regular file, False when there is nothing there."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"{option} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        what = _kind(st.st_mode)
        hint = ", give a file name" if stat.S_ISDIR(st.st_mode) else "; it is never replaced"
        raise InputError(f"{option} {path}: is {what}{hint}")
    return True


def check_target(path: Path, option: str, force: bool) -> None:
    """Raise InputError (naming ``option``) unless ``path`` may be written."""
    exists = refuse_special(path, option)
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: folder {path.parent} does not exist")
    if exists and not force:
        raise InputError(f"{option} {path}: file exists (use `force` to overwrite)")


def check_folder(path: Path, option: str) -> None:
    """A folder to write files into: absent (it will be made) or a real folder, not a link."""
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: folder {path.parent} does not exist")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{option} {path}: is {_kind(st.st_mode)}, give a folder")


@contextmanager
def atomic_output(path: Path, *, binary: bool = True) -> Iterator[IO[Any]]:
    """A handle on a temporary file beside ``path``, renamed onto ``path`` when complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")
        with handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)
