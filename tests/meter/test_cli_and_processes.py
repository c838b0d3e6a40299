"""The meter across process boundaries: no NVML library, `ecoledger sources`, `ecoledger run`."""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys

import pytest

from tests.fixtures.fake_nvml import REPO, fake_env, run_with_fake

GPU0 = "GPU-11111111-fa4e-4e00-8000-000000000000"
GPU1 = "GPU-22222222-fa4e-4e00-8000-000000000001"


def test_no_nvml_library_means_no_gpu_sources_with_the_reason(tmp_path):
    if ctypes.util.find_library("nvidia-ml"):
        pytest.skip("a real NVML library is installed here")
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    script = (
        "import json\nfrom meter import detect_sources\n"
        "d = detect_sources(include_host=False)\n"
        "print(json.dumps([[p.used, p.reason] for p in d.probes]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0] == [
        False,
        "no NVML library (libnvidia-ml.so.1 not found): no NVIDIA driver here",
    ]


def test_import_meter_does_not_import_codecarbon_or_torch():
    script = (
        "import sys, meter\nfrom meter import detect_sources\ndetect_sources()\n"
        "print(sorted(m for m in ('codecarbon', 'torch', 'streamlit', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_sources_command_explains_every_probe(fake_nvml_dir):
    out = run_with_fake(
        ["ecoledger", "sources", "--json", "--gpus", "1"], fake_nvml_dir, gpus=2, energy_err=3
    )
    assert out.returncode == 0, out.stderr
    probes = json.loads(out.stdout)["sources"]
    by_name = {p["name"]: p for p in probes}
    assert by_name["nvml:0"]["used"] is False
    assert by_name["nvml:0"]["reason"] == "not selected by --gpus 1"
    assert by_name["nvml:1"]["used"] is True
    assert by_name["nvml:1"]["method"] == "nvml_power_sampled"
    assert by_name["nvml:1"]["device_id"] == GPU1
    assert {"rapl", "cpu_tdp_load", "ram_estimate"} <= set(by_name)
    assert all(p["reason"] for p in probes)


def test_sources_command_on_this_machine_and_bad_gpus():
    out = subprocess.run(["ecoledger", "sources"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("used") and "cpu" in line for line in lines)
    assert all(": " in line for line in lines)  # every line says why
    bad = subprocess.run(
        ["ecoledger", "sources", "--gpus", "0,,1"], capture_output=True, text=True, cwd=REPO
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "ecoledger: error: --gpus has an empty entry in '0,,1'"


def _run_and_show(tmp_path, lib_dir, seconds=8, **config):
    ledger = tmp_path / "l.db"
    run = subprocess.run(
        ["ecoledger", "run", "--ledger", str(ledger), "--", "sleep", str(seconds)],
        env=fake_env(lib_dir, **config),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    listed = subprocess.run(
        ["ecoledger", "runs", "--json", "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    run_id = json.loads(listed.stdout)[0]["run_id"]
    shown = subprocess.run(
        ["ecoledger", "show", run_id, "--json", "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    gpus = {d["device_id"]: d for d in report["devices"] if d["kind"] == "gpu"}
    return report, gpus


@pytest.mark.slow
def test_run_records_gpu_power_with_the_counter(tmp_path, fake_nvml_dir):
    report, gpus = _run_and_show(tmp_path, fake_nvml_dir, gpus=2, power_mw=[250000, 400000])
    assert set(gpus) == {GPU0, GPU1}
    duration_s = report["duration_s"]
    assert duration_s > 7.9  # timed from the child's start; metering begins milliseconds later
    for uuid, watts in ((GPU0, 250.0), (GPU1, 400.0)):
        device = gpus[uuid]
        assert device["method"] == "nvml_energy_counter"
        assert device["energy_kwh"] * 3.6e6 / duration_s == pytest.approx(watts, rel=0.02)


@pytest.mark.slow
def test_run_with_the_counter_is_not_approximated(tmp_path, fake_nvml_dir):
    _, gpus = _run_and_show(tmp_path, fake_nvml_dir, seconds=2, gpus=1, power_mw=250000)
    assert [d["approximated"] for d in gpus.values()] == [False]


@pytest.mark.slow
def test_run_records_gpu_power_by_sampling_without_the_counter(tmp_path, fake_nvml_dir):
    report, gpus = _run_and_show(
        tmp_path, fake_nvml_dir, gpus=2, power_mw=[250000, 400000], energy_err=3
    )
    duration_s = report["duration_s"]
    for uuid, watts in ((GPU0, 250.0), (GPU1, 400.0)):
        device = gpus[uuid]
        assert device["method"] == "nvml_power_sampled"
        assert device["approximated"] is True
        assert device["energy_kwh"] * 3.6e6 / duration_s == pytest.approx(watts, rel=0.03)


@pytest.mark.slow
def test_show_json_carries_the_gpu_facts_and_an_unused_gpu_is_noted(tmp_path, fake_nvml_dir):
    report, gpus = _run_and_show(
        tmp_path,
        fake_nvml_dir,
        seconds=2,
        gpus=2,
        power_limit_mw=300000,
        memory_mib=24576,
        util=[0, 35],
    )
    for device in gpus.values():
        assert device["power_limit_w"] == 300.0
        assert device["driver_version"] == "999.99.fake"
        assert device["memory_total_mib"] == 24576
        assert device["shared_share"] is None  # nobody else on it
    md = subprocess.run(
        [
            "ecoledger",
            "report",
            report["run_id"],
            "--format",
            "md",
            "--out",
            str(tmp_path / "report.md"),
            "--ledger",
            str(tmp_path / "l.db"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert md.returncode == 0, md.stderr
    # the report's hardware section prints what the meter recorded about the GPUs
    assert (
        "2 × Fake NVIDIA GPU (GPU) on 1 host(s); power limit 300 W, driver 999.99.fake, 24576 MiB"
        in (tmp_path / "report.md").read_text()
    )
    unused = [p for p in report["problems"] if p["code"] == "gpu_unused"]
    # GPU 0: no process of the run on it and 0 % utilization; GPU 1 was busy (35 %)
    assert [p["device_id"] for p in unused] == [GPU0]
    assert unused[0]["severity"] == "info"
