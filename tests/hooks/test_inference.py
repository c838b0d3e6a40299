"""meter_inference(): requests, items, tokens and energy per request, by forward hooks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ecoledger
from accounting.store import open_ledger
from tests.hooks.helpers import view, windows


class TinyLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 32)
        self.body = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 100))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.body(self.emb(ids))


def tokens_of(inputs, outputs) -> int:
    return int(inputs[0].numel())


def test_served_model_records_requests_items_tokens_and_energy_per_request(tmp_path):
    ledger = tmp_path / "l.db"
    model = TinyLM().eval()
    with ecoledger.track(name="serve", kind="inference", ledger=str(ledger)) as run:
        meter = ecoledger.meter_inference(model, tokens=tokens_of, window_requests=40)
        with torch.inference_mode():
            for i in range(100):
                model(torch.randint(0, 100, (1 + i % 3, 8)))  # batch 1, 2 or 3; 8 tokens each
        meter.close()
    v = view(ledger, run.run_id)
    items = sum(1 + i % 3 for i in range(100))
    assert (v.usage.requests, v.usage.items, v.usage.tokens) == (100, items, items * 8)
    assert v.usage.energy_j is not None and v.usage.energy_j > 0
    assert meter.joules_per_request == pytest.approx(v.usage.energy_j / 100, rel=1e-6)
    requests = windows(v, "request:")
    assert [w.key for w in requests] == ["request:0-39", "request:40-79", "request:80-99"]
    assert [w.count for w in requests] == [40, 40, 20]
    # the energy inside the calls is at most the run's (hooks attribute only in-call energy)
    assert sum(w.energy_j for w in requests) <= v.energy_it_j


def test_only_top_level_calls_count_and_a_failing_call_does_not_unbalance(tmp_path):
    ledger = tmp_path / "l.db"

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(4, 4)

        def forward(self, x):
            if x.shape[0] == 7:
                raise RuntimeError("bad batch")
            return self.inner(x)

    model = Outer()
    with ecoledger.track(ledger=str(ledger)) as run:
        with ecoledger.meter_inference(model) as meter:
            with pytest.raises(RuntimeError):
                model(torch.zeros(7, 4))
            for _ in range(5):
                model(torch.zeros(2, 4))
                model.inner(torch.zeros(1, 4))  # a direct call of a child: not a request
    assert (meter.requests, meter.items) == (6, 17)
    assert view(ledger, run.run_id).usage.requests == 6


def test_without_a_run_it_opens_an_inference_run(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(tmp_path / "l.db"))
    model = nn.Linear(3, 1)
    meter = ecoledger.meter_inference(model)
    with torch.no_grad():
        for _ in range(3):
            model(torch.zeros(1, 3))
    meter.close()
    v = view(tmp_path / "l.db", meter.run.run_id)
    assert (v.status, v.run_kind, v.usage.requests) == ("completed", "inference", 3)
    assert v.name == "Linear inference"


def test_torch_compiled_module(tmp_path):
    ledger = tmp_path / "l.db"
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
    compiled = torch.compile(model, backend="eager")  # no C++ toolchain needed
    with ecoledger.track(ledger=str(ledger)) as run:
        with ecoledger.meter_inference(compiled, tokens=lambda i, o: 1):
            with torch.inference_mode():
                for _ in range(4):
                    compiled(torch.ones(2, 8))
    v = view(ledger, run.run_id)
    assert (v.usage.requests, v.usage.items, v.usage.tokens) == (4, 8, 4)


def test_manual_counts_are_batched_into_usage_entries(tmp_path):
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger)) as run:
        for _ in range(1000):
            run.count(requests=1, tokens=10, items=2)
        with pytest.raises(ValueError, match="tokens"):
            run.count(tokens=-1)
    v = view(ledger, run.run_id)
    assert (v.usage.requests, v.usage.tokens, v.usage.items) == (1000, 10000, 2000)
    with open_ledger(str(ledger)) as lg:
        assert len(lg.entries(run_id=run.run_id, kinds=["usage"])) < 10  # not 1000
