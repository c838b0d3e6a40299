"""Run a command as a child process, meter it, and record it as one run: ``ecoledger run``'s
library half (the CLI only parses options and prints).

The child sees ``ECOLEDGER_RUN_ID`` and ``ECOLEDGER_LEDGER``. SIGINT/SIGTERM/SIGHUP are
caught from the start and forwarded to it (:class:`~train_hooks.supervisor.Supervisor`). A
metering failure is a warning and a ``problems`` entry: it never stops the child.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from accounting.entries import RunStarted, RunStatus, new_id
from accounting.store.location import LEDGER_ENV
from accounting.writer_alive import writer_identity
from train_hooks.recorder import RunRecorder
from train_hooks.supervisor import (
    DEFAULT_KILL_AFTER_S,
    INTERRUPTING_SIGNALS,
    Supervisor,
    exit_status,
)

ORIGIN = "ecoledger run"


class LiveView(Protocol):
    """What is shown while the child runs (the CLI's live line)."""

    def update(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SupervisedRunOptions:
    cmd: tuple[str, ...]
    """What is executed."""
    command: tuple[str, ...]
    """What is recorded (secrets redacted)."""
    fields: Mapping[str, Any]
    """The other ``RunStarted`` fields (name, project, kind, country, ...)."""
    gpus: str | None = None
    """GPUs to meter, as a comma-separated list of NVML indices or UUIDs (None: the default)."""
    sample_hz: float = 1.0
    flush_interval_s: float = 2.0
    kill_after_s: float = DEFAULT_KILL_AFTER_S


@dataclass(frozen=True)
class SupervisedRunResult:
    run_id: str
    exit_code: int
    """The child's exit status as a shell reports it (``128 + N`` for signal N)."""
    started: bool
    """False when the child never began (interrupted first)."""
    pending: bool
    """True when the run's record waits in the writer's journal (the ledger is unreachable)."""


class CommandNotStarted(Exception):
    """The command could not be executed; its run is recorded as failed."""

    def __init__(self, run_id: str, error: OSError) -> None:
        super().__init__(str(error.strerror or error))
        self.run_id = run_id
        self.error = error


def run_supervised(
    ledger: Any,
    options: SupervisedRunOptions,
    *,
    warn: Callable[[str], None],
    live: Callable[[RunRecorder], LiveView] | None = None,
    printable: Callable[[str], str] = str,
    supervisor: Supervisor | None = None,
) -> SupervisedRunResult:
    """Record a run in ``ledger`` for ``options.cmd``, run it to its end and meter it.

    ``warn`` receives every warning (also recorded as problems); ``live`` builds what is
    updated about once a second while the child runs; ``printable`` makes a process name
    safe to show (the CLI escapes terminal controls). The ledger is left open (the caller
    may still read the run). Raises :class:`CommandNotStarted` when the command cannot be
    executed.
    """
    supervisor = supervisor or Supervisor(kill_after_s=options.kill_after_s)
    try:
        return _supervise(ledger, options, supervisor, warn, live, printable)
    finally:
        supervisor.finish()
        supervisor.restore()


def _supervise(
    ledger: Any,
    options: SupervisedRunOptions,
    supervisor: Supervisor,
    warn_user: Callable[[str], None],
    live: Callable[[RunRecorder], LiveView] | None,
    printable: Callable[[str], str],
) -> SupervisedRunResult:
    run_id = new_id()
    started = RunStarted(
        run_id=run_id,
        started_at=datetime.now(UTC),
        command=options.command,
        flush_interval_s=options.flush_interval_s,
        **writer_identity(),
        **options.fields,
    )
    env = dict(os.environ)
    env["ECOLEDGER_RUN_ID"] = run_id
    env[LEDGER_ENV] = ledger.location
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        warn_user(message)

    _warm_up_meter(options.gpus)
    deferred_start: RunStarted | None = None
    try:
        ledger.append([started])  # the run exists before its job does
    except Exception:  # the ledger cannot take writes now: the job runs all the same
        deferred_start = started  # queued by the recorder, written once the ledger is back

    def recorder_for(meter: Any = None) -> RunRecorder:
        recorder = RunRecorder(
            ledger,
            run_id,
            meter=meter,
            flush_interval_s=options.flush_interval_s,
            origin=ORIGIN,
            warn=warn,
            t0_monotonic=t0,
        )
        recorder.start(deferred_start)
        return recorder

    t0 = time.monotonic()
    if supervisor.forwarded:  # interrupted before the job began: it is not started at all
        signum = supervisor.forwarded[0]
        recorder_for().finish(
            "interrupted", exit_code=128 + signum, error=signal.Signals(signum).name
        )
        return SupervisedRunResult(run_id, 128 + signum, started=False, pending=False)
    try:
        child = supervisor.start(list(options.cmd), env)
    except OSError as exc:
        recorder_for().finish("failed", error="the command could not be started")
        raise CommandNotStarted(run_id, exc) from exc
    recorder = None
    try:
        meter = None
        gpu_problems: list[str] = []
        try:
            meter, detection = _meter_for(child.pid, options, warn)
            gpu_problems = _driver_failures(detection)
        except Exception as exc:  # metering must never stop the child
            warn(f"metering failed: {exc}")
        recorder = recorder_for(meter)
        for message in warnings:
            recorder.problem("meter_failed", message)
        for message in gpu_problems:
            warn_user(message)
            recorder.problem("gpu_unavailable", message)
        view = live(recorder) if live else None
        returncode = supervisor.wait(view.update if view else lambda: None)
        if view:
            view.close()
    finally:
        if recorder is None:
            returncode = supervisor.wait(lambda: None)
    # the child is gone: a signal now must not tear the run's end (it is only noted), and
    # the writer's close is bounded, so finishing always ends
    supervisor.finish()
    code = exit_status(returncode)
    status, error = run_status(returncode, supervisor.first_signal)
    if status != "interrupted" and _budget_stopped_inside(ledger, run_id):
        status, error = "budget_exceeded", "BudgetExceeded"
    if supervisor.killed:
        recorder.problem("job_killed", f"the job was sent SIGKILL ({_kill_reason(supervisor)})")
    left = supervisor.left_behind()
    if left:
        listed = ", ".join(f"{p.pid} ({printable(p.name)})" for p in left)
        message = f"{len(left)} processes started by the job still run, unmetered: {listed}"
        warn_user(message)
        recorder.problem("processes_left", message)
    recorder.finish(status, exit_code=code, error=error)
    return SupervisedRunResult(run_id, code, started=True, pending=bool(recorder.writer.pending))


def run_status(returncode: int, first_signal: int | None) -> tuple[RunStatus, str | None]:
    """The run's status: ``interrupted`` when a signal was forwarded to the job, or when the
    job died of SIGINT/SIGTERM/SIGHUP sent to it directly (Ctrl-C at the terminal reaches
    the job's foreground group, not us)."""
    if first_signal is not None:
        return "interrupted", signal.Signals(first_signal).name
    if returncode == 0:
        return "completed", None
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return ("interrupted" if -returncode in INTERRUPTING_SIGNALS else "failed"), name
    return "failed", f"exit code {returncode}"


def _warm_up_meter(gpus: str | None) -> None:
    """Probe once before the child starts (imports, NVML, the CPU table), so that metering
    the child begins within milliseconds of its start rather than a few hundred."""
    try:
        from meter import detect_sources

        for source in detect_sources(gpus=gpus).sources:
            source.close()
    except Exception:  # the real probe after the start reports any problem
        pass


def _gpu_list(gpus: str | None) -> list[str] | None:
    return [g.strip() for g in gpus.split(",") if g.strip()] if gpus else None


def _meter_for(pid: int, options: SupervisedRunOptions, warn: Callable[[str], None]) -> Any:
    from meter import Meter, detect_sources

    detection = detect_sources(root_pid=pid, gpus=_gpu_list(options.gpus))
    if not detection.sources:
        warn("no energy source available; the run is recorded without energy")
        return None, detection
    return Meter(detection.sources, sample_hz=options.sample_hz), detection


def _driver_failures(detection: Any) -> list[str]:
    """GPU probes that failed on a driver error (an NVML library is there, but ``nvmlInit``
    or a device query failed): the GPUs exist but are not metered, which the run must say."""
    return [
        f"GPUs not metered: {probe.reason}"
        for probe in getattr(detection, "probes", ())
        if probe.kind == "gpu" and not probe.used and "NVML error" in (probe.reason or "")
    ]


def _kill_reason(supervisor: Supervisor) -> str:
    if supervisor.forwarded.count(signal.SIGINT) >= 2:
        return "a second SIGINT"
    first = signal.Signals(supervisor.forwarded[0]).name
    return f"still running {supervisor.kill_after_s:g} s after it was sent {first}"


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


__all__: Sequence[str] = (
    "CommandNotStarted",
    "SupervisedRunOptions",
    "SupervisedRunResult",
    "run_supervised",
    "run_status",
)
