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
import logging
import math
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

from accounting.entries import RUN_KINDS, RunStarted, new_id
from accounting.version import version_text
from accounting.writer_alive import writer_identity
from train_hooks.carbon import DEFAULT_PUE, check_country, intensity_g_per_kwh
from train_hooks.errors import BudgetExceeded
from train_hooks.hostinfo import gpus_of_rank, host_root_pid, placement
from train_hooks.run import Budget, Run
from train_hooks.signals import SigtermGuard, Terminated
from train_hooks.sync import check_sync, make_sync

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

    def __init__(self, **options: Any) -> None:
        self._options = options
        _validate(options)
        self.run: Run | None = None
        self._recorder: Any = None
        self._ledger: Any = None
        self._guard = SigtermGuard()
        self._owner = False
        self._lock = threading.Lock()
        self._log: Any = None  # train_hooks.mlflow_log.MlflowLog when log_to="mlflow"

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
        options = dict(self._options)
        if options.get("name") is None:
            options["name"] = getattr(fn, "__qualname__", None) or repr(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Tracker(**options):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> Run:
        """Open (or join) the run and start metering. Never raises for a metering problem."""
        if self.run is not None:
            raise RuntimeError("this track() is already started; use a new one per run")
        o = self._options
        self.run = _open(self, o)
        if o.get("log_to"):
            from train_hooks.mlflow_log import attach

            self._log = attach(self.run, o)
        Run._active.append(self.run)
        _OPEN.append(self)
        _install_exit_hooks()
        self._guard.install()
        return self.run

    def stop(self, status: str = "completed", error: str | None = None) -> None:
        """Close the run: flush every window and write its end (owner only). Idempotent."""
        with self._lock:
            run, self.run = self.run, None
        if run is None:
            return
        if self in _OPEN:
            _OPEN.remove(self)
        if run in Run._active:
            Run._active.remove(run)
        try:
            run._close()
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


MAX_NAME_CHARS = 200
"""Names and projects are bounded (as by ``ecoledger run --name``)."""


def _validate(o: dict[str, Any]) -> None:
    from train_hooks.mlflow_log import check_log_to

    check_log_to(o.get("log_to"))
    if o["kind"] not in RUN_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RUN_KINDS)}, got {o['kind']!r}")
    if o["on_budget"] not in ("warn", "stop"):
        raise ValueError(f"on_budget must be 'warn' or 'stop', got {o['on_budget']!r}")
    for name in ("pue", "sample_hz", "budget_kgco2e", "flush_interval_s"):
        value = o.get(name)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        if name == "pue" and value < 1:
            raise ValueError(f"pue must be ≥ 1 (facility energy / IT energy), got {value}")
        if name != "pue" and value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    if o["flush_interval_s"] is not None and o["flush_interval_s"] > 5:
        raise ValueError(f"flush_interval_s must be ≤ 5, got {o['flush_interval_s']}")
    for name in ("total_epochs", "total_steps"):
        value = o.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    if o["country"] is not None:
        o["country"] = check_country(o["country"])
    check_sync(o.get("sync", "auto"))
    if o.get("shared_gpu", "whole") not in ("whole", "attribute"):
        raise ValueError(f"shared_gpu must be 'whole' or 'attribute', got {o['shared_gpu']!r}")
    for name in ("name", "project"):
        value = o.get(name)
        if isinstance(value, str) and ("\x00" in value or len(value) > MAX_NAME_CHARS):
            raise ValueError(
                f"{name} must be at most {MAX_NAME_CHARS} characters, with no NUL character"
            )


def _default_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script or "python"


def _open(tracker: Tracker, o: dict[str, Any]) -> Run:
    """Open the ledger, agree on the run id, build the meter and recorder. Never raises."""
    from accounting.store import open_ledger
    from accounting.store.location import is_postgres
    from train_hooks.recorder import RunRecorder

    pue = o["pue"] if o["pue"] is not None else DEFAULT_PUE
    try:
        g_per_kwh = intensity_g_per_kwh(o["country"])
    except Exception as exc:
        _warn(f"no carbon intensity available ({exc}); budgets use 475 gCO2e/kWh")
        g_per_kwh = 475.0
    budget = Budget(o["budget_kgco2e"], o["on_budget"]) if o["budget_kgco2e"] else None
    env_run = os.environ.get(RUN_ID_ENV)
    from accounting.store.location import LEDGER_ENV

    env_ledger = os.environ.get(LEDGER_ENV)
    location = o["ledger"] or env_ledger
    joined = bool(env_run) and (o["ledger"] is None or o["ledger"] == env_ledger)
    p = placement()
    proposed = env_run if joined else new_id()
    assert proposed is not None

    def disabled(run_id: str) -> Run:
        return Run(
            run_id,
            None,
            pue=pue,
            intensity_g_per_kwh=g_per_kwh,
            budget=budget,
            rank=p.rank,
            total_epochs=o["total_epochs"],
            total_steps=o["total_steps"],
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
            return disabled(proposed)
    assert run_id is not None
    if ledger is None:
        return disabled(run_id)
    tracker._ledger = ledger
    owner = not joined and p.rank in (None, 0)
    tracker._owner = owner
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
            meter = Meter(detection.sources, sample_hz=o["sample_hz"] or 1.0)
        elif p.reads_host:
            problems.append("no energy source available; nothing is metered in this process")
    except Exception as exc:
        problems.append(f"the meter could not be built: {exc}")
    gpu_uuids = [s.info.device_id for s in meter.sources if s.info.kind == "gpu"] if meter else []
    recorder = RunRecorder(
        ledger,
        run_id,
        sync=make_sync(o["sync"], gpu_uuids),
        meter=meter,
        owner=owner,
        record_total=not joined,
        flush_interval_s=o["flush_interval_s"] or FLUSH_INTERVAL_S,
        rank=p.rank,
        origin="ecoledger.track",
        warn=_warn,
    )
    tracker._recorder = recorder
    started = None
    if owner:
        started = RunStarted(
            run_id=run_id,
            source=recorder.source,
            name=o["name"] or _default_name(),
            project=o["project"],
            run_kind=o["kind"],
            started_at=datetime.now(UTC),
            country=o["country"],
            pue=o["pue"],
            ecoledger_version=version_text(),
            flush_interval_s=o["flush_interval_s"] or FLUSH_INTERVAL_S,
            parent_run_id=o.get("parent_run_id"),
            expected_uses=o.get("expected_uses"),
            **writer_identity(),
        )
    recorder.start(started)
    if owner and o.get("shared_gpu") == "attribute":
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
    return Run(
        run_id,
        recorder,
        pue=pue,
        intensity_g_per_kwh=g_per_kwh,
        budget=budget,
        rank=p.rank,
        total_epochs=o["total_epochs"],
        total_steps=o["total_steps"],
    )


def track(
    name: Any = None,
    project: str | None = None,
    kind: str = "training",
    ledger: str | None = None,
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
    sync: Any = "auto",
    shared_gpu: str = "whole",
) -> Any:
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
    options = {
        "name": None if bare else name,
        "project": project,
        "kind": kind,
        "ledger": None if ledger is None else os.fspath(ledger),
        "country": country,
        "pue": pue,
        "sample_hz": sample_hz,
        "budget_kgco2e": budget_kgco2e,
        "on_budget": on_budget,
        "total_epochs": total_epochs,
        "total_steps": total_steps,
        "flush_interval_s": flush_interval_s,
        "parent_run_id": parent_run_id,
        "expected_uses": expected_uses,
        "log_to": log_to,
        "sync": sync,
        "shared_gpu": shared_gpu,
    }
    tracker = Tracker(**options)
    return tracker(name) if bare else tracker


# -- runs opened with start() and never stopped: closed at exit --------------------------------
_OPEN: list[Tracker] = []
_hooks_installed = False


def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all, "completed", None)
    previous = sys.excepthook

    def excepthook(exc_type: Any, exc: BaseException, tb: Any) -> None:
        status, error = status_of(exc)
        _close_all(status, error)
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _close_all(status: str, error: str | None) -> None:
    for tracker in reversed(list(_OPEN)):
        try:
            tracker.stop(status, error)
        except Exception:
            pass
