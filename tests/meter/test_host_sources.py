"""CPU (TDP × load) and RAM estimates over a real process tree; codecarbon's CPU table."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from meter.process_tree import ProcessTree
from meter.sources.cpu_tdp_load import CpuTdpLoad, cpu_tdp
from meter.sources.cpu_tdp_table import cpu_table_path, cpu_tdp_table, lookup_tdp_w
from meter.sources.ram_estimate import RamEstimate

BURN = "import time\nt=time.process_time()\nwhile time.process_time()-t<{s}: pass\n"


def test_codecarbon_cpu_table_is_where_the_adapter_reads_it():
    # if codecarbon moves its CPU table, this fails loudly: fix meter/sources/cpu_tdp_table.py
    path = cpu_table_path()
    assert path is not None, "codecarbon's data/hardware/cpu_power.csv moved"
    table = cpu_tdp_table()
    assert len(table) > 1000
    # published TDPs (Intel ARK, AMD): Xeon Gold 6248 150 W, EPYC 7763 280 W
    assert table["Intel Xeon Gold 6248"] == 150.0
    assert table["AMD EPYC 7763"] == 280.0
    # malformed rows ("27.29.5") are dropped, not guessed
    assert "Intel Celeron 1000A" not in table


def test_tdp_lookup_of_cpuinfo_names_and_the_stated_default():
    assert lookup_tdp_w("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz") == (
        150.0,
        "Intel Xeon Gold 6248",
    )
    assert lookup_tdp_w("AMD EPYC 7763 64-Core Processor")[0] == 280.0
    assert lookup_tdp_w("AMD EPYC") is None  # no model number: no guess
    tdp_w, source = cpu_tdp("AMD EPYC", 16)
    assert tdp_w == 64.0 and "4 W per logical CPU" in source


def test_process_tree_counts_children_and_reaped_grandchildren_once():
    tree = ProcessTree(__import__("os").getpid(), refresh_s=0.05)
    before = tree.cpu_seconds()
    # a child that runs a grandchild burning 0.6 s, waits for it, then exits
    script = (
        f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {BURN.format(s=0.6)!r}])\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    while child.poll() is None:
        tree.cpu_seconds()
        time.sleep(0.02)
    gained = tree.cpu_seconds() - before
    # 0.6 s burnt + two interpreter start-ups; counted twice it would be over 1.2 s
    assert 0.55 < gained < 1.15


def test_cpu_tdp_load_estimates_tdp_times_load():
    clock_t = [0.0]
    child = subprocess.Popen([sys.executable, "-c", BURN.format(s=1.0)])
    source = CpuTdpLoad(ProcessTree(child.pid), clock=lambda: clock_t[0])
    source.sample()
    start = time.monotonic()
    child.wait()
    time.sleep(0.05)
    clock_t[0] = time.monotonic() - start
    assert child.returncode == 0
    power = source.sample()
    assert source.info.method == "cpu_tdp_load" and source.info.approximated
    # one core busy out of N: TDP / N (the child may exit before its last tick is read)
    expected_w = source.tdp_w / source.threads * (1.0 / clock_t[0])
    assert power is not None and power == pytest.approx(expected_w, rel=0.35)


def test_ram_estimate_from_resident_memory():
    # the child says when its 256 MiB are written (so resident), not after a guessed sleep:
    # under load, 1 s was not always enough for it to start and fill them
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "b = b'x' * (256 * 2**20)\nprint('ready', flush=True)\nimport time\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        t = [0.0]
        source = RamEstimate(ProcessTree(child.pid), clock=lambda: t[0])
        source.sample()
        t[0] = 10.0
        power = source.sample()
        # ≥ 256 MiB resident at 0.375 W/GiB: ≥ 0.094 W; the interpreter adds a little
        assert power is not None and 0.09 < power < 0.2
        assert source.read().energy_j == pytest.approx(power * 10.0)
    finally:
        child.kill()
        child.wait()


def test_cpu_windows_of_10_ms_hold_the_cpu_time_spent_inside_them():
    """The CPU time is read at each boundary: a 10 ms window holds its own CPU energy (not the
    rate of whatever came before the last 1 Hz sample), and windows tile what surrounds them."""
    from meter import Meter

    source = CpuTdpLoad()
    meter = Meter([source], sample_hz=1).start()
    try:
        time.sleep(0.2)  # idle before: a sampled estimate would carry this rate into the windows
        first = meter.snapshot()
        spent = []
        for _ in range(20):
            meter.begin("w")
            c0 = time.process_time()
            while time.process_time() - c0 < 0.01:
                pass
            measurement = meter.end("w")
            spent.append((measurement.devices[0].joules, time.process_time() - c0))
        last = meter.snapshot()
    finally:
        meter.close()
    j_per_cpu_s = source.tdp_w / source.threads
    for joules, cpu_s in spent:
        assert joules == pytest.approx(j_per_cpu_s * cpu_s, rel=0.1)
    whole = meter.between("all", first, last).devices[0].joules
    assert sum(j for j, _ in spent) == pytest.approx(whole, rel=0.05)
