"""The Hugging Face callback: a real Trainer.train on a tiny BERT built from a config, offline."""

from __future__ import annotations

import os

import pytest
import torch

from tests.hooks.helpers import view, windows

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
from train_hooks.hf import EcoLedgerCallback  # noqa: E402


class Pairs(torch.utils.data.Dataset):
    def __init__(self, n: int = 64) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(5, 100, (n, 12), generator=g)
        self.labels = (self.ids.sum(1) % 2).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones(12, dtype=torch.long),
            "labels": self.labels[i],
        }


def tiny_bert():
    config = transformers.BertConfig(
        vocab_size=100,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=2,
    )
    return transformers.BertForSequenceClassification(config)


def train(tmp_path, callback, **kw):
    os.environ["HF_HUB_OFFLINE"] = "1"
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=kw.pop("epochs", 2),
        per_device_train_batch_size=8,
        per_device_eval_batch_size=16,
        report_to="none",
        use_cpu=True,
        save_strategy="no",
        logging_strategy="no",
        eval_strategy="epoch",
        disable_tqdm=True,
        **kw,
    )
    trainer = transformers.Trainer(
        model=tiny_bert(),
        args=args,
        train_dataset=Pairs(),
        eval_dataset=Pairs(32),
        callbacks=[callback],
    )
    trainer.train()
    return trainer


def test_train_records_epochs_steps_and_writes_co2_eq_emissions(tmp_path):
    from huggingface_hub import ModelCard

    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(
        project="hf",
        ledger=str(ledger),
        country="FRA",
        window_steps=4,
        model_card=True,
        sample_hz=20,
    )
    train(tmp_path, cb)
    v = view(ledger, cb.run_id)
    assert (v.status, v.run_kind, v.project) == ("completed", "fine_tuning", "hf")
    assert v.name == "BertForSequenceClassification train"
    assert [w.key for w in windows(v, "epoch:")] == ["epoch:0", "epoch:1"]
    steps = windows(v, "step:")
    assert sum(w.count for w in steps) == 2 * 8  # 64 / 8 steps an epoch
    assert max(w.count for w in steps) == 4
    assert {"phase:train", "phase:evaluate"} <= {w.key for w in v.windows}

    card = tmp_path / "out" / "README.md"
    assert cb.model_card_path == card and card.exists()
    co2 = ModelCard.load(str(card)).data.co2_eq_emissions
    assert set(co2) == {
        "emissions",
        "source",
        "training_type",
        "geographical_location",
        "hardware_used",
    }
    # grams: the run's IT energy × PUE 1.58 × France's 56.039 gCO2e/kWh (codecarbon data)
    expected_g = v.energy_it_kwh * 1.58 * 56.039
    assert co2["emissions"] == pytest.approx(expected_g, rel=0.02)
    assert co2["emissions"] > 0
    assert co2["training_type"] == "fine-tuning"
    assert co2["geographical_location"] == "FRA"
    assert cb.run_id in co2["source"]
    assert "x" in co2["hardware_used"]


def test_budget_stop_asks_the_trainer_to_stop(tmp_path):
    ledger = tmp_path / "l.db"
    cb = EcoLedgerCallback(ledger=str(ledger), budget_kgco2e=1e-10, on_budget="stop")
    trainer = train(tmp_path, cb, epochs=20)
    v = view(ledger, cb.run_id)
    assert v.status == "budget_exceeded"
    assert trainer.state.global_step < 20 * 8
