"""``ecoledger.track()``: open (or join) a run, meter this process, close it with its status.

``track`` is a context manager and a decorator::

    with ecoledger.track(name="mlp", project="demo") as run:
        run.watch(optimizer)
        with run.phase("train"):
            ...

    @ecoledger.track(kind="inference")
    def serve(): ...

Standalone, it owns the run: it writes ``RunStarted``, additive ``run``-window energy
segments of this process's devices every flush (≤ 5 s), and ``RunEnded`` with ``completed``,
``failed`` (the exception type), ``interrupted`` (SIGINT/SIGTERM) or ``budget_exceeded``.
Inside ``ecoledger run`` (``ECOLEDGER_RUN_ID`` set) it joins that run and writes only its
windows, usage and problems: the parent meters the whole process tree. Under
torch.distributed, rank 0 opens the run and every other rank joins it.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar, cast, overload

from accounting.entries import RunKind, RunStarted, new_id
from accounting.version import version_text
from accounting.writer_alive import writer_identity
from train_hooks.carbon import DEFAULT_PUE, intensity_g_per_kwh
from train_hooks.context import TrackingContext, tracking
from train_hooks.errors import BudgetExceeded
from train_hooks.hostinfo import gpus_of_rank, host_root_pid, placement
from train_hooks.options import TrackOptions
from train_hooks.run import Budget, Run
from train_hooks.signals import SigtermGuard, Terminated
from train_hooks.sync import make_sync

log = logging.getLogger("ecoledger")
RUN_ID_ENV = "ECOLEDGER_RUN_ID"
FLUSH_INTERVAL_S = 2.0
F = TypeVar("F", bound=Callable[..., Any])


def _warn(message: str) -> None:
    log.warning("ecoledger: %s", message)


def _error_name(exc: BaseException) -> str:
    t = type(exc)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def status_of(exc: BaseException | None) -> tuple[str, str | None]:
    """The run status (and error) for how the tracked block ended."""
    if exc is None:
        return "completed", None
    if isinstance(exc, BudgetExceeded):
        return "budget_exceeded", "BudgetExceeded"
    if isinstance(exc, Terminated):
        return "interrupted", "SIGTERM"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", "SIGINT"
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return "completed", None
    if isinstance(exc, SystemExit):
        return "failed", f"SystemExit({exc.code!r})"
    return "failed", _error_name(exc)


class Tracker:
    """What ``track(...)`` returns: a context manager, a decorator, or ``start()``/``stop()``."""

    def __init__(self, options: TrackOptions) -> None:
        self.options = options
        self.run: Run | None = None
        self._recorder: Any = None
        self._ledger: Any = None
        self._guard = SigtermGuard()
        self._owner = False
        self._lock = threading.Lock()
        self._log: Any = None  # train_hooks.mlflow_log.MlflowLog when log_to="mlflow"
        self._context: TrackingContext = tracking()

    @property
    def owner(self) -> bool:
        """True when this process opened the run (and so writes its end)."""
        return self._owner

    @property
    def ledger_location(self) -> str | None:
        """Where the run is recorded (None when the ledger could not be opened)."""
        return self._ledger.location if self._ledger is not None else None

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Run:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status, error = status_of(exc)
        self.stop(status, error)

    # -- decorator -------------------------------------------------------------------------
    def __call__(self, fn: F) -> F:
        options = self.options
        if options.name is None:
            options = options.with_changes(name=getattr(fn, "__qualname__", None) or repr(fn))

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Tracker(options):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> Run:
        """Open (or join) the run and start metering. Never raises for a metering problem."""
        if self.run is not None:
            raise RuntimeError("this track() is already started; use a new one per run")
        o = self.options
        opened = _open(o)
        self.run, self._ledger, self._recorder, self._owner = (
            opened.run,
            opened.ledger,
            opened.recorder,
            opened.owner,
        )
        if o.log_to:
            from train_hooks.mlflow_log import attach

            self._log = attach(self.run, o)
        context = self._context = tracking()
        context.runs.append(self.run)
        context.trackers.append(self)
        _install_exit_hooks(context)
        self._guard.install()
        return self.run

    def stop(self, status: str = "completed", error: str | None = None) -> None:
        """Close the run: flush every window and write its end (owner only). Idempotent."""
        with self._lock:
            run, self.run = self.run, None
        if run is None:
            return
        context = self._context
        if self in context.trackers:
            context.trackers.remove(self)
        if run in context.runs:
            context.runs.remove(run)
        try:
            run.close()
        except Exception as exc:
            _warn(f"could not close the run's windows: {exc}")
        if run.budget_stopped and status in ("completed", "failed"):
            status, error = "budget_exceeded", "BudgetExceeded"
        recorder = self._recorder
        if recorder is not None:
            if status != "completed" and not self._owner:
                recorder.problem(
                    "process_" + status,
                    f"process {os.getpid()} (rank {run.rank}) ended {status}"
                    + (f": {error}" if error else ""),
                    "error" if status == "failed" else "warning",
                )
            try:
                recorder.finish(status, error=error)  # type: ignore[arg-type]
            except Exception as exc:
                _warn(f"could not finish the run: {exc}")
        if self._log is not None:
            self._log.finish(self._ledger, status)
            self._log = None
        if self._ledger is not None:
            try:
                self._ledger.close()
            except Exception:
                pass
        self._guard.remove()


def _default_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script or "python"


@dataclass(frozen=True)
class _Opened:
    run: Run
    ledger: Any = None
    recorder: Any = None
    owner: bool = False


def _open(o: TrackOptions) -> _Opened:
    """Open the ledger, agree on the run id, build the meter and recorder. Never raises."""
    from accounting.store import open_ledger
    from accounting.store.location import is_postgres
    from train_hooks.recorder import RunRecorder

    pue = o.pue if o.pue is not None else DEFAULT_PUE
    try:
        g_per_kwh = intensity_g_per_kwh(o.country)
    except Exception as exc:
        _warn(f"no carbon intensity available ({exc}); budgets use 475 gCO2e/kWh")
        g_per_kwh = 475.0
    budget = Budget(o.budget_kgco2e, o.on_budget) if o.budget_kgco2e else None
    env_run = os.environ.get(RUN_ID_ENV)
    from accounting.store.location import LEDGER_ENV

    env_ledger = os.environ.get(LEDGER_ENV)
    location = o.ledger or env_ledger
    joined = bool(env_run) and (o.ledger is None or o.ledger == env_ledger)
    p = placement()
    proposed = env_run if joined else new_id()
    assert proposed is not None

    def make_run(run_id: str, recorder: RunRecorder | None = None) -> Run:
        """The run handed to the user; without a recorder nothing is recorded."""
        return Run(
            run_id,
            recorder,
            pue=pue,
            intensity_g_per_kwh=g_per_kwh,
            budget=budget,
            rank=p.rank,
            total_epochs=o.total_epochs,
            total_steps=o.total_steps,
        )

    ledger = None
    try:
        ledger = open_ledger(location)
    except Exception as exc:
        _warn(f"cannot open the ledger, this run is not recorded: {exc}")
    run_id: str | None = proposed
    if p.distributed:
        from train_hooks.distributed import agree_on_run

        sqlite = ledger is not None and not is_postgres(ledger.location)
        agreement = agree_on_run(p, proposed, sqlite)
        run_id = agreement.run_id
        if agreement.refusal:
            if p.rank == 0:
                _warn(agreement.refusal)
            if ledger is not None:
                ledger.close()
            return _Opened(make_run(proposed))
    assert run_id is not None
    if ledger is None:
        return _Opened(make_run(run_id))
    owner = not joined and p.rank in (None, 0)
    meter = None
    problems: list[str] = []
    try:
        from meter import Meter, detect_sources

        detection = detect_sources(
            root_pid=host_root_pid(p),
            gpus=gpus_of_rank(p.local_rank) if p.distributed else None,
            include_host=p.reads_host,
        )
        if detection.sources:
            meter = Meter(detection.sources, sample_hz=o.sample_hz or 1.0)
        elif p.reads_host:
            problems.append("no energy source available; nothing is metered in this process")
    except Exception as exc:
        problems.append(f"the meter could not be built: {exc}")
    gpu_uuids = [s.info.device_id for s in meter.sources if s.info.kind == "gpu"] if meter else []
    recorder = RunRecorder(
        ledger,
        run_id,
        sync=make_sync(o.sync, gpu_uuids),
        meter=meter,
        owner=owner,
        record_total=not joined,
        flush_interval_s=o.flush_interval_s or FLUSH_INTERVAL_S,
        rank=p.rank,
        origin="ecoledger.track",
        warn=_warn,
    )
    started = None
    if owner:
        started = RunStarted(
            run_id=run_id,
            source=recorder.source,
            name=o.name or _default_name(),
            project=o.project,
            run_kind=cast(RunKind, o.kind),  # checked by TrackOptions
            started_at=datetime.now(UTC),
            country=o.country,
            pue=o.pue,
            ecoledger_version=version_text(),
            flush_interval_s=o.flush_interval_s or FLUSH_INTERVAL_S,
            parent_run_id=o.parent_run_id,
            expected_uses=o.expected_uses,
            **writer_identity(),
        )
    recorder.start(started)
    if owner and o.shared_gpu == "attribute":
        from accounting.assessment import AssumptionSettings
        from accounting.entries import Assumptions

        recorder.add(
            Assumptions(
                run_id=run_id,
                source=recorder.source,
                label="track(shared_gpu='attribute')",
                factors=(),
                settings_json=AssumptionSettings(shared_gpu="attribute").to_json_text(),
            )
        )
    if p.distributed:
        gpus = [s.info.device_id for s in meter.sources if s.info.kind == "gpu"] if meter else []
        recorder.problem(
            "rank_joined",
            f"rank {p.rank} (local rank {p.local_rank} of {p.local_world_size}) on host {p.host} "
            f"meters {', '.join(gpus) or 'no GPU'}"
            + (
                "; it reads this host's CPU and RAM"
                if p.reads_host
                else "; local rank 0 reads this host's CPU and RAM"
            ),
            "info",
        )
    for message in problems:
        _warn(message)
        recorder.problem("meter_failed", message)
    return _Opened(make_run(run_id, recorder), ledger, recorder, owner)


@overload
def track(name: F, /) -> F: ...
@overload
def track(
    name: str | None = None,
    project: str | None = None,
    kind: str = "training",
    ledger: str | os.PathLike[str] | None = None,
    country: str | None = None,
    pue: float | None = None,
    sample_hz: float | None = None,
    budget_kgco2e: float | None = None,
    on_budget: str = "warn",
    *,
    total_epochs: int | None = None,
    total_steps: int | None = None,
    flush_interval_s: float | None = None,
    parent_run_id: str | None = None,
    expected_uses: int | None = None,
    log_to: str | None = None,
    sync: str | Callable[[], None] | None = "auto",
    shared_gpu: str = "whole",
) -> Tracker: ...
def track(name: Any = None, *args: Any, **kwargs: Any) -> Any:
    """Meter a block or a function as one run in the ledger; yields a :class:`Run`.

    ``ledger``: a path or PostgreSQL URL (default ``$ECOLEDGER_LEDGER``, else ./ecoledger.db).
    ``country``: ISO 3166 alpha-3 code for the grid intensity (default: world average).
    ``budget_kgco2e`` with ``on_budget="warn"`` logs once when the measured total, or the
    prediction (given ``total_epochs``/``total_steps``), exceeds it; ``"stop"`` raises
    :class:`BudgetExceeded` at the next step boundary once the measured total exceeds it.
    ``parent_run_id``: the training run this (inference) run amortizes over ``expected_uses``.
    ``log_to="mlflow"``: also log windows, the assessment and the report to MLflow.
    ``sync``: what the run's own begin/end and every phase/epoch window call before reading
    the counters: ``"auto"`` (``torch.cuda.synchronize`` on the metered CUDA devices when this
    process has CUDA initialized, else nothing), ``"off"``/``None``, or a callable.
    ``shared_gpu="attribute"``: assess a GPU that other processes used at this run's estimated
    share (recorded as the run's assumptions); the default charges the whole device.
    Bad arguments raise ValueError naming the argument; a metering or ledger failure is only
    a warning.
    """
    bare = callable(name) and not isinstance(name, str)  # @track without parentheses
    tracker = Tracker(TrackOptions(None if bare else name, *args, **kwargs))
    return tracker(name) if bare else tracker


# what help() and inspect show: the options' own parameters (the typed overload above)
track.__signature__ = inspect.signature(TrackOptions).replace(  # type: ignore[attr-defined]
    return_annotation="Tracker"
)


# -- runs opened with start() and never stopped: closed at exit --------------------------------
def _install_exit_hooks(context: TrackingContext) -> None:
    if context.exit_hooks_installed:
        return
    context.exit_hooks_installed = True
    atexit.register(_close_all, context, "completed", None)
    previous = sys.excepthook

    def excepthook(exc_type: Any, exc: BaseException, tb: Any) -> None:
        status, error = status_of(exc)
        _close_all(context, status, error)
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _close_all(context: TrackingContext, status: str, error: str | None) -> None:
    for tracker in reversed(list(context.trackers)):
        try:
            tracker.stop(status, error)
        except Exception:
            pass
