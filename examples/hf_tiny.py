"""A tiny BERT (built from a config: no download) fine-tuned with the ecoledger callback,
which also writes the model card's co2_eq_emissions (grams) into the output folder.

    HF_HUB_OFFLINE=1 python examples/hf_tiny.py --ledger /tmp/ecoledger.db --out /tmp/hf-tiny
"""

from __future__ import annotations

import argparse
import os

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from train_hooks.hf import EcoLedgerCallback


class Parity(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(5, 100, (n, 16), generator=g)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": int(self.ids[i].sum() % 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", default=None)
    parser.add_argument("--out", default="hf-tiny-out")
    parser.add_argument("--country", default=None, help="ISO3 code, e.g. FRA")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=2,
    )
    callback = EcoLedgerCallback(
        project="examples", ledger=args.ledger, country=args.country, model_card=True
    )
    training = TrainingArguments(
        output_dir=args.out,
        num_train_epochs=2,
        per_device_train_batch_size=16,
        report_to="none",
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
    )
    Trainer(
        model=BertForSequenceClassification(config),
        args=training,
        train_dataset=Parity(256),
        callbacks=[callback],
    ).train()
    print(f"model card: {callback.model_card_path}")
    print(callback.run_id)


if __name__ == "__main__":
    main()
