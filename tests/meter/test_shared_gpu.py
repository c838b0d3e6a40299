"""Shared GPUs: this run's share from per-process SM utilization, charged only when asked; MIG."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

import ecoledger
from meter import detect_sources
from tests.hooks.helpers import REPO, view

GPU0 = "GPU-11111111-fa4e-4e00-8000-000000000000"


@pytest.fixture
def other_process():
    """A live process outside this test's process tree (an orphan: its parent has exited)."""
    sleeper = "import time; time.sleep(60)"
    # the sleeper must not hold the spawner's stdout: run() reads it to its end, which was the
    # sleeper's 60 s (each test using this fixture spent a minute in its set-up)
    spawn = (
        "import subprocess, sys\n"
        f"print(subprocess.Popen([sys.executable, '-c', {sleeper!r}],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid)"
    )
    out = subprocess.run([sys.executable, "-c", spawn], capture_output=True, text=True, check=True)
    pid = int(out.stdout)
    yield pid
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _shared_config(me: int, other: int, mine_pct: int, other_pct: int) -> dict:
    return {
        "procs": f"0:{me},0:{other}",
        "proc_util": f"0:{me}:{mine_pct},0:{other}:{other_pct}",
    }


def test_shared_share_is_the_trees_sm_utilization_against_all(fake_nvml, other_process):
    clock = fake_nvml.init(gpus=1, **_shared_config(os.getpid(), other_process, 30, 70))
    detection = detect_sources(include_host=False, clock=clock)
    (source,) = detection.sources
    for _ in range(3):  # the processes are looked at every 2 s
        source.sample()
        clock.advance(2.0)
    facts = source.facts()
    assert facts["shared_share"] == pytest.approx(0.30, abs=0.02)
    assert facts["attribution_method"].startswith("sm_utilization_share")
    assert "shared_gpu" in [p.code for p in source.take_problems()]
    detection.close()


def test_an_exclusive_gpu_has_no_share_and_mig_is_said(fake_nvml):
    clock = fake_nvml.init(gpus=1, procs=f"0:{os.getpid()}", mig=1)
    detection = detect_sources(include_host=False, clock=clock)
    (source,) = detection.sources
    source.sample()
    assert source.facts()["shared_share"] is None
    assert source.facts()["mig_enabled"] is True
    problems = {p.code: p for p in source.take_problems()}
    assert "per instance" in problems["mig_shared"].message
    detection.close()


def _assess(ledger, run_id, *extra):
    out = subprocess.run(
        ["ecoledger", "assess", run_id, "--json", "--ledger", str(ledger), *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.slow
def test_assess_charges_the_whole_gpu_by_default_and_the_share_when_asked(
    tmp_path, fake_nvml, other_process
):
    fake_nvml.init(
        manual_clock=False,
        gpus=1,
        power_mw=200000,
        **_shared_config(os.getpid(), other_process, 25, 75),
    )
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger), sync="off") as run:
        pass
    v = view(ledger, run.run_id)
    (gpu,) = [d for d in v.devices if d.kind == "gpu"]
    assert gpu.shared_share == pytest.approx(0.25, abs=0.02)
    other_j = sum(d.energy_j for d in v.devices if d.kind != "gpu")
    whole = _assess(ledger, run.run_id)
    attributed = _assess(ledger, run.run_id, "--shared-gpu", "attribute")
    assert whole["energy_it_kwh"] * 3.6e6 == pytest.approx(gpu.energy_j + other_j, rel=1e-6)
    assert attributed["energy_it_kwh"] * 3.6e6 == pytest.approx(
        gpu.energy_j * gpu.shared_share + other_j, rel=1e-6
    )

    # track(shared_gpu="attribute") records the choice: assess charges the share by default
    with ecoledger.track(ledger=str(ledger), sync="off", shared_gpu="attribute") as second:
        pass
    v2 = view(ledger, second.run_id)
    (gpu2,) = [d for d in v2.devices if d.kind == "gpu"]
    other2_j = sum(d.energy_j for d in v2.devices if d.kind != "gpu")
    assert _assess(ledger, second.run_id)["energy_it_kwh"] * 3.6e6 == pytest.approx(
        gpu2.energy_j * 0.25 + other2_j, rel=0.1
    )

    # report --shared-gpu attribute charges the same share, and says how to regenerate it
    for choice, expected in (("whole", whole), ("attribute", attributed)):
        out = tmp_path / f"report-{choice}.json"
        done = subprocess.run(
            ["ecoledger", "report", run.run_id, "--format", "json", "--out", str(out)]
            + ["--ledger", str(ledger), "--shared-gpu", choice],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(out.read_text())
        assert report["totals"]["energy_it_kwh"] == pytest.approx(expected["energy_it_kwh"])
        assert ("--shared-gpu attribute" in report["provenance"]["command"]) == (
            choice == "attribute"
        )


@pytest.mark.slow
def test_the_dashboard_charges_the_share_when_asked(
    tmp_path, fake_nvml, other_process, monkeypatch, capsys
):
    from tests.dashboard.helpers import app, assess_json, metric, shows

    fake_nvml.init(
        manual_clock=False,
        gpus=1,
        power_mw=200000,
        **_shared_config(os.getpid(), other_process, 25, 75),
    )
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger), sync="off", country="FRA") as run:
        pass
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(ledger))
    at = app("cost_benefit", run.run_id).run()
    whole = assess_json(capsys, ledger, run.run_id)
    assert shows(metric(at, "Net benefit"), whole["net_benefit"])
    at.radio(key="cb_shared_gpu").set_value("attribute").run()
    assert not at.exception
    share = assess_json(capsys, ledger, run.run_id, "--shared-gpu", "attribute")
    assert share["net_benefit"] != pytest.approx(whole["net_benefit"])
    assert shows(metric(at, "Net benefit"), share["net_benefit"])
