"""track(..., log_to="mlflow") against a real MLflow with a local SQLite tracking store: the
values are read back through MLflow's client and compared with the ledger and by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ecoledger
from accounting.reports.document import decode_trailer
from tests.hooks.helpers import data, mlp, train_steps, view, windows

mlflow = pytest.importorskip("mlflow")
FRA_G_PER_KWH = 56.039  # France 2023 in codecarbon 3.3.2's global energy mix
DEFAULT_PUE = 1.58  # Uptime Institute 2023


@pytest.fixture
def tracking(tmp_path: Path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    # Artifacts go under the test's folder: the store's default root is ./mlruns in the cwd.
    mlflow.create_experiment("ecoledger-test", artifact_location=(tmp_path / "artifacts").as_uri())
    mlflow.set_experiment("ecoledger-test")
    yield mlflow.tracking.MlflowClient()
    if mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri("")


def _history(client, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_epochs_phases_assessment_and_report_are_logged(tmp_path: Path, tracking) -> None:
    ledger = tmp_path / "l.db"
    model, opt = mlp()
    x, y = data(4096)
    with mlflow.start_run() as active:
        with ecoledger.track(
            name="mlp", project="p", ledger=str(ledger), country="FRA", log_to="mlflow"
        ) as run:
            run.watch(opt)
            for epoch in range(3):
                with run.phase(f"epoch:{epoch}"):
                    with run.phase("train"):
                        train_steps(model, opt, x, y)
                    with run.phase("eval"), torch.no_grad():
                        model(x)
        assert mlflow.active_run().info.run_id == active.info.run_id  # the user's run stays
    client = tracking
    logged = client.get_run(active.info.run_id)
    assert logged.data.tags["ecoledger.run_id"] == run.run_id
    v = view(ledger, run.run_id)

    epochs = _history(client, active.info.run_id, "ecoledger.epoch.energy_wh")
    assert [step for step, _ in epochs] == [0, 1, 2]
    ledger_wh = [w.energy_j / 3600 for w in windows(v, "epoch:")]
    # logged live as each epoch closes; the ledger keeps the recorder's reading of the same
    # window, in which this CPU-only machine's TDP × load estimate is settled a little later
    assert [wh for _, wh in epochs] == pytest.approx(ledger_wh, rel=0.01)
    assert all(wh > 0 for _, wh in epochs)
    co2e = _history(client, active.info.run_id, "ecoledger.epoch.co2e_g")
    by_hand = [wh / 1000 * DEFAULT_PUE * FRA_G_PER_KWH for _, wh in epochs]
    assert [g for _, g in co2e] == pytest.approx(by_hand, rel=1e-6)

    train = _history(client, active.info.run_id, "ecoledger.phase.train.energy_wh")
    assert [step for step, _ in train] == [0, 1, 2]
    assert len(_history(client, active.info.run_id, "ecoledger.phase.eval.co2e_g")) == 3

    final = logged.data.metrics
    expected_kg = v.energy_it_j / 3.6e6 * DEFAULT_PUE * FRA_G_PER_KWH / 1000
    assert final["ecoledger.operational_kgco2e"] == pytest.approx(expected_kg, rel=1e-6)
    assert final["ecoledger.energy_it_kwh"] == pytest.approx(v.energy_it_j / 3.6e6, rel=1e-9)
    artifacts = [a.path for a in client.list_artifacts(active.info.run_id, "ecoledger")]
    assert artifacts == ["ecoledger/report.md"]
    report = Path(
        client.download_artifacts(active.info.run_id, "ecoledger/report.md", str(tmp_path))
    )
    trailer = decode_trailer(report.read_text(encoding="utf-8"))  # the report of this run
    assert trailer is not None and trailer["scope"]["run_id"] == run.run_id


def test_a_run_is_started_and_ended_when_none_is_active(tmp_path: Path, tracking) -> None:
    assert mlflow.active_run() is None
    with ecoledger.track(name="solo", ledger=str(tmp_path / "l.db"), log_to="mlflow") as run:
        with run.phase("epoch:0"):
            sum(i * i for i in range(200_000))
    assert mlflow.active_run() is None
    (found,) = tracking.search_runs(
        [mlflow.get_experiment_by_name("ecoledger-test").experiment_id],
        filter_string=f"tags.`ecoledger.run_id` = '{run.run_id}'",
    )
    assert found.info.status == "FINISHED" and found.info.run_name == "solo"
    assert "ecoledger.operational_kgco2e" in found.data.metrics


def test_log_to_must_name_a_tracker(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="log_to must be one of mlflow"):
        ecoledger.track(ledger=str(tmp_path / "l.db"), log_to="wandb")


@pytest.mark.parametrize("module", ["train_hooks.lightning", "train_hooks.hf"])
def test_the_callbacks_pass_log_to_through(module: str, tmp_path: Path) -> None:
    import importlib

    callback = importlib.import_module(module).EcoLedgerCallback
    with pytest.raises(ValueError, match="log_to must be one of mlflow"):
        callback(ledger=str(tmp_path / "l.db"), log_to="wandb")
    made = callback(ledger=str(tmp_path / "l.db"), log_to="mlflow")
    assert made.session.options.log_to == "mlflow"
