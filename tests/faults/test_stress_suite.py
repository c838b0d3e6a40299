"""``scripts/stress-suite.sh N [PYTEST ARGS]``: N runs under a CPU hog, each failure named.

Run here on two tiny test files (one hog, so the shared machine is not loaded), to check
what the script reports; the real stress runs are in the README.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cli.helpers import REPO

SCRIPT = REPO / "scripts" / "stress-suite.sh"


def stress(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRESS_HOGS": "1", "STRESS_OUTPUT": str(tmp_path / "logs")}
    return subprocess.run(
        [str(SCRIPT), *argv], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )


def test_green_runs_are_counted(tmp_path: Path) -> None:
    test = tmp_path / "test_ok.py"
    test.write_text("def test_ok():\n    assert 1 + 1 == 2\n")
    done = stress(tmp_path, "2", str(test))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "run 1/2: green" in done.stdout and "run 2/2: green" in done.stdout
    assert "stress-suite: 2/2 green; longest green streak 2" in done.stdout


def test_each_failure_is_reported_by_name(tmp_path: Path) -> None:
    test = tmp_path / "test_flaky.py"
    test.write_text("def test_ok():\n    pass\n\ndef test_broken():\n    assert 1 + 1 == 3\n")
    done = stress(tmp_path, "1", str(test))
    assert done.returncode == 1
    assert "run 1/1: FAILED" in done.stdout
    assert "test_flaky.py::test_broken" in done.stdout
    assert "failed runs: 1" in done.stdout
    assert (tmp_path / "logs" / "run-1.log").exists()


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    done = stress(tmp_path, "zero")
    assert done.returncode == 2 and "N must be a whole number" in done.stderr
