"""``ecoledger run [options] -- CMD [ARGS...]``: run a command as a child and meter it.

The child sees ``ECOLEDGER_RUN_ID`` and ``ECOLEDGER_LEDGER``. SIGINT/SIGTERM are forwarded
to it. The exit code is the child's. A metering failure is a warning and a ``problems``
entry: it never stops the child.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from accounting.entries import RunStarted, new_id
from accounting.store.location import LEDGER_ENV, mask_url
from accounting.writer_alive import writer_identity
from ecoledger.cli.common import (
    add_ledger_arg,
    fail,
    non_negative_float,
    open_cli_ledger,
    positive_float,
)
from ecoledger.cli.live import LiveLine, print_summary
from ecoledger.cli.redact import redact_command
from ecoledger.cli.run_options import add_run_options, run_started_fields
from ecoledger.cli.supervise import (
    DEFAULT_KILL_AFTER_S,
    INTERRUPTING_SIGNALS,
    Supervisor,
    exit_status,
)
from ecoledger.cli.text import recordable, term

SAMPLE_HZ_RANGE = (0.001, 100.0)
FLUSH_INTERVAL_RANGE_S = (0.05, 60.0)
KILL_AFTER_RANGE_S = (0.0, 3600.0)


def bounded_float(name: str, low: float, high: float, unit: str) -> Any:
    """An argparse type: a number in [low, high], with an error naming the option."""
    parse_positive = positive_float(name)

    def parse(text: str) -> float:
        value = parse_positive(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low:g} and {high:g} {unit}, got {text!r}"
            )
        return value

    return parse


def kill_after_value(text: str) -> float:
    value = non_negative_float("--kill-after")(text)
    low, high = KILL_AFTER_RANGE_S
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"--kill-after must be between {low:g} and {high:g} s, got {text!r}"
        )
    return value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a command and meter it",
        description="Run CMD as a child process, meter its energy, and record it in the ledger.",
        epilog="example: ecoledger run --name tiny --project demo -- python examples/train_tiny.py",
    )
    add_ledger_arg(p)
    add_run_options(p)
    p.add_argument(
        "--gpus",
        default=None,
        metavar="LIST",
        help="GPUs to meter, as NVML indices or UUIDs (default: CUDA_VISIBLE_DEVICES)",
    )
    p.add_argument(
        "--sample-hz",
        type=bounded_float("--sample-hz", *SAMPLE_HZ_RANGE, "Hz"),
        default=1.0,
        metavar="HZ",
        help="power timeline sampling rate, 0.001 to 100 Hz (default 1)",
    )
    p.add_argument(
        "--flush-interval",
        type=bounded_float("--flush-interval", *FLUSH_INTERVAL_RANGE_S, "s"),
        default=2.0,
        metavar="S",
        help="seconds between ledger writes, 0.05 to 60 (default 2)",
    )
    p.add_argument(
        "--kill-after",
        type=kill_after_value,
        default=DEFAULT_KILL_AFTER_S,
        metavar="S",
        help="after a forwarded signal, SIGKILL the job if it still runs S seconds later "
        "(default 10; a second Ctrl-C kills at once)",
    )
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    p.set_defaults(handler=handle)


def _warm_up_meter(args: argparse.Namespace) -> None:
    """Probe once before the child starts (imports, NVML, the CPU table), so that metering
    the child begins within milliseconds of its start rather than a few hundred."""
    try:
        from meter import detect_sources

        for source in detect_sources(gpus=args.gpus).sources:
            source.close()
    except Exception:  # the real probe after the start reports any problem
        pass


def _meter_for(pid: int, args: argparse.Namespace, warn: Any) -> Any:
    from meter import Meter, detect_sources

    gpus = [g.strip() for g in args.gpus.split(",") if g.strip()] if args.gpus else None
    detection = detect_sources(root_pid=pid, gpus=gpus)
    if not detection.sources:
        warn("no energy source available; the run is recorded without energy")
        return None, detection
    return Meter(detection.sources, sample_hz=args.sample_hz), detection


def _driver_failures(detection: Any) -> list[str]:
    """GPU probes that failed on a driver error (an NVML library is there, but ``nvmlInit``
    or a device query failed): the GPUs exist but are not metered, which the run must say."""
    return [
        f"GPUs not metered: {probe.reason}"
        for probe in getattr(detection, "probes", ())
        if probe.kind == "gpu" and not probe.used and "NVML error" in (probe.reason or "")
    ]


def _open_or_defer(args: argparse.Namespace) -> Any:
    """Open the ledger. A PostgreSQL server that cannot be reached right now must not stop
    the job: the run is recorded through a ledger that connects lazily, so its entries
    wait (memory, then the local journal) until the server is back, or until the next run
    on this ledger replays them. Bad input (not a ledger, a newer one, a bad path) still
    fails before the job starts."""
    from accounting.errors import InputError, LedgerError
    from accounting.store import Ledger
    from accounting.store.location import is_postgres, ledger_location, sqlalchemy_url

    try:
        return open_cli_ledger(args)
    except LedgerError as exc:
        location = ledger_location(getattr(args, "ledger", None))
        if isinstance(exc, InputError) or not is_postgres(location):
            raise
        from sqlalchemy import create_engine

        print(
            f"ecoledger: warning: {mask_url(str(exc))}; the job runs, and its record is kept "
            "locally until the ledger can be written",
            file=sys.stderr,
        )
        return Ledger(location, create_engine(sqlalchemy_url(location), pool_pre_ping=True))


def handle(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        fail("run: no command given (usage: ecoledger run [options] -- CMD [ARGS...])")
    command = redact_command([recordable(a) for a in cmd])
    if args.name is None:
        # the default name is the command: never its secrets
        args.name = " ".join(command).strip("- ")[:120] or "run"
    fields = run_started_fields(args)
    ledger = _open_or_defer(args)
    # from here on a signal is caught (noted, then forwarded): it never raises in the middle
    supervisor = Supervisor(kill_after_s=args.kill_after)
    try:
        return _supervise(args, cmd, command, fields, ledger, supervisor)
    finally:
        supervisor.finish()
        supervisor.restore()


def _supervise(
    args: argparse.Namespace,
    cmd: list[str],
    command: tuple[str, ...],
    fields: dict[str, Any],
    ledger: Any,
    supervisor: Supervisor,
) -> int:
    from train_hooks.recorder import RunRecorder

    run_id = new_id()
    started = RunStarted(
        run_id=run_id,
        started_at=datetime.now(UTC),
        command=command,
        flush_interval_s=args.flush_interval,
        **writer_identity(),
        **fields,
    )
    env = dict(os.environ)
    env["ECOLEDGER_RUN_ID"] = run_id
    env[LEDGER_ENV] = ledger.location
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        print(f"ecoledger: warning: {message}", file=sys.stderr)

    _warm_up_meter(args)
    deferred_start: RunStarted | None = None
    try:
        ledger.append([started])  # the run exists before its job does
    except Exception:  # the ledger cannot take writes now: the job runs all the same
        deferred_start = started  # queued by the recorder, written once the ledger is back
    t0 = time.monotonic()
    if supervisor.forwarded:  # interrupted before the job began: it is not started at all
        return _end_unstarted(ledger, run_id, deferred_start, supervisor, warn, args, t0)
    try:
        child = supervisor.start(cmd, env)
    except OSError as exc:
        _end_unstarted(ledger, run_id, deferred_start, supervisor, warn, args, t0, failed=True)
        fail(f"run: cannot start {cmd[0]!r}: {exc.strerror or exc}")
    recorder = None
    try:
        meter = None
        gpu_problems: list[str] = []
        try:
            meter, detection = _meter_for(child.pid, args, warn)
            gpu_problems = _driver_failures(detection)
        except Exception as exc:  # metering must never stop the child
            warn(f"metering failed: {exc}")
        recorder = RunRecorder(
            ledger,
            run_id,
            meter=meter,
            flush_interval_s=args.flush_interval,
            origin="ecoledger run",
            warn=warn,
            t0_monotonic=t0,
        )
        recorder.start(deferred_start)
        for message in warnings:
            recorder.problem("meter_failed", message)
        for message in gpu_problems:
            print(f"ecoledger: warning: {message}", file=sys.stderr)
            recorder.problem("gpu_unavailable", message)
        live = LiveLine(recorder, intensity_g_per_kwh=fields_intensity(args))
        returncode = supervisor.wait(live.update)
        live.close()
    finally:
        if recorder is None:
            returncode = supervisor.wait(lambda: None)
    # the child is gone: a signal now must not tear the run's end (it is only noted), and
    # the writer's close is bounded, so finishing always ends
    supervisor.finish()
    code = exit_status(returncode)
    status, error = _status(returncode, supervisor)
    if status != "interrupted" and _budget_stopped_inside(ledger, run_id):
        status, error = "budget_exceeded", "BudgetExceeded"
    if supervisor.killed:
        recorder.problem(
            "job_killed",
            f"the job was sent SIGKILL ({_kill_reason(supervisor)})",
        )
    left = supervisor.left_behind()
    if left:
        listed = ", ".join(f"{p.pid} ({term(p.name)})" for p in left)
        message = f"{len(left)} processes started by the job still run, unmetered: {listed}"
        print(f"ecoledger: warning: {message}", file=sys.stderr)
        recorder.problem("processes_left", message)
    recorder.finish(status, exit_code=code, error=error)
    if recorder.writer.pending:  # kept in the journal: the ledger cannot be read either
        print(run_id)
    else:
        print_summary(ledger, run_id)
    ledger.close()
    return code


def _kill_reason(supervisor: Supervisor) -> str:
    if supervisor.forwarded.count(signal.SIGINT) >= 2:
        return "a second SIGINT"
    first = signal.Signals(supervisor.forwarded[0]).name
    return f"still running {supervisor.kill_after_s:g} s after it was sent {first}"


def _end_unstarted(
    ledger: Any,
    run_id: str,
    deferred_start: RunStarted | None,
    supervisor: Supervisor,
    warn: Any,
    args: argparse.Namespace,
    t0: float,
    *,
    failed: bool = False,
) -> int:
    """Record the end of a run whose job never started (interrupted first, or not found)."""
    from train_hooks.recorder import RunRecorder

    recorder = RunRecorder(
        ledger,
        run_id,
        flush_interval_s=args.flush_interval,
        origin="ecoledger run",
        warn=warn,
        t0_monotonic=t0,
    )
    recorder.start(deferred_start)
    if failed:
        recorder.finish("failed", error="the command could not be started")
        ledger.close()
        return 2
    signum = supervisor.forwarded[0]
    recorder.finish("interrupted", exit_code=128 + signum, error=signal.Signals(signum).name)
    print(
        f"ecoledger: interrupted ({signal.Signals(signum).name}) before the job started",
        file=sys.stderr,
    )
    print(run_id)
    ledger.close()
    return 128 + signum


def _budget_stopped_inside(ledger: Any, run_id: str) -> bool:
    """Did a ``track()`` inside the job stop it on its carbon budget? (It joined this run,
    so it could only say so with a ``process_budget_exceeded`` problem.)"""
    try:
        return any(
            getattr(e, "code", None) == "process_budget_exceeded"
            for e in ledger.entries(run_id=run_id, kinds=["problem"])
        )
    except Exception:  # an unreadable ledger: the exit code decides
        return False


def _status(returncode: int, supervisor: Supervisor) -> tuple[Any, str | None]:
    """The run's status: ``interrupted`` when a signal was forwarded to the job, or when the
    job died of SIGINT/SIGTERM/SIGHUP sent to it directly (Ctrl-C at the terminal reaches
    the job's foreground group, not us)."""
    first = supervisor.first_signal
    if first is not None:
        return "interrupted", signal.Signals(first).name
    if returncode == 0:
        return "completed", None
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return ("interrupted" if -returncode in INTERRUPTING_SIGNALS else "failed"), name
    return "failed", f"exit code {returncode}"


def fields_intensity(args: argparse.Namespace) -> float | None:
    from ecoledger.cli.run_options import live_intensity_g_per_kwh

    return live_intensity_g_per_kwh(args)
