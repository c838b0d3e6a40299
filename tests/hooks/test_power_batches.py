"""Power samples are written in batches of ~10 s per device, not one entry per flush."""

from __future__ import annotations

import time

import ecoledger
from accounting.store import open_ledger
from meter import PowerSeries
from train_hooks.power_batches import PowerBatcher


def _series(t0: int, n: int, method: str = "nvml_energy_counter") -> PowerSeries:
    """``n`` samples at 1 Hz from ``t0`` s, each reading 100 W + its second."""
    ts = tuple(float(t0 + k) for k in range(n))
    return PowerSeries("gpu:0", "gpu", method, ts, tuple(100.0 + t for t in ts))


def test_a_batch_is_written_once_it_spans_ten_seconds() -> None:
    batcher = PowerBatcher(batch_s=10.0)
    for t0 in range(0, 10, 2):  # five flushes of 2 samples: 0..9 s, a 9 s span
        batcher.add(_series(t0, 2))
        assert batcher.take() == []
    batcher.add(_series(10, 2))  # 0..11 s: 11 s ≥ 10 s
    (batch,) = batcher.take()
    assert batch.t_s == tuple(float(t) for t in range(12))
    assert batch.power_w == tuple(100.0 + t for t in range(12))
    assert batcher.held_samples == 0


def test_the_end_of_the_run_writes_what_is_held() -> None:
    batcher = PowerBatcher(batch_s=10.0)
    batcher.add(_series(0, 3))
    assert batcher.take() == []
    (batch,) = batcher.take(everything=True)
    assert batch.t_s == (0.0, 1.0, 2.0)
    assert batcher.take(everything=True) == []


def test_a_changed_power_signal_sends_what_came_before_first() -> None:
    batcher = PowerBatcher(batch_s=10.0)
    batcher.add(_series(0, 2))
    batcher.add(_series(2, 2, method="nvml_power_sampled"))
    (first,) = batcher.take()
    assert (first.method, first.t_s) == ("nvml_energy_counter", (0.0, 1.0))
    (second,) = batcher.take(everything=True)
    assert (second.method, second.t_s) == ("nvml_power_sampled", (2.0, 3.0))


def test_memory_is_bounded_by_the_sample_count() -> None:
    batcher = PowerBatcher(batch_s=3600.0, max_samples=5)
    batcher.add(_series(0, 3))
    batcher.add(_series(3, 3))  # 6 held ≥ 5: written
    (batch,) = batcher.take()
    assert len(batch.t_s) == 6 and batcher.held_samples == 0


def test_a_short_run_writes_one_power_entry_per_device(tmp_path) -> None:
    """Four flushes in about a second: one batch per device, written at the end, where there
    was one per device per flush."""
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger), flush_interval_s=5.0, sample_hz=20) as run:
        for _ in range(4):
            time.sleep(0.25)
            run.flush()
    with open_ledger(str(ledger)) as lg:
        batches = lg.entries(run_id=run.run_id, kinds=["power_samples"])
        flushes = [e for e in lg.entries(run_id=run.run_id, kinds=["energy"]) if e.window == "run"]
    devices = [b.device_id for b in batches]
    assert devices and sorted(devices) == sorted(set(devices))  # one entry per device
    assert len(flushes) >= 4 * len(devices)  # a segment per device per flush, as before
    for b in batches:
        assert list(b.t_s) == sorted(b.t_s)
