"""``track(..., log_to="mlflow")``: the run's energy and carbon in the MLflow run users already have.

While the run goes on, each closed window is logged as metrics on the active MLflow run (one is
started, and ended with the run, when none is active):

- an epoch window ``epoch:N``: ``ecoledger.epoch.energy_wh`` and ``ecoledger.epoch.co2e_g`` at
  step ``N``;
- a phase window ``phase:NAME``: ``ecoledger.phase.NAME.energy_wh`` and ``...co2e_g``, at step
  0, 1, ... for each time the phase closes.

CO2e uses the run's own PUE and grid intensity, as ``Run.kgco2e`` does. When the run ends, the
final assessment's numeric stable keys (those of ``ecoledger assess --json``) are logged as
``ecoledger.<key>``, and the Markdown report as the artifact ``ecoledger/report.md``. Tags
name the ledger's run. Logging never stops the job: a failure is one warning. Only rank 0 of
a distributed run logs. This is the ``[mlflow]`` extra.
"""

from __future__ import annotations

import logging
import re
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from accounting.units import j_to_wh
from meter import Measurement
from train_hooks.carbon import kgco2e

log = logging.getLogger("ecoledger")
LOG_TO = ("mlflow",)
_EPOCH = re.compile(r"^epoch:(\d+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")
STATUS = {"completed": "FINISHED", "interrupted": "KILLED"}


def check_log_to(value: Any) -> None:
    """ValueError naming ``log_to`` when it is not a known tracker or its package is missing."""
    if value is None:
        return
    if value not in LOG_TO:
        raise ValueError(f"log_to must be one of {', '.join(LOG_TO)} or None, got {value!r}")
    if find_spec("mlflow") is None:
        raise ValueError("log_to='mlflow' needs mlflow: pip install 'ecoledger[mlflow]'")


class MlflowLog:
    """Logs one ecoledger run to MLflow. Built by :func:`attach`; every method is safe."""

    def __init__(self, run: Any, name: str | None, project: str | None) -> None:
        import mlflow

        self._mlflow = mlflow
        self.run = run
        self._phase_counts: dict[str, int] = {}
        self._owned = False
        self._warned = False
        if mlflow.active_run() is None:
            mlflow.start_run(run_name=name or f"ecoledger {run.run_id[:8]}")
            self._owned = True
        tags = {"ecoledger.run_id": run.run_id}
        if project:
            tags["ecoledger.project"] = project
        mlflow.set_tags(tags)
        run.window_listeners.append(self.on_window)

    def _warn(self, what: str, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning("ecoledger: could not log %s to MLflow: %s", what, exc)

    def _co2e_g(self, joules: float) -> float:
        return kgco2e(joules, self.run.pue, self.run.intensity_g_per_kwh) * 1000.0

    def on_window(self, measurement: Measurement, count: int | None) -> None:
        if count is not None:  # a step range, not a named window
            return
        key = measurement.key
        wh = j_to_wh(measurement.joules)
        match = _EPOCH.match(key)
        try:
            if match:
                step = int(match.group(1))
                prefix = "ecoledger.epoch"
            elif key.startswith("phase:"):
                name = _UNSAFE.sub("_", key.removeprefix("phase:"))
                step = self._phase_counts.get(name, 0)
                self._phase_counts[name] = step + 1
                prefix = f"ecoledger.phase.{name}"
            else:
                return
            self._mlflow.log_metrics(
                {f"{prefix}.energy_wh": wh, f"{prefix}.co2e_g": self._co2e_g(measurement.joules)},
                step=step,
            )
        except Exception as exc:  # noqa: BLE001 - logging never stops the job
            self._warn(f"window {key}", exc)

    def finish(self, ledger: Any, status: str) -> None:
        """Log the final assessment and the Markdown report, then end an MLflow run we began."""
        try:
            if ledger is not None:
                self._log_assessment(ledger)
        except Exception as exc:  # noqa: BLE001
            self._warn("the assessment and report", exc)
        finally:
            if self._owned:
                try:
                    self._mlflow.end_run(status=STATUS.get(status, "FAILED"))
                except Exception as exc:  # noqa: BLE001
                    self._warn("the end of the run", exc)

    def _log_assessment(self, ledger: Any) -> None:
        from accounting.assessment import AssumptionSettings, assess_run
        from accounting.reports import Scope, write_report

        assessment = assess_run(ledger, self.run.run_id, AssumptionSettings())
        metrics = {
            f"ecoledger.{key}": float(value)
            for key, value in assessment.to_json().items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        self._mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory(prefix="ecoledger-mlflow-") as tmp:
            report = Path(tmp) / "report.md"
            write_report(ledger, Scope("run", run_id=self.run.run_id), "md", report)
            self._mlflow.log_artifact(str(report), artifact_path="ecoledger")


def attach(run: Any, options: Any) -> MlflowLog | None:
    """Start logging ``run`` when ``options.log_to`` (a TrackOptions) asks for it (rank 0 only)."""
    if options.log_to != "mlflow" or run.rank not in (None, 0):
        return None
    try:
        return MlflowLog(run, options.name, options.project)
    except Exception as exc:  # noqa: BLE001 - a tracker that is down never stops the job
        log.warning("ecoledger: could not start logging to MLflow: %s", exc)
        return None
