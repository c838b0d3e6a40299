"""Shared by the fault tests and ``benchmarks/fault_matrix.py``: start real ``ecoledger run``
jobs, inject faults from outside, and read back what the ledger recorded.

Everything here is real: subprocesses, signals, SQLite files, a PostgreSQL server. The only
number computed here is what the ledger lacks: ``unrecorded_s``, the seconds of a device's
time not covered by its ``run``-window Energy segments, from the first segment to the job's
end (its ``RunEnded``, or the moment the test killed the writer).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from accounting.entries import RUN_WINDOW, Energy, RunEnded, RunStarted
from accounting.runs import NON_SAMPLE_KINDS, build_run_view
from accounting.store import open_ledger, verify

REPO = Path(__file__).resolve().parents[2]
LOOP_CHILD = "import time\nwhile True:\n    time.sleep(0.05)\n"
"""A job that runs until it is stopped."""


def child_python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def grandchild_job(code: str = LOOP_CHILD) -> list[str]:
    """A shell that runs python as its child: the python is a grandchild of ecoledger run."""
    quoted = code.replace("'", "'\"'\"'")
    return ["sh", "-c", f"{sys.executable} -c '{quoted}'; true"]


def run_command(
    ledger: str, job: list[str], *, flush_s: float = 2.0, extra: list[str] | None = None
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ecoledger",
        "run",
        "--ledger",
        ledger,
        "--flush-interval",
        str(flush_s),
        *(extra or []),
        "--",
        *job,
    ]


@dataclass
class Job:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def text(self) -> tuple[str, str]:
        return self.out.read_text(errors="replace"), self.err.read_text(errors="replace")


def start(
    argv: list[str], folder: Path, env: dict[str, str] | None = None, tag: str = "job"
) -> Job:
    """Start a command in a session of its own (so killing it never touches the test)."""
    folder.mkdir(parents=True, exist_ok=True)
    out, err = folder / f"{tag}.out", folder / f"{tag}.err"
    proc = subprocess.Popen(
        argv,
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        env={**os.environ, **(env or {})},
        cwd=REPO,
        start_new_session=True,
    )
    return Job(proc, out, err)


def wait_for_new_run(ledger: str, known: set[str], timeout_s: float = 60.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open_ledger(ledger, create=False) as led:
                fresh = [r for r in led.run_ids() if r not in known]
        except Exception:
            fresh = []
        if fresh:
            return fresh[-1]
        time.sleep(0.05)
    raise TimeoutError(f"no new run appeared in {ledger} within {timeout_s} s")


def run_ids(ledger: str) -> set[str]:
    try:
        with open_ledger(ledger, create=False) as led:
            return set(led.run_ids())
    except Exception:
        return set()


def pids_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            found.append(int(entry.name))
    return found


def child_pgid_of(pid: int, timeout_s: float = 10.0) -> int:
    """The process group ``ecoledger run`` (pid) put its child in (its child's pid)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and int(fields[2]) == int(entry.name):
                return int(entry.name)
        time.sleep(0.05)
    raise TimeoutError(f"ecoledger run {pid} started no child process group")


def wait_gone(pgid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pids_in_group(pgid):
            return True
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class Outcome:
    run_id: str
    status: str
    exit_code: int | None
    error: str | None
    verify_ok: bool
    verify_message: str
    entries: int
    duplicate_ids: int
    duplicate_segments: int
    torn_flushes: int
    devices: int
    unrecorded_s: float
    problems: tuple[str, ...]
    duration_s: float


def analyse(
    ledger: str, run_id: str, *, killed_at: datetime | None = None, now: datetime | None = None
) -> Outcome:
    """Read one run back: status (with ``now`` injected into the lost rule), chain, gaps."""
    with open_ledger(ledger, create=False) as led:
        result = verify(led)
        stored = list(led.stored(run_id=run_id))
        entries = led.entries(run_id=run_id, kinds=NON_SAMPLE_KINDS)
    view = build_run_view(entries, now)
    ids = Counter(row.id for row in stored)
    segments = [e for e in entries if isinstance(e, Energy) and e.window == RUN_WINDOW]
    seg_keys = Counter(
        (e.device_id, e.source.host, e.source.rank, e.start, e.end) for e in segments
    )
    per_device: dict[str, list[Energy]] = {}
    for e in segments:
        per_device.setdefault(e.device_id, []).append(e)
    # one flush writes one segment per device, all with the same recorded window: a flush
    # is torn when a window lacks a device that was metered before and after it
    windows = Counter((e.start, e.end) for e in segments)
    n_dev = len(per_device)
    ends = sorted({e.end for e in segments})
    torn = 0
    for (s, e), count in windows.items():
        if count < n_dev and ends and e != ends[-1]:
            alive = [
                d
                for d, segs in per_device.items()
                if max(x.end for x in segs) > e and min(x.start for x in segs) < s
            ]
            torn += int(count < len(alive))
    ended = next((e for e in reversed(entries) if isinstance(e, RunEnded)), None)
    if killed_at is not None:
        end_ref = killed_at
    elif ended is not None:
        end_ref = ended.ended_at
    else:
        end_ref = view.last_recorded_at
    started = next(e for e in entries if isinstance(e, RunStarted))
    unrecorded = 0.0 if per_device else (end_ref - started.started_at).total_seconds()
    for segs in per_device.values():
        first = min(s.start for s in segs)
        covered = sum((s.end - s.start).total_seconds() for s in segs)
        unrecorded = max(unrecorded, (end_ref - first).total_seconds() - covered)
    return Outcome(
        run_id=run_id,
        status=view.status,
        exit_code=view.exit_code,
        error=view.error,
        verify_ok=bool(result.ok),
        verify_message=str(getattr(result, "message", "")),
        entries=len(stored),
        duplicate_ids=sum(c - 1 for c in ids.values() if c > 1),
        duplicate_segments=sum(c - 1 for c in seg_keys.values() if c > 1),
        torn_flushes=torn,
        devices=n_dev,
        unrecorded_s=max(0.0, unrecorded),
        problems=tuple(p.code for p in view.problems),
        duration_s=view.duration_s,
    )


def lost_now(killed_at: datetime, flush_s: float = 2.0) -> datetime:
    """The ``now`` at which a run killed at ``killed_at`` must read as lost: the lost rule's
    silence, max(30 s, 5 flush intervals), plus one second. Injected, not waited for."""
    return killed_at + timedelta(seconds=max(30.0, 5 * flush_s) + 1.0)


def kill_run_trial(
    ledger: str,
    folder: Path,
    rng: random.Random,
    *,
    flush_s: float = 2.0,
    max_wait_s: float = 6.0,
    env: dict[str, str] | None = None,
    tag: str = "kill",
) -> tuple[Outcome, bool, float]:
    """SIGKILL ``ecoledger run`` at a random moment after its run appears.

    Returns the outcome (status evaluated at :func:`lost_now`), whether the child's process
    group (a shell and its python child) was gone within 10 s, and the delay used.
    """
    known = run_ids(ledger)
    job = start(run_command(ledger, grandchild_job(), flush_s=flush_s), folder, env, tag)
    try:
        run_id = wait_for_new_run(ledger, known)
        pgid = child_pgid_of(job.proc.pid)
        delay = rng.uniform(0.0, max_wait_s)
        time.sleep(delay)
        killed_at = datetime.now(UTC)
        job.proc.send_signal(signal.SIGKILL)
        job.proc.wait(timeout=10)
        gone = wait_gone(pgid)
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
    if not gone:
        for pid in pids_in_group(pgid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return (
        analyse(ledger, run_id, killed_at=killed_at, now=lost_now(killed_at, flush_s)),
        gone,
        delay,
    )


def sleep_job(seconds: float) -> list[str]:
    return child_python(f"import time\ntime.sleep({seconds})\n")


@dataclass(frozen=True)
class FaultTrial:
    outcome: Outcome
    exit_code: int
    write_warnings: int
    stderr: str


def fault_trial(
    ledger: str,
    folder: Path,
    inject: Any,
    restore: Any,
    *,
    hold_s: float,
    flush_s: float = 1.0,
    lead_s: float = 1.5,
    tail_s: float = 3.0,
    env: dict[str, str] | None = None,
    tag: str = "fault",
) -> FaultTrial:
    """Run a job through ``ecoledger run``; ``lead_s`` after its run appears, ``inject()``,
    hold the fault ``hold_s``, ``restore()``; the job lasts ``tail_s`` more."""
    known = run_ids(ledger)
    job_s = lead_s + hold_s + tail_s + 1.0
    job = start(run_command(ledger, sleep_job(job_s), flush_s=flush_s), folder, env, tag)
    try:
        run_id = wait_for_new_run(ledger, known)
        time.sleep(lead_s)
        inject()
        try:
            time.sleep(hold_s)
        finally:
            restore()
        code = job.proc.wait(timeout=job_s + 120)
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
    _, err = job.text()
    warnings = sum(1 for line in err.splitlines() if "ledger write failed" in line)
    return FaultTrial(analyse(ledger, run_id), code, warnings, err)


class SqliteLockHolder:
    """Another process holding the ledger's write lock (``BEGIN EXCLUSIVE``) until released."""

    SCRIPT = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)\n"
        "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
        "sys.stdin.readline(); c.execute('COMMIT')\n"
    )

    def __init__(self, path: str) -> None:
        self.path = path
        self.proc: subprocess.Popen[str] | None = None

    def inject(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "locked"

    def restore(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


class TmpfsFull:
    """A small tmpfs holding the ledger, filled to ENOSPC by a filler file (root only)."""

    def __init__(self, mountpoint: Path, size: str = "16m") -> None:
        self.mountpoint = mountpoint
        self.size = size
        self.filler = mountpoint / "filler.bin"

    def mount(self) -> bool:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={self.size},mode=0700",
                "tmpfs",
                str(self.mountpoint),
            ],
            capture_output=True,
        )
        return done.returncode == 0

    def inject(self) -> None:
        fd = os.open(self.filler, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            for size in (1 << 20, 4096, 512):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def restore(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True)


class ChattrReadOnly:
    """The ledger file and its WAL made immutable (``chattr +i`` stops even root)."""

    def __init__(self, path: str) -> None:
        self.files = [path, path + "-wal"]

    def inject(self) -> None:
        subprocess.run(["chattr", "+i", *self.files], check=True, capture_output=True)

    def restore(self) -> None:
        subprocess.run(["chattr", "-i", *self.files], check=True, capture_output=True)


class PgControl:
    """Stop and start a :class:`tests.fixtures.postgres.ThrowawayPostgres` in place."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def _ctl(self, *args: str) -> None:
        from tests.fixtures.postgres import PG_BIN

        root = self.server.root
        options = (
            f"-p {self.server.port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self.server._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-w",
            "-t",
            "60",
            "-l",
            str(root / "data" / "server.log"),
            "-o",
            options,
            *args,
        )

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")


TRACK_JOB = str(REPO / "tests" / "faults" / "jobs" / "track_job.py")


def kill_track_trial(
    ledger: str,
    folder: Path,
    rng: random.Random,
    *,
    mode: str = "loop",
    max_wait_s: float = 6.0,
    tag: str = "track",
) -> tuple[Outcome, float]:
    """SIGKILL (as the OOM killer does) a training process under ``track()`` at a random
    moment after it started training."""
    job = start([sys.executable, TRACK_JOB, ledger, mode], folder, None, tag)
    try:
        deadline = time.monotonic() + 120
        while "training" not in job.out.read_text() and time.monotonic() < deadline:
            if job.proc.poll() is not None:
                raise RuntimeError(job.err.read_text())
            time.sleep(0.05)
        run_id = job.out.read_text().split()[0]
        delay = rng.uniform(0.0, max_wait_s)
        time.sleep(delay)
        killed_at = datetime.now(UTC)
        job.proc.send_signal(signal.SIGKILL)
        job.proc.wait(timeout=10)
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
    return analyse(ledger, run_id, killed_at=killed_at, now=lost_now(killed_at)), delay


SIGNAL_MOMENTS = ("at_start", "steady", "blocked_flush")


def wait_for_flushes(ledger: str, run_id: str, count: int, timeout_s: float = 60.0) -> None:
    """Until the run has ``count`` run-window Energy entries (that many flushes happened)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open_ledger(ledger, create=False) as led:
                n = sum(1 for e in led.entries(run_id=run_id, kinds=["energy"]))
        except Exception:
            n = 0
        if n >= count:
            return
        time.sleep(0.05)
    raise TimeoutError(f"run {run_id} did not reach {count} flushes within {timeout_s} s")


def signal_run_trial(
    ledger: str,
    folder: Path,
    signum: int,
    moment: str,
    *,
    flush_s: float = 0.2,
    tag: str = "sig",
    job: list[str] | None = None,
    extra: list[str] | None = None,
) -> tuple[Outcome, int]:
    """A signal to ``ecoledger run`` at a chosen moment, by events, not by the clock:

    - ``at_start``: as soon as its ``RunStarted`` is in the ledger (the job may not even
      have started: the supervision must already catch it);
    - ``steady``: after two flushes;
    - ``blocked_flush``: after a flush, while another process holds the SQLite write lock,
      so that the writer is stuck inside a flush when the signal lands (released 0.5 s later).
    """
    if moment not in SIGNAL_MOMENTS:
        raise ValueError(f"moment must be one of {SIGNAL_MOMENTS}, got {moment!r}")
    known = run_ids(ledger)
    proc = start(
        run_command(ledger, job or child_python(LOOP_CHILD), flush_s=flush_s, extra=extra),
        folder,
        None,
        tag,
    )
    lock = SqliteLockHolder(ledger)
    try:
        run_id = wait_for_new_run(ledger, known)
        if moment != "at_start":
            wait_for_flushes(ledger, run_id, 2)
        if moment == "blocked_flush":
            lock.inject()
            time.sleep(2 * flush_s)  # the next flush is now waiting on the lock
        proc.proc.send_signal(signum)
        if moment == "blocked_flush":
            time.sleep(0.5)
            lock.restore()
        code = proc.proc.wait(timeout=60)
    finally:
        if lock.proc is not None and lock.proc.poll() is None:
            lock.proc.kill()
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait()
    return analyse(ledger, run_id), code


READER = r"""
import sys, time, traceback
from accounting.runs import list_runs, load_run
from accounting.store import open_ledger
ledger, stop_file = sys.argv[1], sys.argv[2]
reads = errors = 0
import os
while not os.path.exists(stop_file):
    try:
        with open_ledger(ledger, create=False) as led:
            views = list_runs(led)
            for v in views[:3]:
                load_run(led, v.run_id)
                led.power_series(v.run_id, max_points=200)
        reads += 1
    except Exception as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc) or "is empty" in str(exc):
            time.sleep(0.1)
            continue
        errors += 1
        print("reader error:", exc.__class__.__name__, str(exc).splitlines()[0], file=sys.stderr)
    time.sleep(0.05)
print(reads, errors)
"""


@dataclass(frozen=True)
class LoadResult:
    jobs: int
    exit_codes: tuple[int, ...]
    runs_complete: int
    exact_counts: int
    verify_ok: bool
    locked_errors: int
    reader_reads: int
    reader_errors: int
    wall_s: float
    details: tuple[str, ...]


def load_trial(ledger: str, folder: Path, jobs: int = 16, phase_s: float = 2.0) -> LoadResult:
    """``jobs`` concurrent ``ecoledger run`` jobs on one ledger, each child joining its run
    with ``track()`` and recording 20 phase windows, while a reader runs the dashboard's read
    path (``list_runs``, ``load_run``, ``power_series``) in a loop."""
    open_ledger(ledger).close()
    stop = folder / "stop-reader"
    stop.unlink(missing_ok=True)
    reader = start([sys.executable, "-c", READER, ledger, str(stop)], folder, None, "reader")
    t0 = time.monotonic()
    procs = [
        start(
            run_command(
                ledger, [sys.executable, TRACK_JOB, ledger, "phases", str(phase_s)], flush_s=1.0
            ),
            folder,
            None,
            f"load{i}",
        )
        for i in range(jobs)
    ]
    codes = tuple(p.proc.wait(timeout=600) for p in procs)
    wall = time.monotonic() - t0
    stop.write_text("stop")
    reader.proc.wait(timeout=120)
    out, rerr = reader.text()
    reads, rerrors = (int(x) for x in out.split()[:2]) if out.split() else (0, -1)
    locked = sum(("database is locked" in p.text()[1]) for p in procs) + rerr.count("locked")
    details: list[str] = []
    complete = exact = 0
    with open_ledger(ledger, create=False) as led:
        ok = bool(verify(led).ok)
        for p in procs:
            run_id = p.text()[0].strip().splitlines()[-1] if p.text()[0].strip() else ""
            if not run_id:
                details.append(f"no run id: {p.text()[1][-300:]}")
                continue
            entries = led.entries(run_id=run_id, kinds=NON_SAMPLE_KINDS)
            kinds = Counter(e.kind for e in entries)
            view = build_run_view(entries)
            complete += int(
                view.status == "completed" and kinds["run_started"] == 1 and kinds["run_ended"] == 1
            )
            phase = [e for e in entries if isinstance(e, Energy) and e.window.startswith("phase:p")]
            by_window = Counter(e.window for e in phase)
            devices = {e.device_id for e in phase}
            want = {f"phase:p{i}" for i in range(20)}
            if set(by_window) == want and all(c == len(devices) for c in by_window.values()):
                exact += 1
            else:
                details.append(f"{run_id[:8]}: windows {dict(by_window)}")
    return LoadResult(
        jobs, codes, complete, exact, ok, locked, reads, rerrors, wall, tuple(details)
    )
