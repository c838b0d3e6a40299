"""The supervision library behind ``ecoledger run``, called directly (no argparse).

Real child processes (this interpreter), a real SQLite ledger, real signals.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from accounting.entries import RunEnded, RunStarted
from accounting.store import open_ledger
from train_hooks.supervised_run import (
    CommandNotStarted,
    SupervisedRunOptions,
    run_status,
    run_supervised,
)
from train_hooks.supervisor import Supervisor


def _options(*cmd: str, flush: float = 0.1) -> SupervisedRunOptions:
    return SupervisedRunOptions(
        cmd=cmd,
        command=("job", "--secret", "***"),
        fields={"name": "supervised", "project": "p", "run_kind": "other"},
        sample_hz=10.0,
        flush_interval_s=flush,
    )


def _kinds(path: Path, run_id: str) -> tuple[RunStarted, RunEnded]:
    with open_ledger(str(path)) as ledger:
        entries = ledger.entries(run_id=run_id)
    started = [e for e in entries if isinstance(e, RunStarted)]
    ended = [e for e in entries if isinstance(e, RunEnded)]
    assert len(started) == 1 and len(ended) == 1
    return started[0], ended[0]


def test_a_child_that_succeeds_is_recorded_completed_with_the_recorded_command(
    tmp_path: Path,
) -> None:
    seen = tmp_path / "env.txt"
    code = (
        "import os, pathlib; pathlib.Path(os.environ['OUT']).write_text("
        "os.environ['ECOLEDGER_RUN_ID'] + ' ' + os.environ['ECOLEDGER_LEDGER'])"
    )
    os.environ["OUT"] = str(seen)
    warnings: list[str] = []
    try:
        with open_ledger(str(tmp_path / "l.db")) as ledger:
            result = run_supervised(
                ledger, _options(sys.executable, "-c", code), warn=warnings.append
            )
    finally:
        del os.environ["OUT"]
    assert result.exit_code == 0 and result.started and not result.pending
    assert seen.read_text() == f"{result.run_id} {tmp_path / 'l.db'}"
    started, ended = _kinds(tmp_path / "l.db", result.run_id)
    assert started.command == ("job", "--secret", "***")  # the redacted one, not the argv
    assert (started.name, started.project) == ("supervised", "p")
    assert (ended.status, ended.exit_code, ended.error) == ("completed", 0, None)


def test_a_failing_child_gives_its_exit_code_and_a_failed_run(tmp_path: Path) -> None:
    with open_ledger(str(tmp_path / "l.db")) as ledger:
        result = run_supervised(
            ledger, _options(sys.executable, "-c", "raise SystemExit(3)"), warn=print
        )
    assert result.exit_code == 3
    _, ended = _kinds(tmp_path / "l.db", result.run_id)
    assert (ended.status, ended.exit_code, ended.error) == ("failed", 3, "exit code 3")


def test_a_command_that_cannot_start_raises_and_is_recorded_failed(tmp_path: Path) -> None:
    with open_ledger(str(tmp_path / "l.db")) as ledger:
        with pytest.raises(CommandNotStarted) as caught:
            run_supervised(ledger, _options(str(tmp_path / "no-such-program")), warn=print)
    assert "No such file" in str(caught.value)
    _, ended = _kinds(tmp_path / "l.db", caught.value.run_id)
    assert (ended.status, ended.error) == ("failed", "the command could not be started")


def test_a_signal_before_the_start_records_an_interrupted_run_and_starts_nothing(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "started"
    before = signal.getsignal(signal.SIGTERM)
    supervisor = Supervisor(kill_after_s=1.0)  # catches SIGTERM from here on
    os.kill(os.getpid(), signal.SIGTERM)
    with open_ledger(str(tmp_path / "l.db")) as ledger:
        result = run_supervised(
            ledger,
            _options(sys.executable, "-c", f"open({str(marker)!r}, 'w')"),
            warn=print,
            supervisor=supervisor,
        )
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is given back
    assert (result.started, result.exit_code) == (False, 128 + 15)
    assert not marker.exists()
    _, ended = _kinds(tmp_path / "l.db", result.run_id)
    assert (ended.status, ended.exit_code, ended.error) == ("interrupted", 143, "SIGTERM")


@pytest.mark.parametrize(
    ("returncode", "first_signal", "expected"),
    [
        (0, None, ("completed", None)),
        (1, None, ("failed", "exit code 1")),
        (-15, None, ("interrupted", "SIGTERM")),
        (-2, None, ("interrupted", "SIGINT")),
        (-9, None, ("failed", "SIGKILL")),
        (-11, None, ("failed", "SIGSEGV")),
        (0, 2, ("interrupted", "SIGINT")),  # forwarded: interrupted whatever the child did
    ],
)
def test_run_status(returncode: int, first_signal: int | None, expected: tuple) -> None:
    assert run_status(returncode, first_signal) == expected
