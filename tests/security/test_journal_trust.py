"""The spill journal cannot be used to write into someone else's ledger.

Another local user plants ``<ledger>.journal/`` in a shared sticky folder (``runuser -u
nobody``) holding a canonical entry; the victim's next ``ecoledger run`` must neither replay
nor delete it, and must say so naming it. A corrupt journal is moved aside and the others
still replay; entries of a run the ledger never started are not replayed.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accounting.canonical import canonical_json
from accounting.entries import Benefit, Problem, RunStarted
from accounting.store import open_ledger, verify
from accounting.store.writer import BufferedWriter
from tests.cli.helpers import cli_process

RUN = "a" * 32
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root and runuser"
)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A world-writable sticky folder (like /tmp) that user nobody can reach."""
    folder = Path(tempfile.mkdtemp(prefix="ecoledger-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(script: str, *args: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", "sh", "-c", script, "sh", *args],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


PLANT = 'umask 077 && mkdir -p "$1" && printf "%s\\n" "$2" > "$1/evil-1-x.jsonl"'


def _benefit(run_id: str) -> str:
    return canonical_json(
        Benefit(run_id=run_id, benefit_kind="social", usd=123_456_789.0, rationale="planted")
    )


@needs_root
def test_a_journal_planted_by_another_user_is_never_replayed_nor_deleted(
    shared_folder: Path,
) -> None:
    ledger = shared_folder / "ledger.db"
    first = cli_process("run", "--ledger", str(ledger), "--", "true")
    assert first.code == 0, first.err
    run_id = first.out.strip().splitlines()[-1]
    planted_dir = shared_folder / "ledger.db.journal"
    _as_nobody(PLANT, str(planted_dir), _benefit(run_id))
    planted = planted_dir / "evil-1-x.jsonl"
    assert planted.stat().st_uid != 0

    again = cli_process("run", "--ledger", str(ledger), "--", "true")

    assert again.code == 0, again.err
    assert str(planted_dir) in again.err and "not replayed" in again.err
    assert planted.exists(), "someone else's journal was deleted"
    with open_ledger(str(ledger), create=False) as led:
        assert led.count("benefit") == 0, "a planted entry reached the ledger"
        assert verify(led).ok


@needs_root
def test_a_group_writable_journal_file_of_the_user_is_not_replayed(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    with open_ledger(str(ledger)) as led:
        led.append([RunStarted(run_id=RUN, name="r", started_at=datetime.now(UTC))])
        folder = tmp_path / "ledger.db.journal"
        folder.mkdir(mode=0o700)
        loose = folder / "loose-1-x.jsonl"
        loose.write_text(_benefit(RUN) + "\n")
        loose.chmod(0o666)
        warnings: list[str] = []
        writer = BufferedWriter(led, warn=warnings.append)
        assert writer.replay_leftovers() == 0
        assert led.count("benefit") == 0
        assert loose.exists()
        assert any(str(loose) in w and "writable by group or others" in w for w in warnings)


def test_new_journal_folder_is_0700_and_a_foreign_one_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounting.store.journal import Journal

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("ECOLEDGER_JOURNAL_DIR", raising=False)
    old = os.umask(0)
    try:
        beside = tmp_path / "ledger.db.journal"
        beside.mkdir(mode=0o777)  # not private: someone else could plant or swap files
        beside.chmod(0o777)
        warnings: list[str] = []
        journal = Journal(str(tmp_path / "ledger.db"), warn=warnings.append)
        journal.append([Problem(run_id=RUN, code="c", severity="info", message="m")])
    finally:
        os.umask(old)
    assert journal.path is not None
    assert journal.path.parent != beside, "wrote into a group/other-writable folder"
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert any(str(beside) in w for w in warnings)
    journal.close()


def _stranded(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / name
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, "".join(line + "\n" for line in lines).encode())
    os.close(fd)
    return path


def _problem(run_id: str, message: str) -> Any:
    return Problem(run_id=run_id, code="t", severity="info", message=message)


def test_a_corrupt_journal_is_moved_aside_and_the_others_still_replay(tmp_path: Path) -> None:
    with open_ledger(str(tmp_path / "ledger.db")) as led:
        led.append([RunStarted(run_id=RUN, name="r", started_at=datetime.now(UTC))])
        folder = tmp_path / "ledger.db.journal"
        bad = _stranded(
            folder,
            "a-first.jsonl",  # sorts first
            ["{not json", canonical_json(_problem(RUN, "after the junk"))],
        )
        good = _stranded(folder, "b-second.jsonl", [canonical_json(_problem(RUN, "kept"))])
        warnings: list[str] = []
        assert BufferedWriter(led, warn=warnings.append).replay_leftovers() == 1
        assert [e.message for e in led.entries(kinds=["problem"])] == ["kept"]
        assert not bad.exists() and not good.exists()
        assert (folder / "a-first.jsonl.corrupt").exists()
        assert any("a-first.jsonl" in w and "corrupt" in w for w in warnings)
        assert verify(led).ok


def test_entries_of_a_run_the_ledger_never_started_are_not_replayed(tmp_path: Path) -> None:
    with open_ledger(str(tmp_path / "ledger.db")) as led:
        led.append([RunStarted(run_id=RUN, name="r", started_at=datetime.now(UTC))])
        folder = tmp_path / "ledger.db.journal"
        stranger = "b" * 32
        foreign = _stranded(
            folder, "x-1.jsonl", [canonical_json(_problem(RUN, "ok")), _benefit(stranger)]
        )
        # a run whose start was itself journaled (the ledger was down) is this ledger's
        late = "c" * 32
        own = _stranded(
            folder,
            "y-1.jsonl",
            [
                canonical_json(RunStarted(run_id=late, name="late", started_at=datetime.now(UTC))),
                canonical_json(_problem(late, "late")),
            ],
        )
        warnings: list[str] = []
        assert BufferedWriter(led, warn=warnings.append).replay_leftovers() == 2
        assert led.count("benefit") == 0
        assert foreign.exists(), "kept for its owner to look at"
        assert not own.exists()
        assert any(str(foreign) in w and stranger[:12] in w for w in warnings)
        assert verify(led).ok
