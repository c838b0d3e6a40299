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


def test_request_energy_is_the_meters_window_rule(fake_nvml, tmp_path):
    """A request is the meter's window between two snapshots around the call (Meter.between's
    rule, on the meter's injected clock): a call shorter than the energy counter's 100 ms update
    period is the power × its duration, flagged approximated, even when the counter stepped
    during the call (one step holds a whole period's energy, not the call's)."""
    from accounting.entries import Energy, Usage
    from meter import Meter, detect_sources
    from train_hooks.inference import InferenceMeter
    from train_hooks.recorder import RunRecorder
    from train_hooks.run import Run

    clock = fake_nvml.init(gpus=1, power_mw=300000, energy_period_ms=100)  # 300 W
    meter = Meter(
        detect_sources(include_host=False, clock=clock).sources,
        clock=clock,
        wall=lambda: 1.7e9 + clock(),
    )
    ledger = open_ledger(str(tmp_path / "l.db"))
    recorder = RunRecorder(ledger, "e" * 32, meter=meter, t0_monotonic=0.0)
    recorder.start(background=False)
    run = Run("e" * 32, recorder, pue=1.0, intensity_g_per_kwh=100.0)

    class TwentyMs(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            clock.advance(0.02)
            return x

    model = TwentyMs()
    inference = InferenceMeter(model, run, window_requests=2, sync=False)
    clock.set(1.01)
    model(torch.zeros(1))  # 1.01 → 1.03 s: the counter does not move
    clock.set(1.09)
    model(torch.zeros(3))  # 1.09 → 1.11 s: the counter steps by 30 J (100 ms × 300 W) at 1.1 s
    inference.close()
    recorder.finish("completed")
    entries = ledger.entries(run_id="e" * 32)
    ledger.close()
    (energy,) = [e for e in entries if isinstance(e, Energy) and e.window.startswith("request:")]
    (usage,) = [e for e in entries if isinstance(e, Usage) and e.window is not None]
    # 2 requests × 300 W × 0.02 s = 12 J (the raw counter differences would say 0 + 30 J)
    assert (energy.window, energy.count, energy.approximated) == ("request:0-1", 2, True)
    assert energy.joules == pytest.approx(12.0)
    assert energy.duration_s == pytest.approx(0.04)
    assert energy.start.timestamp() == pytest.approx(1.7e9 + 1.01)
    assert energy.end.timestamp() == pytest.approx(1.7e9 + 1.11)
    assert (usage.window, usage.requests, usage.items) == ("request:0-1", 2, 4)
    assert usage.joules == pytest.approx(12.0)
    assert inference.energy_j == pytest.approx(12.0)
