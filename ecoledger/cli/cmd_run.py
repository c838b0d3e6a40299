"""``ecoledger run [options] -- CMD [ARGS...]``: run a command as a child and meter it.

The child sees ``ECOLEDGER_RUN_ID`` and ``ECOLEDGER_LEDGER``. SIGINT/SIGTERM are forwarded
to it. The exit code is the child's. A metering failure is a warning and a ``problems``
entry: it never stops the child.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from accounting.entries import RunStarted, new_id
from accounting.store.location import LEDGER_ENV, mask_url
from accounting.writer_alive import writer_identity
from ecoledger.cli.common import add_ledger_arg, fail, open_cli_ledger, positive_float
from ecoledger.cli.live import LiveLine, print_summary
from ecoledger.cli.redact import redact_command
from ecoledger.cli.run_options import add_run_options, run_started_fields

PR_SET_PDEATHSIG = 1
SAMPLE_HZ_RANGE = (0.001, 100.0)
FLUSH_INTERVAL_RANGE_S = (0.05, 60.0)
WATCHDOG_GRACE_S = 5.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _watch_child_group(pgid: int) -> tuple[int, int] | None:
    """Fork a tiny watchdog that ends the child's whole process group if we die.

    ``PR_SET_PDEATHSIG`` reaches only the direct child; a shell's children, or a launcher's
    workers, would be orphaned when ``ecoledger run`` is SIGKILLed. The watchdog (its own
    session, deaf to SIGINT/SIGTERM) blocks on a pipe that only we can write: EOF means we
    died, so it sends SIGTERM to the group, then SIGKILL after a grace period. A byte means
    the run ended normally. Returns (write fd, watchdog pid), or None if fork failed.
    """
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # pragma: no cover - the watchdog process
        try:
            os.close(write_fd)
            os.setsid()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if os.read(read_fd, 1) == b"":
                _end_group(pgid)
        finally:
            os._exit(0)
    os.close(read_fd)
    return write_fd, pid


def _end_group(pgid: int) -> None:  # pragma: no cover - runs in the watchdog
    import time

    try:
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + WATCHDOG_GRACE_S
        while time.monotonic() < deadline:
            time.sleep(0.1)
            os.killpg(pgid, 0)
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _release_watchdog(watchdog: tuple[int, int] | None) -> None:
    if watchdog is None:
        return
    write_fd, pid = watchdog
    try:
        os.write(write_fd, b"x")
    except OSError:
        pass
    os.close(write_fd)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


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
    from train_hooks.recorder import RunRecorder

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        fail("run: no command given (usage: ecoledger run [options] -- CMD [ARGS...])")
    command = redact_command(cmd)
    if args.name is None:
        # the default name is the command: never its secrets
        args.name = " ".join(command).strip("- ")[:120] or "run"
    fields = run_started_fields(args)
    ledger = _open_or_defer(args)
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
    try:
        child = subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=_die_with_parent)
    except OSError as exc:
        fail(f"run: cannot start {cmd[0]!r}: {exc.strerror or exc}")
    watchdog = _watch_child_group(child.pid)

    forwarded: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        forwarded.append(signum)
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
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
        while True:
            try:
                returncode = child.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                live.update()
        live.close()
    finally:
        if recorder is None:
            returncode = child.wait()
        _release_watchdog(watchdog)
    # the child is gone: a signal now must not tear the run's end (it is only noted), and
    # the writer's close is bounded, so finishing always ends
    for s in previous:
        signal.signal(s, lambda signum, _frame: forwarded.append(signum))
    try:
        status, error = _status(returncode, forwarded)
        if status != "interrupted" and _budget_stopped_inside(ledger, run_id):
            status, error = "budget_exceeded", "BudgetExceeded"
        recorder.finish(status, exit_code=returncode, error=error)
        if recorder.writer.pending:  # kept in the journal: the ledger cannot be read either
            print(run_id)
        else:
            print_summary(ledger, run_id)
        ledger.close()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return returncode if returncode >= 0 else 128 - returncode


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


def _status(returncode: int, forwarded: list[int]) -> tuple[Any, str | None]:
    if forwarded:
        return "interrupted", signal.Signals(forwarded[0]).name
    if returncode == 0:
        return "completed", None
    if returncode < 0:
        return "failed", signal.Signals(-returncode).name
    return "failed", f"exit code {returncode}"


def fields_intensity(args: argparse.Namespace) -> float | None:
    from ecoledger.cli.run_options import live_intensity_g_per_kwh

    return live_intensity_g_per_kwh(args)
