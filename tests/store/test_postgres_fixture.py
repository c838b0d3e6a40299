"""PostgreSQL tests skip only when no server can be started, and never under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ONE_PG_TEST = "tests/store/test_roundtrip.py::test_first_entry_chains_from_genesis[postgresql]"


def run_pytest(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_PG_TEST, "-q", "-rs", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**clean, "ECOLEDGER_PG_BIN": "/nonexistent/postgresql/bin", **env},
    )


@pytest.mark.slow
def test_without_a_server_the_postgres_tests_are_skipped():
    done = run_pytest()
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout and "no PostgreSQL server could be started" in done.stdout


@pytest.mark.slow
def test_under_ci_a_missing_server_fails_loudly():
    done = run_pytest(CI="true")
    assert done.returncode == 1, done.stdout
    assert "CI=true but no PostgreSQL server could be started" in done.stdout
    assert "no PostgreSQL binaries in /nonexistent/postgresql/bin" in done.stdout
