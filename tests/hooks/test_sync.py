"""track(sync=...): every window boundary waits for the device before reading the counters."""

from __future__ import annotations

import sys
import time
import types

import pytest
import torch

import ecoledger
from tests.hooks.helpers import data, mlp, train_steps, view, windows
from train_hooks.sync import CudaSync, make_sync


class Recorder:
    """A sync callable that notes each call in a shared event list (and may sleep or fail)."""

    def __init__(self, events: list[str], sleep_s: float = 0.0, fail: bool = False) -> None:
        self.events = events
        self.sleep_s = sleep_s
        self.fail = fail

    def __call__(self) -> None:
        self.events.append("sync")
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.fail:
            raise RuntimeError("device busy")


def test_a_slow_sync_is_inside_the_window_at_both_ends_of_every_phase_and_the_run(tmp_path):
    events: list[str] = []
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger), sync=Recorder(events, sleep_s=0.3)) as run:
        events.append("run body")
        with run.phase("x") as x:
            events.append("in x")
        events.append("between")
        with run.phase("y"):
            events.append("in y")
        events.append("end of body")
    assert events == [
        "sync",  # the run's begin
        "run body",
        "sync",  # x begins
        "in x",
        "sync",  # x ends
        "between",
        "sync",  # y begins
        "in y",
        "sync",  # y ends
        "end of body",
        "sync",  # the run's end
    ]
    assert x.measurement is not None
    assert x.measurement.duration_s >= 0.3  # the empty window waited for the device
    v = view(ledger, run.run_id)
    assert v.status == "completed"
    w = windows(v, "phase:x")[0]
    assert (w.end - w.start).total_seconds() >= 0.3


@pytest.mark.parametrize("off", ["off", None])
def test_sync_off_calls_nothing(tmp_path, off):
    with ecoledger.track(ledger=str(tmp_path / "l.db"), sync=off) as run:
        with run.phase("x"):
            pass
    assert run._recorder is not None and run._recorder.sync_fn is None
    assert make_sync(off) is None


def test_bad_sync_is_refused_naming_the_argument(tmp_path):
    with pytest.raises(ValueError, match="sync"):
        ecoledger.track(ledger=str(tmp_path / "l.db"), sync="sometimes")


def test_default_watch_does_not_sync_per_step_and_sync_true_does(tmp_path):
    model, opt = mlp()
    x, y = data(640)  # 10 steps of 64
    events: list[str] = []
    with ecoledger.track(ledger=str(tmp_path / "a.db"), sync=Recorder(events)) as run:
        run.watch(opt)
        train_steps(model, opt, x, y)
    assert events.count("sync") == 2  # the run's begin and end only

    events.clear()
    model, opt = mlp()
    with ecoledger.track(ledger=str(tmp_path / "b.db"), sync=Recorder(events)) as run:
        run.watch(opt, sync=True)
        train_steps(model, opt, x, y)
    assert events.count("sync") == 2 + 10  # and one per step


def test_a_failing_sync_records_sync_failed_and_the_job_goes_on(tmp_path):
    ledger = tmp_path / "l.db"
    events: list[str] = []
    with ecoledger.track(ledger=str(ledger), sync=Recorder(events, fail=True)) as run:
        with run.phase("x"):
            pass
    v = view(ledger, run.run_id)
    assert v.status == "completed"
    failed = [p for p in v.problems if p.code == "sync_failed"]
    assert {p.message.split("'")[1] for p in failed} == {"run", "phase:x"}
    assert "RuntimeError: device busy" in failed[0].message
    assert len(windows(v, "phase:x")) >= 1


def test_meter_inference_syncs_at_the_end_of_each_request(tmp_path):
    model, _ = mlp()
    x, _ = data(8)
    events: list[str] = []
    with ecoledger.track(ledger=str(tmp_path / "a.db"), sync=Recorder(events)) as run:
        with ecoledger.meter_inference(model, run), torch.no_grad():
            for _ in range(5):
                model(x)
    assert events.count("sync") == 2 + 5

    events.clear()
    with ecoledger.track(ledger=str(tmp_path / "b.db"), sync=Recorder(events)) as run:
        with ecoledger.meter_inference(model, run, sync=False), torch.no_grad():
            for _ in range(5):
                model(x)
    assert events.count("sync") == 2

    own: list[str] = []
    with ecoledger.track(ledger=str(tmp_path / "c.db"), sync="off") as run:
        with ecoledger.meter_inference(model, run, sync=Recorder(own)), torch.no_grad():
            for _ in range(3):
                model(x)
    assert own.count("sync") == 3


def test_auto_is_a_no_op_without_cuda_and_synchronizes_the_metered_devices(monkeypatch):
    assert not torch.cuda.is_initialized()
    CudaSync(["GPU-1"])()  # CPU torch: nothing to wait for, and nothing raised

    calls: list[int] = []
    props = {0: "aaaa-1", 1: "bbbb-2", 2: "cccc-3"}
    cuda = types.SimpleNamespace(
        is_initialized=lambda: True,
        device_count=lambda: 3,
        get_device_properties=lambda i: types.SimpleNamespace(uuid=props[i]),
        synchronize=calls.append,
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    CudaSync(["GPU-bbbb-2", "GPU-cccc-3"])()
    assert calls == [1, 2]
    calls.clear()
    CudaSync(["GPU-not-visible"])()  # nothing matched: every visible device
    assert calls == [0, 1, 2]
