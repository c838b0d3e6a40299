"""RAPL on a fake powercap tree under a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from meter import Meter, detect_sources
from meter.sources.rapl import probe_rapl

REPO = Path(__file__).resolve().parents[2]
MAX_UJ = 262143328850


def _zone(root: Path, name: str, label: str, energy_uj: int, max_uj: int | None = MAX_UJ) -> Path:
    zone = root / name
    zone.mkdir(parents=True)
    (zone / "name").write_text(label + "\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    if max_uj is not None:
        (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return zone


def _set(zone: Path, energy_uj: int) -> None:
    with (zone / "energy_uj").open("r+") as handle:  # in place, as sysfs does
        handle.truncate(0)
        handle.write(f"{energy_uj}\n")


class Clock:
    def __init__(self) -> None:
        self.t_s = 0.0

    def __call__(self) -> float:
        return self.t_s


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "powercap"
    root.mkdir()
    (root / "intel-rapl").mkdir()  # the control type: no counter
    zones = {
        "pkg0": _zone(root, "intel-rapl:0", "package-0", 1_000_000),
        "core0": _zone(root, "intel-rapl:0/intel-rapl:0:0", "core", 5),
        "dram0": _zone(root, "intel-rapl:0/intel-rapl:0:1", "dram", 2_000_000),
        "pkg1": _zone(root, "intel-rapl:1", "package-1", MAX_UJ - 1_000_000),
        "psys": _zone(root, "intel-rapl:2", "psys", 0),
    }
    zones["root"] = root
    return zones


def test_several_packages_and_dram(tree):
    sources, probes = probe_rapl(tree["root"], Clock(), "Intel Xeon Gold 6248")
    ids = sorted(s.info.device_id for s in sources)
    assert ids == ["cpu:package-0", "cpu:package-1", "ram:dram-0"]
    assert {s.info.method for s in sources} == {"rapl"}
    assert not any(s.info.approximated for s in sources)
    reasons = {p.name: p for p in probes}
    assert (
        not reasons["rapl:intel-rapl:0:0"].used
        and "inside its package" in reasons["rapl:intel-rapl:0:0"].reason
    )
    assert "double count" in reasons["rapl:intel-rapl:2"].reason
    for s in sources:
        s.close()


def test_two_readings_at_once_are_not_taken_for_a_wrap(tree):
    """The sampler thread and a window boundary read the same zone. A reading taken first
    but differenced after a later one (its thread descheduled in between, as under load) was
    taken for a wrap: a whole max_energy_range_uj (262 kJ) added to the package."""
    clock = Clock()
    sources, _ = probe_rapl(tree["root"], clock)
    pkg = next(s for s in sources if s.info.device_id == "cpu:package-0")
    assert pkg.read().energy_j == 0.0
    real = pkg._raw_uj
    taken, go = threading.Event(), threading.Event()

    def descheduled_after_the_read():
        value = real()
        if threading.current_thread().name == "first":
            taken.set()
            go.wait(5)
        return value

    pkg._raw_uj = descheduled_after_the_read
    _set(tree["pkg0"], 2_000_000)  # +1 J
    first = threading.Thread(target=pkg.read, name="first")
    first.start()
    assert taken.wait(5)
    _set(tree["pkg0"], 3_000_000)  # +1 J more, read by the second thread
    second = threading.Thread(target=pkg.read, name="second")
    second.start()
    second.join(0.5)  # before the fix it read and differenced here, before the first
    go.set()
    first.join(5)
    second.join(5)
    pkg._raw_uj = real
    assert pkg.read().energy_j == pytest.approx(2.0)
    for s in sources:
        s.close()


def test_wraparound_and_windows(tree):
    clock = Clock()
    sources, _ = probe_rapl(tree["root"], clock)
    meter = Meter(sources, clock=clock, wall=lambda: 1.7e9 + clock())
    meter.sample_once()
    meter.begin("w")
    clock.t_s = 1.0
    _set(tree["pkg0"], 1_000_000 + 50_000_000)  # +50 J
    _set(tree["pkg1"], 3_000_000)  # wrapped: +1 J to the top, +3 J after it
    _set(tree["dram0"], 2_000_000 + 4_000_000)  # +4 J
    meter.sample_once()
    m = meter.end("w")
    joules = {d.device_id: d.joules for d in m.devices}
    assert joules["cpu:package-0"] == pytest.approx(50.0)
    assert joules["cpu:package-1"] == pytest.approx(4.0)
    assert joules["ram:dram-0"] == pytest.approx(4.0)
    assert m.joules_of("cpu") == pytest.approx(54.0)
    series = {s.device_id: s.power_w for s in meter.drain_samples()}
    assert series["cpu:package-0"][-1] == pytest.approx(50.0)  # W over that second
    meter.close()


def test_detect_prefers_rapl_over_estimates(tree):
    detection = detect_sources(powercap_root=str(tree["root"]))
    methods = {s.info.kind: s.info.method for s in detection.sources}
    assert methods["cpu"] == "rapl" and methods["ram"] == "rapl"
    skipped = {p.name: p.reason for p in detection.probes if not p.used}
    assert "RAPL measures the CPU package" in skipped["cpu_tdp_load"]
    assert "RAPL measures DRAM" in skipped["ram_estimate"]
    detection.close()


def test_no_powercap_tree_says_why(tmp_path):
    sources, probes = probe_rapl(tmp_path / "missing")
    assert sources == []
    assert "no powercap tree" in probes[0].reason


PROBE_SCRIPT = """
import json, sys
from meter.sources.rapl import probe_rapl
sources, probes = probe_rapl(sys.argv[1])
print(json.dumps({"used": [s.info.device_id for s in sources],
                  "reasons": {p.name: [p.used, p.reason] for p in probes}}))
"""


def test_permission_denied_is_a_reason_not_an_error(tree):
    os.chmod(tree["pkg1"] / "energy_uj", 0o000)  # root-only since Linux 5.10
    command = [sys.executable, "-c", PROBE_SCRIPT, str(tree["root"])]
    if os.geteuid() == 0:
        # root reads any file: drop the capabilities that let it, for this one process
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot deny a read")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    out = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["used"] == ["cpu:package-0", "ram:dram-0"]
    used, reason = result["reasons"]["rapl:intel-rapl:1"]
    assert not used
    assert "permission denied" in reason and "CVE-2020-8694" in reason
