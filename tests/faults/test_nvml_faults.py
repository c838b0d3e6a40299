"""NVML faults mid-run through the fake driver, under ``ecoledger run``: a GPU lost, the
energy counters reset (a driver reload), ``nvmlInit`` failing. The job runs to its end,
the problem is recorded, and the other devices go on being metered."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from accounting.runs import load_run
from accounting.store import open_ledger, verify
from tests.fixtures.fake_nvml import run_with_fake

POWER_MW = (250000, 400000)


def _run(tmp_path: Path, lib: Path, **fault: Any) -> Any:
    ledger = str(tmp_path / "ledger.db")
    done = run_with_fake(
        [
            sys.executable,
            "-m",
            "ecoledger",
            "run",
            "--ledger",
            ledger,
            "--flush-interval",
            "1",
            "--",
            sys.executable,
            "-c",
            "import time; time.sleep(5)",
        ],
        lib,
        gpus=2,
        power_mw=list(POWER_MW),
        **fault,
    )
    assert done.returncode == 0, done.stderr
    with open_ledger(ledger, create=False) as led:
        assert verify(led).ok
        return load_run(led, done.stdout.strip().splitlines()[-1]), done.stderr


def _gpu_w(view: Any) -> dict[int, float]:
    gpus = sorted((d for d in view.devices if d.kind == "gpu"), key=lambda d: d.device_id)
    return {i: d.energy_j / d.metered_s for i, d in enumerate(gpus) if d.metered_s > 0}


def test_gpu_lost_mid_run(fake_nvml_dir: Path, tmp_path: Path) -> None:
    view, _ = _run(tmp_path, fake_nvml_dir, lost_after=20, lost_gpu=0)
    assert view.status == "completed"
    assert "device_lost" in [p.code for p in view.problems]
    lost, other = sorted((d for d in view.devices if d.kind == "gpu"), key=lambda d: d.device_id)
    # the lost GPU stops; the other one is metered to the end at its 400 W
    assert other.energy_j > 1.6 * lost.energy_j
    assert abs(other.energy_j / view.duration_s - 400.0) / 400.0 < 0.15
    assert {d.kind for d in view.devices} >= {"cpu", "ram"}


def test_energy_counter_reset(fake_nvml_dir: Path, tmp_path: Path) -> None:
    view, _ = _run(tmp_path, fake_nvml_dir, reset_at=2.5)
    assert view.status == "completed"
    assert [p.code for p in view.problems].count("counter_reset") == 2
    watts = _gpu_w(view)
    # bridged by power × time: the average power is still right (no negative, no jump)
    assert abs(watts[0] - 250.0) / 250.0 < 0.03 and abs(watts[1] - 400.0) / 400.0 < 0.03


def test_nvml_init_failing(fake_nvml_dir: Path, tmp_path: Path) -> None:
    view, err = _run(tmp_path, fake_nvml_dir, init_err=999)
    assert view.status == "completed"
    assert "gpu_unavailable" in [p.code for p in view.problems]
    assert "NVML error 999" in err
    assert {d.kind for d in view.devices} == {"cpu", "ram"}
