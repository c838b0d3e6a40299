"""`ecoledger run` for real: a torch training script, exit codes, signals, metering failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounting.runs import load_run
from accounting.store import open_ledger
from tests.cli.helpers import REPO, cli_process

SHOW_KEYS = {
    "run_id",
    "name",
    "project",
    "kind",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "energy_it_kwh",
    "devices",
    "pue",
    "energy_facility_kwh",
    "operational_kgco2e",
    "energy_cost",
    "carbon_cost",
    "currency",
    "problems",
}
DEVICE_KEYS = {"device_id", "kind", "model", "method", "energy_kwh", "approximated", "host", "rank"}


@pytest.mark.slow
def test_run_meters_a_real_torch_training_script(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    result = cli_process(
        "run",
        "--ledger",
        str(ledger),
        "--name",
        "tiny",
        "--project",
        "e2e",
        "--kind",
        "training",
        "--country",
        "FRA",
        "--",
        sys.executable,
        "examples/train_tiny.py",
        "--seconds",
        "2",
    )
    assert result.code == 0, result.err
    run_id = result.out.strip().splitlines()[-1]
    assert len(run_id) == 32

    show = cli_process("show", run_id[:8], "--ledger", str(ledger), "--json")
    assert show.code == 0, show.err
    report = show.json()
    assert SHOW_KEYS <= set(report)
    assert report["run_id"] == run_id
    assert report["status"] == "completed"
    assert report["kind"] == "training" and report["project"] == "e2e"
    assert report["energy_it_kwh"] > 0
    assert report["duration_s"] >= 2.0
    assert report["devices"], "no device was metered"
    for device in report["devices"]:
        assert DEVICE_KEYS <= set(device)
        assert device["method"] in {
            "nvml_energy_counter",
            "nvml_power_sampled",
            "rapl",
            "cpu_tdp_load",
            "ram_estimate",
        }
    cpu = [d for d in report["devices"] if d["kind"] == "cpu"]
    assert cpu and cpu[0]["energy_kwh"] > 0
    assert report["energy_facility_kwh"] == pytest.approx(report["energy_it_kwh"] * report["pue"])
    assert report["operational_kgco2e"] > 0

    runs = cli_process("runs", "--ledger", str(ledger), "--json")
    assert [r["run_id"] for r in runs.json()] == [run_id]


def test_exit_code_of_the_child_is_returned_and_recorded(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    result = cli_process(
        "run", "--ledger", str(ledger), "--", sys.executable, "-c", "import sys; sys.exit(3)"
    )
    assert result.code == 3
    run_id = result.out.strip().splitlines()[-1]
    with open_ledger(str(ledger)) as opened:
        view = load_run(opened, run_id)
    assert view.status == "failed"
    assert view.exit_code == 3


def test_child_sees_run_id_and_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    probe = tmp_path / "env.txt"
    code = (
        "import os, pathlib; pathlib.Path(os.environ['OUT']).write_text("
        "os.environ['ECOLEDGER_RUN_ID'] + ' ' + os.environ['ECOLEDGER_LEDGER'])"
    )
    result = cli_process(
        "run", "--ledger", str(ledger), "--", sys.executable, "-c", code, env={"OUT": str(probe)}
    )
    assert result.code == 0, result.err
    run_id = result.out.strip().splitlines()[-1]
    seen_id, seen_ledger = probe.read_text().split(" ", 1)
    assert seen_id == run_id
    assert Path(seen_ledger).resolve() == ledger.resolve()


@pytest.mark.slow
def test_sigterm_ends_the_child_and_records_interrupted(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    pid_file = tmp_path / "child.pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecoledger",
            "run",
            "--ledger",
            str(ledger),
            "--",
            sys.executable,
            "-c",
            code,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)
    run_id = out.strip().splitlines()[-1]
    with open_ledger(str(ledger)) as opened:
        view = load_run(opened, run_id)
    assert view.status == "interrupted"
    assert view.error == "SIGTERM"


def test_a_broken_gpu_library_does_not_stop_the_child(tmp_path: Path) -> None:
    """A metering failure (an NVML library that cannot load) is reported; the job runs."""
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "libnvidia-ml.so.1").write_bytes(b"this is not an ELF file")
    ledger = tmp_path / "ledger.db"
    marker = tmp_path / "ran"
    result = cli_process(
        "run",
        "--ledger",
        str(ledger),
        "--",
        sys.executable,
        "-c",
        f"open({str(marker)!r}, 'w').write('ok')",
        env={"LD_LIBRARY_PATH": str(libdir)},
    )
    assert result.code == 0, result.err
    assert marker.read_text() == "ok"
    sources = cli_process("sources", env={"LD_LIBRARY_PATH": str(libdir)})
    assert "nvml" in sources.out.lower()
