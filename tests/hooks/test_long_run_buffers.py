"""Long runs hold bounded buffers (issue 17): what a run keeps in memory does not grow with
its length. ``benchmarks/long_run_memory.py`` measures the RSS over a simulated week; here it
runs for a simulated hour (fake NVML, injected clock, real recorder, writer and SQLite) and
the buffers' peaks it prints are checked, then each bound is checked on its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from meter import Meter, detect_sources
from train_hooks import predict
from train_hooks.predict import Unit, coarsen

REPO = Path(__file__).resolve().parents[2]


def test_a_simulated_hour_keeps_every_buffer_bounded() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "benchmarks/long_run_memory.py",
            "--days",
            str(1 / 24),
            "--gpus",
            "1",
            "--baseline-hours",
            "0.05",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    peaks = re.findall(
        r"meter samples/device (\d+), meter problems (\d+), writer queue (\d+), "
        r"step ranges (\d+), problem codes (\d+) \(([\d,]+) flushes\)",
        out.stdout,
    )
    assert len(peaks) == 2, out.stdout  # the baseline (3 min), then the hour
    (base, hour) = [[int(x.replace(",", "")) for x in p] for p in peaks]
    assert hour[5] == 1800  # 3600 s, a flush every 2 s
    # waiting samples: the first sample + 2 s at 1 Hz, whatever the length of the run
    assert hour[0] == base[0] == 3
    # the writer's queue between flushes: a step window per GPU at most
    assert hour[2] == base[2]
    assert hour[2] <= 1
    assert hour[1] == 0 and hour[4] == 0
    # step ranges: 10 steps/s, 100 a range → 36 an hour (a list this short is kept whole)
    assert hour[3] == 360 and base[3] == 18
    assert "RSS growth over" in out.stdout


def test_a_meter_nobody_drains_keeps_the_newest_samples_and_says_so_once(fake_nvml) -> None:
    clock = fake_nvml.init(gpus=1, power_mw=200000)
    detection = detect_sources(include_host=False, clock=clock)
    meter = Meter(detection.sources, clock=clock, wall=lambda: 1000.0 + clock(), max_samples=5)
    meter.drain_problems()
    for _ in range(12):
        clock.advance(1.0)
        meter.sample_once()
    (series,) = meter.drain_samples()
    # the last five of the twelve ticks, at t = 8 … 12 s on the wall clock 1000 + t
    assert series.t_s == (1008.0, 1009.0, 1010.0, 1011.0, 1012.0)
    assert series.power_w == pytest.approx((200.0,) * 5)
    codes = [p.code for p in meter.drain_problems()]
    assert codes == ["samples_dropped"]
    for _ in range(3):  # drained: room again, nothing dropped, nothing said
        clock.advance(1.0)
        meter.sample_once()
    assert len(meter.drain_samples()[0].t_s) == 3
    assert meter.drain_problems() == []
    meter.close()


def test_max_samples_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_samples"):
        Meter([], max_samples=0)


def test_coarsen_keeps_the_warm_up_and_merges_steady_units_pairwise() -> None:
    units = [Unit(0, 50.0, 100), Unit(1, 10.0, 100), Unit(2, 12.0, 100), Unit(3, 14.0, 50)]
    assert coarsen(units) == [Unit(0, 50.0, 100), Unit(1, 22.0, 200), Unit(2, 14.0, 50)]
    assert coarsen(units[:2]) == units[:2]


def test_a_run_keeps_at_most_max_ranges_step_ranges(fake_nvml, monkeypatch, tmp_path) -> None:
    from accounting.entries import Energy
    from accounting.store import open_ledger
    from train_hooks import run as run_module
    from train_hooks.recorder import RunRecorder
    from train_hooks.run import Run

    monkeypatch.setattr(run_module, "MAX_RANGES", 8)
    clock = fake_nvml.init(gpus=1, power_mw=100000)
    detection = detect_sources(include_host=False, clock=clock)
    meter = Meter(detection.sources, clock=clock, wall=lambda: 1.7e9 + clock())
    ledger = open_ledger(str(tmp_path / "ledger.db"))
    recorder = RunRecorder(ledger, "f" * 32, meter=meter, t0_monotonic=0.0)
    recorder.start(background=False)
    run = Run("f" * 32, recorder, pue=1.0, intensity_g_per_kwh=100.0)
    for _ in range(100):
        clock.advance(1.0)
        run.step(100)  # one range of 100 steps a second, at 100 W: 100 J each
    assert len(run._ranges) <= 8 + 1
    assert sum(u.count for u in run._ranges) == 100 * 100
    # 100 W all along (the warm-up range too): 200 s of it for 20,000 steps
    p = run.predict(total_steps=20_000)
    assert p.energy_kwh == pytest.approx(200 * 100 / 3.6e6, rel=1e-6)
    assert predict.MAX_RANGES == 4096
    recorder.finish("completed")
    # every range still went to the ledger: bounding the prediction's list loses nothing
    steps = [
        e
        for e in ledger.entries(run_id="f" * 32)
        if isinstance(e, Energy) and e.window.startswith("step:")
    ]
    assert len(steps) == 100
    ledger.close()
