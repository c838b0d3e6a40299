"""The Lightning callback: a real Trainer.fit (and test, predict) on a tiny model."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tests.hooks.helpers import view, windows

pl = pytest.importorskip("lightning.pytorch")
from train_hooks.lightning import EcoLedgerCallback  # noqa: E402


class Tiny(pl.LightningModule):
    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
        self.fail_at = fail_at

    def training_step(self, batch, batch_idx):
        if self.fail_at is not None and self.global_step == self.fail_at:
            raise FloatingPointError("loss is nan")
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", nn.functional.mse_loss(self.net(x), y))

    def predict_step(self, batch, batch_idx):
        return self.net(batch[0])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=1e-2)


def loader(n: int = 256) -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 16, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)


def trainer(tmp_path, callback, **kw):
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    return pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=kw.pop("max_epochs", 3),
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
        **kw,
    )


def test_fit_records_epochs_steps_and_phases(tmp_path):
    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(project="lit", ledger=str(ledger), window_steps=5, sample_hz=20)
    trainer(tmp_path, cb).fit(Tiny(), loader(), loader(64))
    v = view(ledger, cb.run_id)
    assert (v.status, v.run_kind, v.project, v.name) == ("completed", "training", "lit", "Tiny fit")
    assert [w.key for w in windows(v, "epoch:")] == ["epoch:0", "epoch:1", "epoch:2"]
    steps = windows(v, "step:")
    assert sum(w.count for w in steps) == 3 * 16  # 256 / 16 batches a epoch
    assert max(w.count for w in steps) == 5
    keys = {w.key for w in v.windows}
    assert {"phase:fit", "phase:train", "phase:validate"} <= keys
    fit = next(w for w in v.windows if w.key == "phase:fit")
    # fit is inside the run; the run also covers set-up and tear-down, which on a loaded
    # 2-core machine can be a third of a sub-second fit
    assert 0.5 * v.energy_it_j <= fit.energy_j <= v.energy_it_j * 1.01
    assert sum(w.energy_j for w in windows(v, "epoch:")) <= fit.energy_j * 1.001


def test_test_and_predict_are_runs_of_their_own(tmp_path):
    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(ledger=str(ledger))
    t = trainer(tmp_path, cb)
    t.test(Tiny(), loader(64))
    tested = view(ledger, cb.run_id)
    t.predict(Tiny(), loader(64))
    predicted = view(ledger, cb.run_id)
    assert (tested.run_kind, tested.status) == ("evaluation", "completed")
    assert (predicted.run_kind, predicted.status) == ("inference", "completed")
    assert tested.run_id != predicted.run_id
    assert "phase:test" in {w.key for w in tested.windows}
    assert "phase:predict" in {w.key for w in predicted.windows}


def test_an_exception_in_fit_records_failed(tmp_path):
    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(ledger=str(ledger))
    with pytest.raises(FloatingPointError):
        trainer(tmp_path, cb).fit(Tiny(fail_at=5), loader())
    v = view(ledger, cb.run_id)
    assert (v.status, v.error) == ("failed", "FloatingPointError")


def test_budget_stop_ends_fit_cleanly_as_budget_exceeded(tmp_path):
    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(ledger=str(ledger), budget_kgco2e=1e-9, on_budget="stop")
    t = trainer(tmp_path, cb, max_epochs=50)
    t.fit(Tiny(), loader())
    v = view(ledger, cb.run_id)
    assert v.status == "budget_exceeded"
    assert t.current_epoch < 50


def test_every_phase_and_epoch_window_syncs_at_both_ends(tmp_path):
    calls: list[str] = []
    callback = EcoLedgerCallback(ledger=str(tmp_path / "l.db"), sync=lambda: calls.append("s"))
    trainer(tmp_path, callback, max_epochs=2).fit(Tiny(), loader(64), loader(32))
    v = view(tmp_path / "l.db", callback.run_id)
    # fit, train, 2 epochs, and validate (the sanity check, then each epoch's validation)
    # windows: two syncs each; plus the run's own begin and end
    opened = len(windows(v, "phase:fit")) + len(windows(v, "phase:train")) + 2
    validate_windows = 1 + 2  # recorded under one key: count the windows by their syncs
    assert len(calls) == 2 * (opened + validate_windows) + 2
