"""Prediction of a run's energy, and carbon budgets (warn once; stop at a step boundary)."""

from __future__ import annotations

import logging
import sys

import pytest

import ecoledger
from tests.fixtures.fake_nvml import run_with_fake
from tests.hooks.helpers import data, mlp, train_steps, view, windows
from train_hooks.predict import Unit, forecast


def test_forecast_excludes_the_warm_up_and_adds_what_is_measured():
    # warm-up 150 J, then 100 J an epoch; 260 J measured so far (10 J of set-up)
    f = forecast([Unit(0, 150.0), Unit(1, 100.0)], measured_j=260.0, total=10)
    assert f.energy_j == pytest.approx(260.0 + 8 * 100.0)
    # carbontracker's plain mean would say 10 × 125 = 1250 J
    assert f.low_j < f.energy_j < f.high_j
    assert f.low_j >= 260.0


def test_forecast_follows_a_significant_trend():
    # 100, 102, 104, ... J per epoch after a warm-up: the trend continues
    units = [Unit(0, 300.0)] + [Unit(i, 100.0 + 2.0 * (i - 1)) for i in range(1, 7)]
    measured = sum(u.energy_j for u in units)
    f = forecast(units, measured_j=measured, total=10)
    remaining = sum(100.0 + 2.0 * (i - 1) for i in range(7, 10))
    assert f.energy_j == pytest.approx(measured + remaining)
    assert "trend" in f.method


def test_forecast_interval_narrows_with_more_units():
    noisy = [100.0, 104.0, 97.0, 101.0, 99.0, 103.0, 98.0, 102.0]
    few = forecast([Unit(i, e) for i, e in enumerate(noisy[:3])], sum(noisy[:3]), 20)
    many = forecast([Unit(i, e) for i, e in enumerate(noisy)], sum(noisy), 20)
    assert (many.high_j - many.low_j) < (few.high_j - few.low_j)
    assert many.low_j < 20 * 100.5 < many.high_j


def test_forecast_by_step_ranges():
    ranges = [Unit(0, 200.0, 100)] + [Unit(i, 100.0, 100) for i in range(1, 5)]
    f = forecast(ranges, measured_j=600.0, total=1000, basis="steps")
    assert f.energy_j == pytest.approx(600.0 + 500 * 1.0)


@pytest.mark.parametrize("bad", [0, -5])
def test_forecast_rejects_a_bad_total(bad):
    with pytest.raises(ValueError, match="total_epochs"):
        forecast([Unit(0, 1.0)], 1.0, bad)


STEADY_SCRIPT = """
import sys, time, ecoledger
with ecoledger.track(ledger=sys.argv[1], sample_hz=10, country="FRA") as run:
    for epoch in range(10):
        with run.phase(f"epoch:{epoch}"):
            time.sleep(0.35 if epoch == 0 else 0.25)  # the first epoch warms up
            for _ in range(5):
                run.step()
        if epoch == 1:
            p = run.predict(total_epochs=10)
print(run.run_id, p.done, p.energy_kwh, p.low_kwh, p.high_kwh, p.kgco2e, p.method, sep="|")
"""


def test_prediction_after_2_of_10_epochs_is_within_10_percent(tmp_path, fake_nvml_dir):
    # A steady workload: a (fake) 300 W GPU busy for the same time every epoch, metered
    # through the real pynvml. CPU time on this shared 2-core machine is not steady enough.
    ledger = tmp_path / "l.db"
    out = run_with_fake(
        [sys.executable, "-c", STEADY_SCRIPT, str(ledger)],
        fake_nvml_dir,
        gpus=1,
        power_mw=300000,
    )
    assert out.returncode == 0, out.stderr
    run_id, done, kwh, low, high, kg, method = out.stdout.strip().split("|")
    v = view(ledger, run_id)
    assert any(d.method == "nvml_energy_counter" for d in v.devices)
    final_kwh = v.energy_it_kwh
    assert int(done) == 2
    assert float(kwh) == pytest.approx(final_kwh, rel=0.10)
    assert float(low) <= final_kwh <= float(high)
    # better than carbontracker's plain mean: 10 × the mean of the two epochs measured
    e = {w.key: w.energy_j for w in windows(v, "epoch:")}
    plain_kwh = 5 * (e["epoch:0"] + e["epoch:1"]) / 3.6e6
    assert abs(float(kwh) - final_kwh) < abs(plain_kwh - final_kwh)
    # CO2e at France's intensity (56 gCO2e/kWh, codecarbon data) and the default PUE 1.58
    assert float(kg) == pytest.approx(float(kwh) * 1.58 * 56.0 / 1000, rel=0.01)
    assert "warm-up excluded" in method


def test_prediction_from_a_real_torch_loop(tmp_path):
    ledger = tmp_path / "l.db"
    model, opt = mlp()
    x, y = data(2048)
    with ecoledger.track(ledger=str(ledger), sample_hz=20) as run:
        run.watch(opt, window_steps=8)
        for epoch in range(3):
            with run.phase(f"epoch:{epoch}"):
                train_steps(model, opt, x, y)
        by_epochs = run.predict(total_epochs=6)
        by_steps = run.predict(total_steps=192)
    assert (by_epochs.basis, by_epochs.done, by_epochs.total) == ("epochs", 3, 6)
    assert (by_steps.basis, by_steps.done, by_steps.total) == ("steps", 96, 192)
    assert by_epochs.energy_kwh > by_epochs.measured_kwh > 0
    assert by_steps.low_kwh <= by_steps.energy_kwh <= by_steps.high_kwh


def test_predict_without_a_total_says_so(tmp_path):
    with ecoledger.track(ledger=str(tmp_path / "l.db")) as run:
        with pytest.raises(ValueError, match="total_epochs or total_steps"):
            run.predict()


def test_budget_stop_raises_at_a_step_boundary_and_records_budget_exceeded(tmp_path):
    ledger = tmp_path / "l.db"
    model, opt = mlp(width=256)
    x, y = data(4096)
    # 2e-7 kg at 475 g/kWh and PUE 1.58 is about 1 J: spent within a fraction of a second
    with pytest.raises(ecoledger.BudgetExceeded) as caught:
        with ecoledger.track(
            ledger=str(ledger), budget_kgco2e=2e-7, on_budget="stop", sample_hz=20
        ) as run:
            run.watch(opt)
            for _ in range(200):
                train_steps(model, opt, x, y)
    assert "budget" in str(caught.value) and caught.value.budget_kgco2e == 2e-7
    assert caught.value.measured_kgco2e >= 2e-7
    v = view(ledger, run.run_id)
    assert (v.status, v.error) == ("budget_exceeded", "BudgetExceeded")
    assert "budget_exceeded" in [p.code for p in v.problems]
    # stopped at a step boundary: every step that ran is in a step window, and training stopped
    counted = sum(w.count for w in windows(v, "step:"))
    assert counted == run.steps and run.steps < 200 * 64


def test_budget_stop_caught_by_the_user_still_records_budget_exceeded(tmp_path):
    ledger = tmp_path / "l.db"
    model, opt = mlp()
    x, y = data(1024)
    saved = []
    with ecoledger.track(ledger=str(ledger), budget_kgco2e=1e-7, on_budget="stop") as run:
        run.watch(opt)
        try:
            for _ in range(500):
                train_steps(model, opt, x, y)
        except ecoledger.BudgetExceeded:
            saved.append({k: v.clone() for k, v in model.state_dict().items()})
    assert saved
    assert view(ledger, run.run_id).status == "budget_exceeded"


def test_budget_warn_logs_once_and_finishes(tmp_path, caplog):
    ledger = tmp_path / "l.db"
    model, opt = mlp()
    x, y = data(4096)
    with caplog.at_level(logging.WARNING, logger="ecoledger"):
        with ecoledger.track(
            ledger=str(ledger), budget_kgco2e=1e-10, total_epochs=5, sample_hz=20
        ) as run:
            run.watch(opt)
            for epoch in range(5):
                with run.phase(f"epoch:{epoch}"):
                    train_steps(model, opt, x, y)
    v = view(ledger, run.run_id)
    assert v.status == "completed"
    over = [r for r in caplog.records if "over its budget" in r.getMessage()]
    assert len([r for r in over if "has used" in r.getMessage()]) == 1
    assert len([r for r in over if "predicted" in r.getMessage()]) == 1
    assert sorted(p.code for p in v.problems) == ["budget_exceeded", "budget_predicted"]
