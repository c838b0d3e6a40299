"""Signals to ``ecoledger run``: forwarded, escalated, and recorded with the true status.

- SIGHUP is forwarded and recorded ``interrupted``, like SIGINT and SIGTERM (see
  test_kill_and_status.py for all three at three moments).
- A job that ignores SIGTERM gets SIGKILL after ``--kill-after S``.
- A second Ctrl-C (SIGINT) kills at once, whatever ``--kill-after`` says.
- A job that leaves processes behind: a ``processes_left`` problem names them.

Every moment is reached by events (a file the job writes, a run in the ledger), not sleeps.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from tests.faults.harness import (
    analyse,
    child_python,
    run_command,
    run_ids,
    start,
    wait_for_new_run,
)

DEADLINE_S = 60.0


def wait_for_file(path: Path, timeout_s: float = DEADLINE_S) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        time.sleep(0.02)
    raise TimeoutError(f"{path} was not written within {timeout_s} s")


def deaf_job(marker: Path, deaf_to: int) -> list[str]:
    """A job that notes each ``deaf_to`` signal in ``marker`` and keeps running."""
    code = (
        "import signal, sys, time\n"
        f"path = {str(marker)!r}\n"
        "def noted(signum, frame):\n"
        "    with open(path, 'a') as f:\n"
        "        f.write(f'{signum}\\n')\n"
        f"signal.signal({int(deaf_to)}, noted)\n"
        "open(path + '.ready', 'w').write('ready\\n')\n"
        "while True:\n"
        "    time.sleep(0.05)\n"
    )
    return child_python(code)


def test_a_job_deaf_to_sigterm_is_killed_after_kill_after(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    marker = tmp_path / "got"
    known = run_ids(ledger)
    job = start(
        run_command(
            ledger,
            deaf_job(marker, signal.SIGTERM),
            flush_s=0.2,
            extra=["--kill-after", "0.5"],
        ),
        tmp_path,
    )
    try:
        run_id = wait_for_new_run(ledger, known)
        wait_for_file(Path(str(marker) + ".ready"))
        job.proc.send_signal(signal.SIGTERM)
        code = job.proc.wait(timeout=DEADLINE_S)
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
    assert wait_for_file(marker) == f"{int(signal.SIGTERM)}\n"  # it got SIGTERM, and lived
    assert code == 128 + signal.SIGKILL, job.text()
    outcome = analyse(ledger, run_id)
    assert (outcome.status, outcome.error, outcome.exit_code) == ("interrupted", "SIGTERM", 137)
    assert "job_killed" in outcome.problems
    assert outcome.verify_ok


def test_a_second_ctrl_c_kills_at_once(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    marker = tmp_path / "got"
    known = run_ids(ledger)
    job = start(
        run_command(
            ledger,
            deaf_job(marker, signal.SIGINT),
            flush_s=0.2,
            extra=["--kill-after", "3600"],  # only the second Ctrl-C can end it in time
        ),
        tmp_path,
    )
    try:
        run_id = wait_for_new_run(ledger, known)
        wait_for_file(Path(str(marker) + ".ready"))
        job.proc.send_signal(signal.SIGINT)
        wait_for_file(marker)  # the first reached the job, which shrugged it off
        job.proc.send_signal(signal.SIGINT)
        code = job.proc.wait(timeout=DEADLINE_S)
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
    assert code == 128 + signal.SIGKILL, job.text()
    outcome = analyse(ledger, run_id)
    assert (outcome.status, outcome.error, outcome.exit_code) == ("interrupted", "SIGINT", 137)
    assert "job_killed" in outcome.problems


def test_a_job_killed_by_sigint_sent_to_it_directly_is_interrupted(tmp_path: Path) -> None:
    """Ctrl-C at a terminal reaches the job's foreground group, not ``ecoledger run``: the
    job's death by SIGINT is an interruption, not a failure."""
    ledger = str(tmp_path / "ledger.db")
    code = "import os, signal; os.kill(os.getpid(), signal.SIGINT); signal.pause()"
    job = start(run_command(ledger, [sys.executable, "-c", code], flush_s=0.2), tmp_path)
    status = job.proc.wait(timeout=DEADLINE_S)
    out, err = job.text()
    assert status == 1 or status == 128 + signal.SIGINT, err  # KeyboardInterrupt, or the signal
    outcome = analyse(ledger, out.strip().splitlines()[-1])
    assert outcome.exit_code == status
    if status == 128 + signal.SIGINT:
        assert (outcome.status, outcome.error) == ("interrupted", "SIGINT")


def test_processes_left_behind_are_named(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    daemon_pid, group_pid = tmp_path / "daemon.pid", tmp_path / "group.pid"
    # a classic daemon (fork, setsid: out of the job's group, fork, exec) and a plain
    # background child that stays in the job's group; then the job exits 0
    job_code = (
        "import os, subprocess\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        open({str(daemon_pid)!r}, 'w').write(str(os.getpid()))\n"
        "        os.execvp('sleep', ['sleep', '300'])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "p = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(group_pid)!r}, 'w').write(str(p.pid))\n"
    )
    job = start(run_command(ledger, [sys.executable, "-c", job_code], flush_s=0.2), tmp_path)
    pids: list[int] = []
    try:
        status = job.proc.wait(timeout=DEADLINE_S)
        out, err = job.text()
        pids = [int(p.read_text()) for p in (daemon_pid, group_pid) if p.exists()]
        assert status == 0, err
        outcome = analyse(ledger, out.strip().splitlines()[-1])
        assert (outcome.status, outcome.exit_code) == ("completed", 0)
        assert "processes_left" in outcome.problems
        assert len(pids) == 2
        for pid in pids:
            assert f"{pid} (sleep)" in err, err
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
