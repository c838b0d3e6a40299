"""A ledger in a read-only folder never stops the job: it is checked and read ``mode=ro``,
the job runs, its record goes to a journal in the user's state folder with one warning, and
the next run that can write the ledger writes it (``chattr +i`` stops even root)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import cli_process, file_digest
from tests.faults.harness import analyse

pytestmark = pytest.mark.skipif(
    shutil.which("chattr") is None, reason="needs chattr (and root) for a read-only folder"
)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "shelf"
    path.mkdir()
    yield path
    subprocess.run(["chattr", "-i", str(path)], check=False)


def _read_only(path: Path) -> None:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")


def test_the_job_runs_and_its_record_waits_in_the_state_folder(
    folder: Path, tmp_path: Path
) -> None:
    ledger = folder / "ledger.db"
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    first = cli_process("run", "--ledger", str(ledger), "--", "true", env=env)
    assert first.code == 0, first.err
    _read_only(folder)
    before = file_digest(ledger)

    done = cli_process(
        "run", "--ledger", str(ledger), "--", sys.executable, "-c", "print('job ran')", env=env
    )

    assert done.code == 0, done.err
    assert "job ran" in done.out
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "cannot be written (read-only)" in lines[0] and str(tmp_path / "state") in lines[0]
    run_id = done.out.strip().splitlines()[-1]
    journals = list((tmp_path / "state").rglob("*.jsonl"))
    assert len(journals) == 1
    # read-only, the ledger is still read and checked, and never changed
    for argv in (["runs"], ["verify"], ["show", first.out.strip().splitlines()[-1]]):
        seen = cli_process(*argv, "--ledger", str(ledger), env=env)
        assert seen.code == 0 and seen.err == "", (argv, seen.err)
    assert file_digest(ledger) == before

    subprocess.run(["chattr", "-i", str(folder)], check=True)
    again = cli_process("run", "--ledger", str(ledger), "--", "true", env=env)
    assert again.code == 0, again.err
    replayed = analyse(str(ledger), run_id)
    assert replayed.status == "completed" and replayed.verify_ok
    assert replayed.duplicate_ids == 0
    assert not list((tmp_path / "state").rglob("*.jsonl"))
