"""The fault matrix: inject every fault of the reliability issue into real ``ecoledger run``
and ``track()`` jobs, read back what the ledger recorded, and write ``docs/fault-matrix.md``.

Columns: the fault; how it is injected; trials; the job's outcome; the run's recorded
status; the data lost (seconds of a device's time not covered by recorded energy, worst
trial, against the flush interval); whether ``ecoledger verify`` passed on every trial.
Then the bad-input fuzz: cases tried and cases that failed badly (target 0).

Everything is real: subprocesses, signals, SQLite files on disk or a tmpfs, a throwaway
PostgreSQL 15 server, the fake NVML driver behind the real pynvml. Root is needed for the
tmpfs (disk full) and ``chattr +i`` (read-only) rows; without it they are reported skipped.

usage: python benchmarks/fault_matrix.py [--kills 10] [--signals 5] [--fuzz 200] [--out docs/fault-matrix.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.faults import fuzz  # noqa: E402
from tests.faults.harness import (  # noqa: E402
    SIGNAL_MOMENTS,
    TRACK_JOB,
    ChattrReadOnly,
    Outcome,
    PgControl,
    SqliteLockHolder,
    TmpfsFull,
    analyse,
    fault_trial,
    kill_run_trial,
    kill_track_trial,
    load_trial,
    run_command,
    signal_run_trial,
)


@dataclass
class Row:
    fault: str
    how: str
    trials: int = 0
    outcomes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    lost_s: list[float] = field(default_factory=list)
    flush_s: float | None = None
    verify: list[bool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)

    def add(self, outcome: str, o: Outcome | None, ok: bool, note: str = "") -> None:
        self.trials += 1
        self.outcomes.append(outcome)
        if o is not None:
            self.statuses.append(o.status + (f" ({o.error})" if o.error else ""))
            self.lost_s.append(o.unrecorded_s)
            self.verify.append(o.verify_ok)
        self.ok.append(ok)
        if note:
            self.notes.append(note)

    def cells(self) -> list[str]:
        def summary(items: Iterable[str]) -> str:
            counts = Counter(items)
            return ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in counts.items()) or "—"

        lost = "—"
        if self.lost_s:
            lost = f"max {max(self.lost_s):.2f} s"
            if self.flush_s:
                lost += f" (flush {self.flush_s:g} s)"
        verify = "—" if not self.verify else ("yes" if all(self.verify) else "**NO**")
        return [
            self.fault,
            self.how,
            str(self.trials),
            summary(self.outcomes),
            summary(self.statuses),
            lost,
            verify,
        ]


def _exit(code: int) -> str:
    return "exit 0" if code == 0 else f"exit {code}"


def section(title: str) -> None:
    print(f"== {title}", flush=True)


# -- the faults ------------------------------------------------------------------------------
def kills(work: Path, trials: int) -> list[Row]:
    ledger = str(work / "kill.db")
    rng = random.Random(2024)
    row = Row(
        "`ecoledger run` SIGKILLed at a random moment",
        "SIGKILL 0–6 s (uniform) after its run appears; the job is `sh -c 'python …'` "
        "(a grandchild); `lost` evaluated at an injected now = kill + 31 s",
        flush_s=2.0,
    )
    for i in range(trials):
        o, gone, delay = kill_run_trial(ledger, work, rng, flush_s=2.0, tag=f"kill{i}")
        ok = gone and o.status == "lost" and o.verify_ok and o.unrecorded_s <= 2.25
        row.add("child group ended" if gone else "**child orphaned**", o, ok)
    # one honest wait: the real clock, the real CLI
    known_ids = set()
    o, gone, _ = kill_run_trial(ledger, work, rng, flush_s=2.0, tag="killwait")
    known_ids.add(o.run_id)
    time.sleep(31.5)
    shown = subprocess.run(
        [sys.executable, "-m", "ecoledger", "show", o.run_id, "--ledger", ledger, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    real_status = json.loads(shown.stdout)["status"] if shown.returncode == 0 else "error"
    row.add(
        "child group ended" if gone else "**child orphaned**",
        o,
        gone and real_status == "lost",
        f"one more trial waited 31.5 s of real time: `ecoledger show` said `{real_status}`",
    )
    track = Row(
        "training process SIGKILLed under `track()` (OOM-style)",
        "SIGKILL 0–6 s after a torch MLP starts training with `run.watch(opt)`",
        flush_s=2.0,
    )
    for i in range(max(3, trials // 2)):
        o, _ = kill_track_trial(ledger, work, rng, mode="torch", tag=f"track{i}")
        track.add("killed", o, o.status == "lost" and o.verify_ok and o.unrecorded_s <= 2.25)
    return [row, track]


def statuses(work: Path) -> list[Row]:
    ledger = str(work / "status.db")
    row = Row("child exits non-zero", "`sys.exit(N)`, N = 1, 3, 42; and SIGSEGV of its own")
    for code in (1, 3, 42):
        done = subprocess.run(
            run_command(ledger, [sys.executable, "-c", f"import sys; sys.exit({code})"]),
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        o = analyse(ledger, done.stdout.strip().splitlines()[-1])
        row.add(_exit(done.returncode), o, done.returncode == code and o.exit_code == code)
    done = subprocess.run(
        run_command(ledger, [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), 11)"]),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    o = analyse(ledger, done.stdout.strip().splitlines()[-1])
    row.add(_exit(done.returncode), o, o.error == "SIGSEGV")
    raises = Row(
        "job raises under `track()`",
        "`raise ValueError` standalone, and joined under `ecoledger run`",
    )
    own = subprocess.run(
        [sys.executable, TRACK_JOB, ledger, "raise", "0.5"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    o = analyse(ledger, own.stdout.split()[0])
    raises.add(_exit(own.returncode), o, o.error == "ValueError")
    joined = subprocess.run(
        run_command(ledger, [sys.executable, TRACK_JOB, ledger, "raise", "0.5"]),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    o = analyse(ledger, joined.stdout.strip().splitlines()[-1])
    raises.add(
        _exit(joined.returncode),
        o,
        "process_failed" in o.problems,
        "joined: the run is `failed (exit code 1)` with a `process_failed: ValueError` problem",
    )
    return [row, raises]


def signals(work: Path, trials: int) -> list[Row]:
    ledger = str(work / "signals.db")
    rows = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        name = signal.Signals(signum).name
        row = Row(
            f"{name} at a chosen moment",
            f"{name} to `ecoledger run`, reached by events (no sleeps): as soon as its run "
            "appears (the job may not have started), after two flushes, or while another "
            "process holds the SQLite write lock (the writer stuck in a flush); flush 0.2 s",
            flush_s=0.2,
        )
        for i in range(trials):
            moment = SIGNAL_MOMENTS[i % len(SIGNAL_MOMENTS)]
            o, code = signal_run_trial(ledger, work, signum, moment, tag=f"sig{name}{i}")
            ok = (
                o.status == "interrupted"
                and o.error == name
                and o.exit_code == code
                and o.verify_ok
                and o.torn_flushes == 0
            )
            row.add(f"{moment}: {_exit(code)}, {o.torn_flushes} torn flushes", o, ok)
        rows.append(row)
    return rows


def pytest_row(fault: str, how: str, *nodeids: str) -> Row:
    """A row whose trials are tests (each a real subprocess, file, terminal or browser)."""
    row = Row(fault, how + f" (`{' '.join(n.removeprefix('tests/') for n in nodeids)}`)")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodeids],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    last = (done.stdout.strip().splitlines() or ["no output"])[-1]
    passed = done.returncode == 0
    row.add(("tests pass: " if passed else "**tests FAIL**: ") + last.strip("= "), None, passed)
    return row


def job_and_outputs() -> list[Row]:
    """Issue 14's job, terminal and output faults, each checked by its tests."""
    f, s = "tests/faults/", "tests/security/"
    return [
        pytest_row(
            "job deaf to SIGTERM",
            "SIGTERM to `ecoledger run --kill-after 0.5`, the job ignores it: SIGKILL after "
            "0.5 s, `interrupted` (SIGTERM), exit 137, a `job_killed` problem",
            f + "test_signals.py::test_a_job_deaf_to_sigterm_is_killed_after_kill_after",
        ),
        pytest_row(
            "second Ctrl-C",
            "two SIGINTs to a job that ignores SIGINT, `--kill-after 3600`: killed at the second",
            f + "test_signals.py::test_a_second_ctrl_c_kills_at_once",
        ),
        pytest_row(
            "job reads the terminal",
            "`ecoledger run -- python -c 'input()'` under `script -qfc`, a line typed: the job "
            "reads it, and the shell reads the terminal again afterwards",
            f + "test_terminal.py",
        ),
        pytest_row(
            "job leaves processes behind",
            "a double-forked daemon (setsid) and a background child: named, pid and command, "
            "in a `processes_left` problem",
            f + "test_signals.py::test_processes_left_behind_are_named",
        ),
        pytest_row(
            "bytes that are not UTF-8",
            "`\\xff` in `--name`, `--tag` and the command: recorded as `\\xff`, exit 7 passes through",
            s + "test_hostile_names.py::test_bytes_that_are_not_utf8_are_recorded_escaped",
            s
            + "test_hostile_names.py::test_a_command_that_is_not_utf8_gets_an_escaped_default_name",
        ),
        pytest_row(
            "terminal injection",
            "a name with OSC/CSI escapes, a newline, CR, a bidi override and C1: `run`, `runs`, "
            "`show`, `assess`, md, latex, html, model-card carry no control character; NUL and "
            "names over 200 characters refused",
            s + "test_hostile_names.py",
        ),
        pytest_row(
            "dashboard user strings",
            "name, project, tag, benefit note and problem as Markdown image, link, raw HTML and "
            "KaTeX, in chromium: shown as text, 0 requests to the URLs they point at",
            "tests/dashboard/test_browser_hostile.py",
        ),
        pytest_row(
            "secrets in the command",
            "bare tokens (sk-, sk-proj-, ghp_, github_pat_, hf_, AKIA, xoxb-, glpat-), Bearer "
            "(also in `sh -c`), JSON api_key, --pw/--passwd/--secret*, URL passwords with / or "
            "@, ?password=: none in the ledger bytes (WAL too), show/runs --json, 5 report "
            "formats, 2 exports, errors",
            s + "test_secrets.py",
        ),
        pytest_row(
            "`--out` onto a device, FIFO, symlink or folder",
            "export and report `--out X --force` on a FIFO, a symlink, a folder and a copy of "
            "/dev/null; `--figures` with a symlinked file or folder: refused, nothing replaced",
            s + "test_output_files.py",
        ),
        pytest_row(
            "huge numbers",
            "estimate with 1e308 inputs, --seed -1, benefit add 1e308, a ledger already "
            "holding two 1e308 benefits: exit 2 naming the input, or finite results; no "
            "NaN/Infinity in JSON",
            s + "test_numbers.py",
        ),
    ]


def _store_row(row: Row, trial: Any, flush_s: float) -> None:
    o = trial.outcome
    ok = (
        trial.exit_code == 0
        and o.status == "completed"
        and o.verify_ok
        and o.duplicate_ids == 0
        and o.duplicate_segments == 0
        and o.unrecorded_s <= flush_s
    )
    row.add(
        f"ran to the end, {_exit(trial.exit_code)}; {trial.write_warnings} warning(s); "
        f"{o.duplicate_ids} duplicate ids",
        o,
        ok,
    )


def sqlite_faults(work: Path) -> list[Row]:
    rows = []
    ledger = str(work / "locked.db")
    locked = Row(
        "SQLite locked for 30 s",
        "another process holds `BEGIN EXCLUSIVE` for 30 s mid-run",
        flush_s=1.0,
    )
    holder = SqliteLockHolder(ledger)
    _store_row(locked, fault_trial(ledger, work, holder.inject, holder.restore, hold_s=30.0), 1.0)
    locked.notes.append("the 60 s busy timeout rides out the lock: writes wait, nothing fails")
    rows.append(locked)
    full = Row(
        "SQLite disk full",
        "ledger on a 16 MiB tmpfs filled to ENOSPC for 10 s mid-run (journal elsewhere)",
        flush_s=1.0,
    )
    if os.geteuid() == 0:
        disk = TmpfsFull(work / "small")
        if disk.mount():
            try:
                for _ in range(2):
                    ledger = str(disk.mountpoint / "ledger.db")
                    trial = fault_trial(
                        ledger,
                        work,
                        disk.inject,
                        disk.restore,
                        hold_s=10.0,
                        env={"ECOLEDGER_JOURNAL_DIR": str(work / "journal")},
                    )
                    _store_row(full, trial, 1.0)
            finally:
                disk.unmount()
    if not full.trials:
        full.notes.append("skipped: needs root to mount a tmpfs")
    rows.append(full)
    pages = Row(
        "SQLite full (`PRAGMA max_page_count`)",
        "in-process writer: `max_page_count` = current size on its connections, 50 flushes, "
        "memory bound 50 entries → spill to the 0600 journal, then lifted",
    )
    rows.append(max_page_count_trial(work, pages))
    ro = Row(
        "SQLite read-only",
        "`chattr +i` on the ledger and its WAL for 10 s mid-run (stops even root)",
        flush_s=1.0,
    )
    if os.geteuid() == 0 and shutil.which("chattr"):
        for i in range(2):
            ledger = str(work / f"ro{i}.db")
            fault = ChattrReadOnly(ledger)
            try:
                _store_row(
                    ro, fault_trial(ledger, work, fault.inject, fault.restore, hold_s=10.0), 1.0
                )
            finally:
                try:
                    fault.restore()
                except Exception:
                    pass
    else:
        ro.notes.append("skipped: needs root and chattr")
    rows.append(ro)
    return rows


def max_page_count_trial(work: Path, row: Row) -> Row:
    from sqlalchemy import event

    from accounting.entries import Problem, RunStarted
    from accounting.store import open_ledger, verify
    from accounting.store.writer import BufferedWriter

    os.environ["XDG_STATE_HOME"] = str(work / "state")
    led = open_ledger(str(work / "pages.db"))
    led.append([RunStarted(run_id="p" * 32, name="pages", started_at=datetime.now(UTC))])
    state = {"on": True}

    def cap(dbapi: Any, _record: Any) -> None:
        if state["on"]:
            pages = dbapi.execute("PRAGMA page_count").fetchone()[0]
            dbapi.execute(f"PRAGMA max_page_count={pages}")

    event.listen(led.engine, "connect", cap)
    led.engine.dispose()
    warnings: list[str] = []
    writer = BufferedWriter(led, flush_interval_s=0.05, warn=warnings.append, max_buffered=50)
    made = []
    for i in range(50):
        batch = [
            Problem(run_id="p" * 32, code="t", severity="info", message=f"{i}-{k}")
            for k in range(20)
        ]
        made += batch
        writer.put_many(batch)
        writer.flush()
    spilled, buffered = writer.spilled, writer.buffered
    state["on"] = False
    led.engine.dispose()
    closed = writer.close()
    ids = [r.id for r in led.stored()]
    ok_verify = verify(led).ok
    dup = len(ids) - len(set(ids))
    missing = len({e.id for e in made} - set(ids))
    led.close()
    row.trials += 1
    row.outcomes.append(
        f"put never blocked; {len(warnings)} warning; {spilled} spilled, {buffered} in memory; "
        f"{missing} missing, {dup} duplicates after"
    )
    row.statuses.append("all 1,000 entries written once" if closed and not missing else "**lost**")
    row.verify.append(ok_verify)
    row.ok.append(closed and not missing and not dup and ok_verify)
    return row


def postgres_faults(work: Path) -> list[Row]:
    from tests.fixtures.postgres import ThrowawayPostgres

    rows = []
    restart = Row("PostgreSQL restarted mid-run", "`pg_ctl restart -m fast` mid-run", flush_s=1.0)
    down = Row(
        "PostgreSQL unreachable for 30 s",
        "`pg_ctl stop -m fast`, 30 s, `pg_ctl start`, mid-run",
        flush_s=1.0,
    )
    try:
        server = ThrowawayPostgres().start()
    except Exception as exc:
        for row in (restart, down):
            row.notes.append(f"skipped: no PostgreSQL server ({exc})")
        return [restart, down]
    try:
        pg = PgControl(server)
        for _ in range(2):
            url = server.new_database("fm")
            _store_row(restart, fault_trial(url, work, pg.restart, lambda: None, hold_s=1.0), 1.0)
        url = server.new_database("fm")
        _store_row(down, fault_trial(url, work, pg.stop, pg.start, hold_s=30.0), 1.0)
        rows += [restart, down]
        load = Row("load: 16 `ecoledger run` on PostgreSQL + a reader", "")
        rows.append(load_row(load, server.new_database("load"), work))
    finally:
        server.stop()
    return rows


def load_row(row: Row, ledger: str, work: Path) -> Row:
    folder = work / f"load-{len(list(work.glob('load-*')))}"
    r = load_trial(ledger, folder, jobs=16, phase_s=2.0)
    row.how = (
        "16 concurrent jobs (each joins its run with `track()` and records 20 phases) while "
        "a reader loops over `list_runs`/`load_run`/`power_series` (the dashboard's read path)"
    )
    row.trials = 1
    row.outcomes.append(
        f"{sum(c == 0 for c in r.exit_codes)}/16 exit 0 in {r.wall_s:.0f} s; "
        f"{r.exact_counts}/16 exact entry counts; {r.locked_errors} 'database is locked'; "
        f"reader: {r.reader_reads} reads, {r.reader_errors} errors"
    )
    row.statuses.append(f"completed ×{r.runs_complete}")
    row.verify.append(r.verify_ok)
    row.ok.append(
        r.runs_complete == 16
        and r.exact_counts == 16
        and r.locked_errors == 0
        and r.reader_errors == 0
    )
    return row


def nvml_faults(work: Path) -> list[Row]:
    from accounting.runs import load_run
    from accounting.store import open_ledger
    from tests.fake_nvml.build import build
    from tests.fixtures.fake_nvml import run_with_fake

    lib = work / "fake_nvml"
    lib.mkdir(exist_ok=True)
    build(lib)
    rows = []
    cases = [
        (
            "GPU lost mid-run",
            "fake NVML: `FAKE_NVML_LOST_AFTER=20` on GPU 0 of 2",
            {"lost_after": 20},
            "device_lost",
        ),
        (
            "GPU energy counter reset",
            "fake NVML: `FAKE_NVML_RESET_AT=2.5` (a driver reload)",
            {"reset_at": 2.5},
            "counter_reset",
        ),
        (
            "`nvmlInit` failing",
            "fake NVML: `FAKE_NVML_INIT_ERR=999`",
            {"init_err": 999},
            "gpu_unavailable",
        ),
    ]
    for fault, how, config, code in cases:
        row = Row(fault, how, flush_s=1.0)
        ledger = str(work / f"nvml-{code}.db")
        done = run_with_fake(
            [
                *run_command(
                    ledger, [sys.executable, "-c", "import time; time.sleep(6)"], flush_s=1.0
                )
            ],
            lib,
            gpus=2,
            power_mw=[250000, 400000],
            **config,
        )
        run_id = done.stdout.strip().splitlines()[-1]
        o = analyse(ledger, run_id)
        with open_ledger(ledger, create=False) as led:
            view = load_run(led, run_id)
        others = [
            f"{d.device_id.split('-')[0] if d.kind != 'gpu' else d.device_id[:12]} "
            f"{d.energy_j / max(view.duration_s, 1e-9):.0f} W"
            for d in view.devices
            if d.kind == "gpu"
        ]
        problems = sorted(set(o.problems))
        row.add(
            f"{_exit(done.returncode)}; problems: {', '.join(problems) or 'none'}; GPUs: "
            + (", ".join(others) or "none metered (CPU, RAM go on)"),
            o,
            done.returncode == 0 and code in o.problems,
        )
        rows.append(row)
    return rows


def clock_jump(work: Path) -> Row:
    row = Row(
        "wall-clock jump (−2 h mid-run)",
        "injected wall clock in the meter (libfaketime breaks `time.sleep` here when the "
        "monotonic clock is left real); real recorder, sources, SQLite",
    )
    import pytest  # noqa: F401 - the test module imports it

    from accounting.entries import RUN_WINDOW, Energy, RunEnded
    from tests.faults.test_clock_jump import _record

    (work / "jump").mkdir(exist_ok=True)
    entries, elapsed = _record(work / "jump")  # type: ignore[arg-type]
    ended = next(e for e in entries if isinstance(e, RunEnded))
    segs = [e for e in entries if isinstance(e, Energy) and e.window == RUN_WINDOW]
    covered = max(
        sum(e.duration_s for e in segs if e.device_id == d) for d in {e.device_id for e in segs}
    )
    ends = [e.end for e in segs]
    ordered = ends == sorted(ends)
    row.trials = 1
    row.outcomes.append(
        f"duration {ended.duration_s:.2f} s vs {elapsed:.2f} s monotonic; energy covers "
        f"{covered:.2f} s; segment timestamps ordered: {'yes' if ordered else '**no** (gap)'}"
    )
    row.statuses.append(ended.status)
    row.verify.append(True)
    row.ok.append(abs(ended.duration_s - elapsed) < 0.2 and ordered)
    row.notes.append(
        "durations and energy use the monotonic clock; segment and sample timestamps are the "
        "wall clock read once at the meter's start plus monotonic time, so they stay ordered "
        "(an entry's recorded_at is the wall clock when it is written; the ledger's order is seq)"
    )
    return row


# -- bad input -------------------------------------------------------------------------------
def fuzz_rows(work: Path, examples: int) -> list[Row]:
    from tests.faults.test_bad_input_fuzz import _valid_export
    from tests.fixtures.two_runs import RUN_IDS, write_two_run_ledger

    base = write_two_run_ledger(work / "fuzz.db")
    rid = RUN_IDS[0]
    valid = _valid_export(base, work)
    conf = settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    rows = []

    def target(
        name: str,
        how: str,
        strategy: Any,
        cases: Callable[[Any], list[tuple[list[str], Path | None]]],
    ) -> None:
        tried, bad, examples_bad = 0, 0, []

        @conf
        @given(value=strategy)
        def run(value: Any) -> None:
            nonlocal tried, bad
            for argv, ledger in cases(value):
                tried += 1
                result = fuzz.run_case(argv, ledger)
                if result.bad:
                    bad += 1
                    examples_bad.append(f"{argv!r}: {result.bad}")

        run()
        row = Row(f"bad input: {name}", how)
        row.trials = tried
        row.outcomes.append(f"{tried - bad} clean (exit 0, or one error line + exit 2)")
        row.statuses.append(f"{bad} failed badly")
        row.verify.append(bad == 0)
        row.ok.append(bad == 0)
        row.notes += examples_bad[:5]
        rows.append(row)

    def file_case(
        suffix: str, argv: Callable[[str], list[list[str]]], ledger: Path | None
    ) -> Callable[[str], list[tuple[list[str], Path | None]]]:
        def make(text: str) -> list[tuple[list[str], Path | None]]:
            path = work / f"fuzz-input{suffix}"
            path.write_bytes(text.encode("utf-8", "replace"))
            return [(a, ledger) for a in argv(str(path))]

        return make

    target(
        "number and unit options",
        "hypothesis: `estimate` with 1–3 of 24 number/unit/preset options set to floats, huge ints, nan/inf, units, junk text",
        fuzz.estimate_argv(),
        lambda argv: [(argv, None)],
    )
    target(
        "`run` options",
        "hypothesis: `--pue`, `--flush-interval`, `--sample-hz`, `--expected-uses`, `--country`, `--kind` with junk",
        fuzz.run_option_argv(),
        lambda argv: [(argv[:1] + ["--ledger", str(base)] + argv[1:], base)],
    )
    target(
        "assumptions files",
        "hypothesis: TOML/YAML-like text (random, or key/value rows with junk values) to `estimate` and `assess`",
        fuzz.toml_like,
        file_case(
            ".toml",
            lambda p: [
                ["estimate", "--energy-kwh", "1", "--assumptions", p],
                ["assess", rid, "--ledger", str(base), "--assumptions", p],
            ],
            base,
        ),
    )
    target(
        "intensity CSV files",
        "hypothesis: CSV with bad timestamps/values, or random text, to `assess --intensity-csv`",
        fuzz.csv_like,
        file_case(
            ".csv", lambda p: [["assess", rid, "--ledger", str(base), "--intensity-csv", p]], base
        ),
    )
    target(
        "run-id prefixes",
        "hypothesis: random text and SQL/LIKE metacharacters to `show`, `assess`, `export --run`",
        fuzz.prefixes,
        lambda p: [
            ([*a, "--ledger", str(base)], base)
            for a in (
                ["show", p],
                ["assess", p],
                ["export", "--run", p, "--format", "jsonl", "--out", "-"],
            )
        ],
    )

    imp = work / "import-target.db"

    def import_cases(text: str) -> list[tuple[list[str], Path | None]]:
        shutil.copy(base, imp)
        path = work / "fuzz-import.jsonl"
        path.write_bytes(text.encode("utf-8", "replace"))
        return [(["import", str(path), "--ledger", str(imp)], imp)]

    target(
        "`import` files",
        "hypothesis: a valid export with lines dropped, reordered, cut, edited or junk inserted",
        fuzz.import_lines(valid),
        import_cases,
    )
    return rows


# -- the document ----------------------------------------------------------------------------
HEADER = [
    "fault",
    "how injected",
    "trials",
    "job outcome",
    "recorded status",
    "data lost",
    "verify passed",
]


def render(rows: list[Row], fuzz_rows_: list[Row], command: str, wall_s: float) -> str:
    def table(rs: list[Row], header: list[str]) -> list[str]:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rs:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |")
        return lines

    survived = sum(all(r.ok) and r.trials > 0 for r in rows)
    skipped = [r.fault for r in rows if r.trials == 0]
    tried = sum(r.trials for r in fuzz_rows_)
    bad = sum(int(r.statuses[0].split()[0]) for r in fuzz_rows_)
    out = [
        "# Fault matrix",
        "",
        f"Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node() and 'this machine'}: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} (no GPU: NVML is the fake driver); "
        f"{wall_s / 60:.1f} min.",
        "",
        f"**{survived} of {len(rows)} faults survived as expected**"
        + (f" ({len(skipped)} skipped: {', '.join(skipped)})" if skipped else "")
        + f"; bad input: **{tried} cases tried, {bad} failed badly**.",
        "",
        "*Data lost* is the worst trial's seconds of a device's time not covered by recorded "
        "energy, from its first recorded segment to the job's end (its `RunEnded`, or the "
        "moment the writer was killed). A killed writer loses at most the flush interval it "
        "was in, plus the few milliseconds between a flush's snapshot and its commit.",
        "",
        *table(rows, HEADER),
        "",
        "## Bad input",
        "",
        "Each case runs the real CLI in-process. Clean = exit 0, or exactly one line "
        "`ecoledger: error: …` and exit 2, with the ledger file byte-for-byte unchanged. "
        "Failed badly = a traceback, an internal error, another exit code, several lines, "
        "or a changed ledger.",
        "",
        *table(
            fuzz_rows_,
            ["input", "how generated", "cases", "outcome", "failed badly", "—", "all clean"],
        ),
        "",
        "## Notes",
        "",
    ]
    for r in rows + fuzz_rows_:
        for note in r.notes:
            out.append(f"- {r.fault}: {note}")
    out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10, help="SIGKILL trials of ecoledger run")
    parser.add_argument(
        "--signals", type=int, default=5, help="SIGTERM, SIGINT and SIGHUP trials each"
    )
    parser.add_argument("--fuzz", type=int, default=200, help="hypothesis examples per input")
    parser.add_argument("--out", default=str(REPO / "docs" / "fault-matrix.md"))
    args = parser.parse_args()
    command = (
        f"python benchmarks/fault_matrix.py --kills {args.kills} --signals {args.signals} "
        f"--fuzz {args.fuzz}"
    )
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ecoledger-faults-") as tmp:
        work = Path(tmp)
        os.environ["XDG_STATE_HOME"] = str(work / "state")
        rows: list[Row] = []
        section("kills")
        rows += kills(work, args.kills)
        section("statuses")
        rows += statuses(work)
        section("signals")
        rows += signals(work, args.signals)
        section("job, terminal and outputs")
        rows += job_and_outputs()
        section("sqlite")
        rows += sqlite_faults(work)
        section("postgres")
        pg_rows = postgres_faults(work)
        section("nvml")
        rows += nvml_faults(work)
        section("clock")
        rows.append(clock_jump(work))
        section("load sqlite")
        rows.append(
            load_row(
                Row("load: 16 `ecoledger run` on SQLite + a reader", ""),
                str(work / "load.db"),
                work,
            )
        )
        rows += pg_rows
        section("store hardening")
        from benchmarks.fault_matrix_store import store_rows

        rows += store_rows(work, Row)
        section("fuzz")
        fz = fuzz_rows(work, args.fuzz)
    text = render(rows, fz, command, time.monotonic() - t0)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
