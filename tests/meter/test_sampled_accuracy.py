"""With no energy counter, ``ecoledger run`` integrates the driver's power within 2 % of the
exact integral, at every sampling rate from 0.1 to 100 Hz and for every load shape.

The fake's clock is tied to a Unix time the test chose (``FAKE_NVML_T0_UNIX``), so the exact
integral of the trace over the run's recorded start and end is computed here, by hand, from
the trace rows, independently of the meter and of the fake.
"""

from __future__ import annotations

import random
import subprocess
import time

import pytest

from accounting.store import open_ledger
from tests.fixtures.fake_nvml import fake_env

IDLE_MW, BURST_MW = 100_000, 650_000
RATES_HZ = (0.1, 1, 4, 10, 20, 100)
RUN_S = 6
LEAD_S = 1.0  # the trace starts this long before the runs are launched


def constant(seconds: float) -> list[tuple[float, float]]:
    return [(0.0, 300_000)]


def ramp(seconds: float) -> list[tuple[float, float]]:
    steps = int(seconds * 100)
    return [(k * 0.01, IDLE_MW + (BURST_MW - IDLE_MW) * k / steps) for k in range(steps + 1)]


def random_bursts(seconds: float) -> list[tuple[float, float]]:
    rng = random.Random(7)
    rows, t = [(0.0, IDLE_MW)], 0.1
    while t < seconds:
        rows += [(t, BURST_MW), (t + 0.05, IDLE_MW)]
        t += 0.05 + rng.uniform(0.1, 0.3)
    return rows


def periodic_bursts(seconds: float) -> list[tuple[float, float]]:
    """50 ms at 650 W every 100 ms: the period divides 1 s and 10 s, so 1 Hz and 0.1 Hz
    instant readings would always land on the same phase of the load (aliasing)."""
    rows = []
    for k in range(int(seconds * 10) + 1):
        rows += [(k * 0.1, BURST_MW), (k * 0.1 + 0.05, IDLE_MW)]
    return rows


def exact_j(rows: list[tuple[float, float]], t0: float, t1: float) -> float:
    total = 0.0
    for k, (start, power_mw) in enumerate(rows):
        stop = rows[k + 1][0] if k + 1 < len(rows) else float("inf")
        lo, hi = max(start, t0), min(stop, t1)
        if hi > lo:
            total += power_mw / 1000.0 * (hi - lo)
    return total


@pytest.mark.slow
@pytest.mark.parametrize("shape", [constant, ramp, random_bursts, periodic_bursts])
def test_sampled_fallback_is_within_2_percent_at_every_rate(tmp_path, fake_nvml_dir, shape):
    horizon_s = LEAD_S + RUN_S + 60.0
    rows = shape(horizon_s)
    trace = tmp_path / "trace.txt"
    trace.write_text("".join(f"{t:.6f} {p:.0f}\n" for t, p in rows))
    t0_unix = time.time()
    env = fake_env(
        fake_nvml_dir, gpus=1, trace=trace, energy_err=3, t0_unix=f"{t0_unix - LEAD_S:.6f}"
    )
    children = {}
    for hz in RATES_HZ:
        ledger = tmp_path / f"{hz}.db"
        children[hz] = (
            ledger,
            subprocess.Popen(
                ["ecoledger", "run", "--ledger", str(ledger), "--sample-hz", str(hz)]
                + ["--", "sleep", str(RUN_S)],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    errors = {}
    for hz, (ledger, child) in children.items():
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr
        with open_ledger(str(ledger)) as lg:
            (run_id,) = lg.run_ids()
            segments = [
                e
                for e in lg.entries(run_id=run_id, kinds=["energy"])
                if e.window == "run" and e.device_kind == "gpu"
            ]
            problems = [e for e in lg.entries(run_id=run_id, kinds=["problem"])]
        assert {e.method for e in segments} == {"nvml_power_sampled"}
        assert all(e.approximated for e in segments)
        assert any(
            p.code == "power_signal" and "nvmlDeviceGetSamples" in p.message for p in problems
        )
        start = min(e.start for e in segments).timestamp() - (t0_unix - LEAD_S)
        end = max(e.end for e in segments).timestamp() - (t0_unix - LEAD_S)
        exact = exact_j(rows, start, end)
        errors[hz] = sum(e.joules for e in segments) / exact - 1
    assert all(abs(e) < 0.02 for e in errors.values()), {
        hz: f"{e * 100:+.2f} %" for hz, e in errors.items()
    }


def test_exact_integral_by_hand():
    rows = [(0.0, 100_000), (1.0, 300_000)]
    assert exact_j(rows, 0.5, 2.0) == pytest.approx(100 * 0.5 + 300 * 1.0)
