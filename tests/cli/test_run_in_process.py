"""``ecoledger run`` called in-process (a test, a notebook, a tool that runs several jobs) puts
back what it changed in the calling process."""

from __future__ import annotations

import ctypes
import signal
import sys
from pathlib import Path

import pytest

from ecoledger.cli.main import main

PR_GET_CHILD_SUBREAPER = 37


def _is_subreaper() -> bool:
    value = ctypes.c_int(0)
    if ctypes.CDLL(None).prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0) != 0:
        pytest.skip("prctl(PR_GET_CHILD_SUBREAPER) is not available here")
    return bool(value.value)


def test_run_gives_back_the_subreaper_role_and_the_signal_handlers(tmp_path: Path) -> None:
    # The role lets `run` name a job's orphaned daemons; kept after the run, this process
    # would adopt every later orphan, and count their CPU as its own process tree's.
    assert not _is_subreaper()
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    ledger = tmp_path / "l.db"
    code = main(["run", "--ledger", str(ledger), "--name", "x", "--", sys.executable, "-c", "pass"])
    assert code == 0
    assert not _is_subreaper()
    assert {s: signal.getsignal(s) for s in before} == before
