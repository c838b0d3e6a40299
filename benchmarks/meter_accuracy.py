"""How close is the meter to the truth? Bursty and ramped GPU power through the fake NVML driver.

    python benchmarks/meter_accuracy.py [--seconds 6]

Each measurement runs in its own process with the fake ``libnvidia-ml.so.1`` on
``LD_LIBRARY_PATH`` and a power trace (``FAKE_NVML_TRACE``) whose exact integral is computed
here, from the trace file, independently of the meter and of the fake. It prints the relative
energy error of:

- ``nvml_energy_counter`` (target: ≤ 0.5 %);
- ``nvml_power_sampled`` (the counter made NOT_SUPPORTED) at 1, 10 and 50 Hz with the signal
  the meter picks (the 1 s average ``nvmlDeviceGetPowerUsage`` below 2 Hz, the instant power
  field 186 above), and, to show why, each signal alone at every rate (the fake's
  ``nvmlDeviceGetPowerUsage`` is a trailing 1 s average, as on Ampere and newer);
- CodeCarbon's ``OfflineEmissionsTracker`` on the same trace, with and without the counter
  (a stub ``nvidia-smi`` on PATH makes it enable GPUs; it is imported in the worker with the
  fake loaded, because ``import codecarbon`` calls ``nvmlInit``).

Traces: 50 ms bursts of 650 W on a 100 W idle at irregular gaps; a 2 s ramp 100 → 650 W.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fake_nvml.build import build  # noqa: E402

IDLE_MW = 100_000
BURST_MW = 650_000

WORKER_METER = r"""
import ctypes, json, sys, time
from meter import Meter, detect_sources
begin_s, end_s, hz = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
signal = sys.argv[4]
detection = detect_sources(include_host=False)
fake = ctypes.CDLL("libnvidia-ml.so.1")
fake.fakeNvmlGetTime.restype = ctypes.c_double
meter = Meter(detection.sources, sample_hz=hz)
if signal != "auto":  # force a power signal, to compare with the meter's choice
    meter.sources[0].instant_field = signal == "instant"
meter.start()
def at(t):
    while fake.fakeNvmlGetTime() < t:
        time.sleep(min(0.01, max(0.0, t - fake.fakeNvmlGetTime())))
def mark(call):
    a = fake.fakeNvmlGetTime(); out = call(); b = fake.fakeNvmlGetTime()
    return (a + b) / 2, out
at(begin_s)
t0, _ = mark(lambda: meter.begin("w"))
at(end_s)
t1, m = mark(lambda: meter.end("w"))
meter.close()
d = m.devices[0]
print(json.dumps({"t0": t0, "t1": t1, "joules": d.joules, "method": d.method}))
"""

WORKER_CODECARBON = r"""
import ctypes, json, logging, sys, time
begin_s, end_s = float(sys.argv[1]), float(sys.argv[2])
import pynvml
from codecarbon import OfflineEmissionsTracker
fake = ctypes.CDLL("libnvidia-ml.so.1")
fake.fakeNvmlGetTime.restype = ctypes.c_double
# CodeCarbon's start() takes seconds (hardware detection): note when it reads the counter,
# so its energy is compared with the trace over the interval it really measured
reads = []
read_energy = pynvml.nvmlDeviceGetTotalEnergyConsumption
def logged(handle):
    reads.append(fake.fakeNvmlGetTime())
    return read_energy(handle)
pynvml.nvmlDeviceGetTotalEnergyConsumption = logged
tracker = OfflineEmissionsTracker(
    country_iso_code="FRA", save_to_file=False, log_level="error", measure_power_secs=1
)
def at(t):
    while fake.fakeNvmlGetTime() < t:
        time.sleep(min(0.01, max(0.0, t - fake.fakeNvmlGetTime())))
at(begin_s)
tracker.start()
first = reads[-1]
at(end_s + first - begin_s)
tracker.stop()
data = tracker.final_emissions_data
print(json.dumps({"t0": first, "t1": reads[-1], "joules": data.gpu_energy * 3.6e6}))
"""


def bursty_trace(seconds: float, seed: int = 7) -> list[tuple[float, float]]:
    """50 ms bursts of 650 W on 100 W, separated by 100–300 ms of idle (fixed seed)."""
    rng = random.Random(seed)
    rows = [(0.0, IDLE_MW)]
    t = 0.2
    while t < seconds + 2.0:
        rows.append((t, BURST_MW))
        rows.append((t + 0.05, IDLE_MW))
        t += 0.05 + rng.uniform(0.1, 0.3)
    return rows


def ramp_trace(seconds: float) -> list[tuple[float, float]]:
    """100 W, then a 2 s ramp to 650 W in 10 ms steps, then 650 W."""
    rows = [(0.0, IDLE_MW)]
    for k in range(200):
        rows.append((0.5 + k * 0.01, IDLE_MW + (BURST_MW - IDLE_MW) * (k + 1) / 200))
    rows.append((2.5, BURST_MW))
    return rows


def integral_j(rows: list[tuple[float, float]], t0: float, t1: float) -> float:
    """Exact energy (J) of a piecewise-constant trace between t0 and t1 (s)."""
    total = 0.0
    for k, (start, power_mw) in enumerate(rows):
        stop = rows[k + 1][0] if k + 1 < len(rows) else float("inf")
        lo, hi = max(start, t0), min(stop, t1)
        if hi > lo:
            total += power_mw / 1000.0 * (hi - lo)
    return total


def write_trace(rows: list[tuple[float, float]], path: Path) -> Path:
    path.write_text("".join(f"{t:.6f} {p:.0f}\n" for t, p in rows))
    return path


def run_worker(script: str, args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "worker failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="window length (default 6)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ecoledger-accuracy-"))
    lib_dir = work / "lib"
    build(lib_dir)
    stub = work / "bin"
    stub.mkdir()
    (stub / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
    (stub / "nvidia-smi").chmod(0o755)
    begin_s, end_s = 0.5, 0.5 + args.seconds
    traces = {
        "bursty 50 ms × 650 W on 100 W": write_trace(bursty_trace(end_s), work / "bursty.txt"),
        "2 s ramp 100 → 650 W": write_trace(ramp_trace(end_s), work / "ramp.txt"),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_NVML_")}
    base["LD_LIBRARY_PATH"] = str(lib_dir)
    base["PATH"] = f"{stub}{os.pathsep}{base.get('PATH', '')}"
    base["FAKE_NVML_GPUS"] = "1"

    jobs = []
    for trace_name, trace_path in traces.items():
        env = {**base, "FAKE_NVML_TRACE": str(trace_path)}
        no_counter = {**env, "FAKE_NVML_ENERGY_ERR": "3"}
        averaged = {**no_counter, "FAKE_NVML_FIELDS_ERR": "3"}
        bounds = [str(begin_s), str(end_s)]
        jobs.append(
            (trace_name, "ecoledger nvml_energy_counter", WORKER_METER, [*bounds, "1", "auto"], env)
        )
        for hz in (1, 10, 50):
            jobs.append(
                (
                    trace_name,
                    f"ecoledger nvml_power_sampled {hz} Hz (meter's signal)",
                    WORKER_METER,
                    [*bounds, str(hz), "auto"],
                    no_counter,
                )
            )
        for hz in (1, 10, 50):
            jobs.append(
                (
                    trace_name,
                    f"  sampled {hz} Hz, instant power (field 186) only",
                    WORKER_METER,
                    [*bounds, str(hz), "instant"],
                    no_counter,
                )
            )
        for hz in (1, 10, 50):
            jobs.append(
                (
                    trace_name,
                    f"  sampled {hz} Hz, 1 s average only",
                    WORKER_METER,
                    [*bounds, str(hz), "average"],
                    averaged,
                )
            )
        jobs.append(
            (trace_name, "CodeCarbon 3.3.2, energy counter", WORKER_CODECARBON, bounds, env)
        )
        jobs.append(
            (
                trace_name,
                "CodeCarbon 3.3.2, no counter (power averaged)",
                WORKER_CODECARBON,
                bounds,
                no_counter,
            )
        )
    rows_of = {
        name: (bursty_trace(end_s) if name.startswith("bursty") else ramp_trace(end_s))
        for name in traces
    }

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(run_worker, script, a, env) for _, _, script, a, env in jobs]
        results = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # one failing worker must not hide the others
                results.append({"error": str(exc)})

    print(f"window: {args.seconds:g} s; error = (measured − exact) / exact")
    current = None
    for (trace_name, label, _, _, _), result in zip(jobs, results, strict=True):
        if trace_name != current:
            current = trace_name
            print(f"\n{trace_name}")
        if "error" in result:
            print(f"  {label:<52} failed: {result['error']}")
            continue
        exact = integral_j(rows_of[trace_name], result["t0"], result["t1"])
        error = (result["joules"] - exact) / exact * 100
        print(
            f"  {label:<52} {result['joules']:9.1f} J  exact {exact:9.1f} J  error {error:+7.2f} %"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
