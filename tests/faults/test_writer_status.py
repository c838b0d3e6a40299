"""A run's status is true at once on the writer's own host: ``lost`` the moment its writer
(pid + start time + boot id, recorded in ``RunStarted``) is gone, ``stalled`` while it lives
but has not flushed for 5 intervals (SIGSTOP); another host keeps the time rule.

The writers are real processes; "now" is injected, so no test waits for the time rule.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounting.entries import EntrySource, Problem, RunStarted
from accounting.runs import build_run_view
from accounting.writer_alive import boot_id, start_ticks, this_host, writer_state
from tests.cli.helpers import cli_process
from tests.faults.harness import run_command, start, wait_for_new_run

FLUSH_S = 2.0
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.skipif(boot_id() is None, reason="needs Linux /proc")


@pytest.fixture
def writer() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "120"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _entries(
    pid: int, *, host: str | None = None, ticks: int | None = None, boot: str | None = None
) -> list[Any]:
    source = EntrySource(host=host or this_host(), pid=pid, origin="test")
    started = RunStarted(
        run_id="r" * 32,
        source=source,
        recorded_at=T0,
        name="job",
        started_at=T0,
        flush_interval_s=FLUSH_S,
        writer_start_ticks=ticks if ticks is not None else start_ticks(pid),
        writer_boot_id=boot or boot_id(),
    )
    flushed = Problem(
        run_id="r" * 32, source=source, recorded_at=T0 + timedelta(seconds=4), code="t", message="m"
    )
    return [started, flushed]


def _status(entries: list[Any], silent_s: float) -> Any:
    return build_run_view(entries, now=T0 + timedelta(seconds=4 + silent_s))


def test_a_living_writer_is_running_then_stalled_never_lost(writer: Any) -> None:
    entries = _entries(writer.pid)
    assert writer_state(entries[0]) == "alive"
    assert _status(entries, 1.0).status == "running"
    writer.send_signal(signal.SIGSTOP)
    try:
        view = _status(entries, 5 * FLUSH_S + 1)
        assert view.status == "stalled"
        assert "run_stalled" in [p.code for p in view.problems]
        assert _status(entries, 3600).status == "stalled", "a stopped writer is not lost"
    finally:
        writer.send_signal(signal.SIGCONT)


def test_a_gone_writer_is_lost_at_once(writer: Any) -> None:
    entries = _entries(writer.pid)
    writer.kill()
    writer.wait()
    view = _status(entries, 0.5)
    assert view.status == "lost"
    lost = [p for p in view.problems if p.code == "run_lost"]
    assert lost and f"pid {writer.pid}" in lost[0].message


def test_a_recycled_pid_or_a_reboot_means_gone(writer: Any) -> None:
    ticks = start_ticks(writer.pid)
    assert ticks is not None
    assert _status(_entries(writer.pid, ticks=ticks + 1), 0.5).status == "lost"
    assert _status(_entries(writer.pid, boot="0" * 36), 0.5).status == "lost"


def test_another_host_keeps_the_time_rule(writer: Any) -> None:
    entries = _entries(writer.pid, host="elsewhere.example")
    assert writer_state(entries[0]) == "unknown"
    assert _status(entries, 10).status == "running"
    assert _status(entries, 31).status == "lost"


def test_an_entry_without_writer_identity_keeps_the_time_rule(writer: Any) -> None:
    entries = _entries(writer.pid)
    entries[0] = entries[0].model_copy(update={"writer_start_ticks": None})
    assert _status(entries, 10).status == "running"
    assert _status(entries, 31).status == "lost"


def _show(ledger: str, run_id: str) -> dict[str, Any]:
    done = cli_process("show", run_id, "--ledger", ledger, "--json")
    assert done.code == 0, done.err
    return json.loads(done.out)


def test_ecoledger_run_stopped_then_killed_reads_stalled_then_lost(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    flush_s = 0.2
    job = start(
        run_command(ledger, [sys.executable, "-c", "import time; time.sleep(60)"], flush_s=flush_s),
        tmp_path,
        tag="status",
    )
    try:
        run_id = wait_for_new_run(ledger, set())
        assert _show(ledger, run_id)["status"] == "running"
        job.proc.send_signal(signal.SIGSTOP)
        time.sleep(5 * flush_s + 0.5)  # a stopped writer cannot flush: the silence is certain
        shown = _show(ledger, run_id)
        assert shown["status"] == "stalled", shown
        job.proc.send_signal(signal.SIGKILL)
        job.proc.wait(timeout=10)
        shown = _show(ledger, run_id)  # at once, not 30 s later
        assert shown["status"] == "lost", shown
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
