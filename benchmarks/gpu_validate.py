"""Validate the meter on one NVIDIA GPU, or on the fake library, and write docs/gpu-validation.md.

    python benchmarks/gpu_validate.py [--seconds 8] [--gpu 0] [--fake] [--out docs/gpu-validation.md]

One command, under 6 minutes on a real GPU (under 2 on the fake library). It covers:

1. the same loads (idle, steady matmul, 50 ms bursts, a ramp) measured at once by the energy
   counter, each sampled path of the fallback (the driver's sample buffer, the 1 s average of
   field 185, ``nvmlDeviceGetPowerUsage``, the instant power of field 186), CodeCarbon and Zeus;
   errors are against the counter (on the fake, against the trace's exact integral);
2. phase windows around asynchronous kernels, with and without ``sync``: each window's energy
   error against a long synchronized reference;
3. the cost of one sync;
4. the driver's energy-counter update period, measured by polling the counter.

Without CUDA (or with ``--fake``) it runs on the fake ``libnvidia-ml.so.1``: the loads are the
fake's power traces, and the rows that need CUDA kernels (2 and 3) are marked as not
measurable there. It never changes clocks or power limits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

SIGNALS = ("samples", "average", "power_usage", "instant")
NOT_ON_FAKE = "not measurable on the fake library (needs CUDA kernels)"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f} %"


# -- the fake library ------------------------------------------------------------------------
WORKER_PERIOD = r"""
import json, time, pynvml
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
last, changes, t_end = pynvml.nvmlDeviceGetTotalEnergyConsumption(h), [], time.monotonic() + 2.0
while time.monotonic() < t_end:
    value = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    if value != last:
        changes.append(time.monotonic())
        last = value
gaps = [b - a for a, b in zip(changes, changes[1:])]
print(json.dumps({"gaps": gaps}))
"""


def fake_rows(seconds: float, workers: int) -> dict[str, Any]:
    import meter_accuracy as acc

    work, base = acc.fake_gpu_env("ecoledger-gpu-validate-")
    begin_s, end_s = 4.0, 4.0 + seconds
    loads = {
        "idle 60 W": lambda s: [(0.0, 60_000)],
        "steady matmul 300 W": acc.constant_trace,
        "50 ms bursts": acc.periodic_trace,
        "ramp": acc.ramp_trace,
    }
    jobs: list[tuple[str, str, str, list[str], dict[str, str]]] = []
    traces = {}
    bounds = [str(begin_s), str(end_s)]
    for k, (name, make) in enumerate(loads.items()):
        traces[name] = acc.as_written(make(end_s + 5.0))
        env = {**base, "FAKE_NVML_TRACE": str(acc.write_trace(traces[name], work / f"{k}.txt"))}
        no_counter = {**env, "FAKE_NVML_ENERGY_ERR": "3"}
        jobs.append((name, "counter", acc.WORKER_METER, [*bounds, "1", "auto"], env))
        for signal in SIGNALS:
            jobs.append((name, signal, acc.WORKER_METER, [*bounds, "10", signal], no_counter))
        jobs.append((name, "CodeCarbon", acc.WORKER_CODECARBON, [*bounds, "1"], no_counter))
        zeus_env = {**no_counter, "FAKE_NVML_ARCH": "4"}
        jobs.append((name, "Zeus", acc.WORKER_ZEUS, bounds, zeus_env))
    period_env = {**base, "FAKE_NVML_ENERGY_PERIOD_MS": "100"}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        period_future = pool.submit(acc.run_worker, WORKER_PERIOD, [], period_env)
        futures = [pool.submit(acc.run_worker, job[2], job[3], job[4]) for job in jobs]
        table: dict[str, dict[str, float | str]] = {name: {} for name in loads}
        for (name, method, _, _, _), future in zip(jobs, futures, strict=True):
            try:
                result = future.result()
            except Exception as exc:
                table[name][method] = f"failed ({str(exc)[:50]})"
                continue
            exact = acc.integral_j(traces[name], result["t0"], result["t1"])
            table[name][method] = (result["joules"] - exact) / exact * 100
        try:
            gaps = period_future.result()["gaps"]
            period = f"{statistics.median(gaps) * 1000:.0f} ms (the fake is set to 100 ms)"
        except Exception as exc:
            period = f"failed ({exc})"
    return {
        "where": "the fake libnvidia-ml.so.1 (tests/fake_nvml), loads from its power traces",
        "reference": "the exact integral of the trace",
        "note": "On the fake, Zeus takes the GPU for a Pascal (no counter) and polls the instant "
        "power in a subprocess; its window then holds few or no samples, so its figure here "
        "says more about that start-up than about Zeus's accuracy (not investigated further).",
        "table": table,
        "sync_windows": NOT_ON_FAKE,
        "sync_cost": NOT_ON_FAKE,
        "counter_period": period,
    }


# -- a real GPU --------------------------------------------------------------------------------
def gpu_rows(seconds: float, gpu: int) -> dict[str, Any]:
    import torch

    from meter import Meter, detect_sources
    from meter.sources.nvml_gpu import NvmlPowerSampled

    device = torch.device(f"cuda:{gpu}")
    torch.cuda.set_device(device)
    detection = detect_sources(include_host=False)
    uuid = str(getattr(torch.cuda.get_device_properties(device), "uuid", ""))
    gpus = [s for s in detection.sources if s.info.kind == "gpu"]
    counter = next((s for s in gpus if uuid and s.info.device_id.endswith(uuid)), gpus[gpu])
    session, handle = counter._session, counter._handle
    sampled = {}
    for signal in SIGNALS:
        info = type(counter.info)(**{**counter.info.__dict__, "method": "nvml_power_sampled"})
        sampled[signal] = NvmlPowerSampled(session, handle, info, signal=signal)
    meter = Meter([counter, *sampled.values()], sample_hz=10).start()
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)

    def matmul(n: int = 1) -> None:
        for _ in range(n):
            a @ a

    def load(name: str, t_s: float) -> None:
        end = time.monotonic() + t_s
        k = 0
        while time.monotonic() < end:
            if name == "steady matmul":
                matmul(4)
            elif name == "50 ms bursts":
                burst = time.monotonic() + 0.05
                while time.monotonic() < burst:
                    matmul()
                torch.cuda.synchronize()
                time.sleep(0.05)
            elif name == "ramp":
                matmul(1 + k // 20)
                torch.cuda.synchronize()
                time.sleep(max(0.0, 0.05 - k * 0.0005))
                k += 1
            else:
                time.sleep(0.05)
        torch.cuda.synchronize()

    table: dict[str, dict[str, float | str]] = {}
    try:
        import logging

        from codecarbon import OfflineEmissionsTracker

        logging.getLogger("codecarbon").setLevel(logging.ERROR)
    except Exception:
        OfflineEmissionsTracker = None  # noqa: N806
    try:
        from zeus.monitor import ZeusMonitor

        zeus: Any = ZeusMonitor(gpu_indices=[gpu])
    except Exception:
        zeus = None
    for name in ("idle", "steady matmul", "50 ms bursts", "ramp"):
        tracker = None
        if OfflineEmissionsTracker is not None:
            tracker = OfflineEmissionsTracker(
                country_iso_code="FRA", save_to_file=False, log_level="error", gpu_ids=[gpu]
            )
            tracker.start()
        if zeus is not None:
            zeus.begin_window(name)
        meter.begin(name)
        load(name, seconds)
        m = meter.end(name)
        joules = {d.method + str(i): d.joules for i, d in enumerate(m.devices)}
        reference = m.devices[0].joules
        row: dict[str, float | str] = {"counter": 0.0}
        for i, signal in enumerate(SIGNALS, start=1):
            row[signal] = (joules[f"nvml_power_sampled{i}"] - reference) / reference * 100
        if tracker is not None:
            tracker.stop()
            cc_j = tracker.final_emissions_data.gpu_energy * 3.6e6
            row["CodeCarbon"] = (cc_j - reference) / reference * 100
        if zeus is not None:
            z_j = zeus.end_window(name).gpu_energy[gpu]
            row["Zeus"] = (z_j - reference) / reference * 100
        table[name] = row

    # 2. phase windows around asynchronous kernels: a reference window synchronized at both
    # ends around 10 phases; each phase windowed with and without a sync before reading
    torch.cuda.synchronize()
    phases = 10
    rows = []
    for synced in (True, False):
        torch.cuda.synchronize()
        reference_start = meter.snapshot()
        energies = []
        for _ in range(phases):
            begin = meter.snapshot()
            matmul(40)  # queued: the Python side returns long before the GPU is done
            if synced:
                torch.cuda.synchronize()
            energies.append(meter.between("p", begin, meter.snapshot()).devices[0].joules)
        torch.cuda.synchronize()
        total = meter.between("ref", reference_start, meter.snapshot()).devices[0].joules
        expected = total / phases
        worst = max(abs(e - expected) / expected * 100 for e in energies)
        rows.append(f"{'with' if synced else 'without'} sync: worst phase error {worst:.1f} %")
    # 3. the cost of one sync (nothing queued)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(1000):
        torch.cuda.synchronize()
    sync_us = (time.perf_counter() - t0) / 1000 * 1e6
    # 4. the counter's update period
    read = counter._energy_fn
    last, changes, t_end = read(handle), [], time.monotonic() + 2.0
    while time.monotonic() < t_end:
        matmul()
        value = read(handle)
        if value != last:
            changes.append(time.monotonic())
            last = value
    gaps = [b - a for a, b in zip(changes, changes[1:], strict=False)]
    meter.close()
    return {
        "where": f"{counter.info.model} ({counter.info.device_id})",
        "reference": "the energy counter over the same window",
        "table": table,
        "sync_windows": "; ".join(rows),
        "sync_cost": f"{sync_us:.1f} µs per torch.cuda.synchronize() with nothing queued",
        "counter_period": f"{statistics.median(gaps) * 1000:.0f} ms" if gaps else "no change seen",
    }


def write_page(path: Path, result: dict[str, Any], seconds: float, elapsed_s: float) -> None:
    methods = ["counter", *SIGNALS, "CodeCarbon", "Zeus"]
    lines = [
        "# GPU validation",
        "",
        f"Written by `python benchmarks/gpu_validate.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"in {elapsed_s:.0f} s, on {result['where']}.",
        "",
        f"## 1. The same loads, every method ({seconds:g} s windows)",
        "",
        f"Energy error against {result['reference']}. The sampled paths are ecoledger's "
        "fallback when the counter is missing: `samples` (nvmlDeviceGetSamples), `average` "
        "(field 185), `power_usage` (nvmlDeviceGetPowerUsage), `instant` (field 186).",
        "",
        result.get("note", ""),
        "",
        "| load | " + " | ".join(methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for load, row in result["table"].items():
        cells = [
            pct(v) if isinstance(v, float) else (v if isinstance(v, str) else "—")
            for v in (row.get(m) for m in methods)
        ]
        lines.append(f"| {load} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## 2. Phase windows around asynchronous kernels, with and without sync",
        "",
        result["sync_windows"],
        "",
        "## 3. The cost of one sync",
        "",
        result["sync_cost"],
        "",
        "## 4. The driver's energy-counter update period, measured",
        "",
        result["counter_period"],
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per load (8)")
    parser.add_argument("--gpu", type=int, default=0, help="CUDA device index (default 0)")
    parser.add_argument("--fake", action="store_true", help="use the fake library even with a GPU")
    parser.add_argument("--workers", type=int, default=6, help="processes at once on the fake")
    parser.add_argument("--out", default=str(REPO / "docs" / "gpu-validation.md"))
    args = parser.parse_args()
    if not 1.0 <= args.seconds <= 30.0:
        print("gpu_validate: error: --seconds must be between 1 and 30", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    cuda = False
    if not args.fake:
        try:
            import torch

            cuda = bool(torch.cuda.is_available())
        except ImportError:
            cuda = False
    if cuda:
        result = gpu_rows(args.seconds, args.gpu)
    else:
        print("gpu_validate: no CUDA GPU here: running on the fake NVML library")
        result = fake_rows(args.seconds, args.workers)
    elapsed = time.monotonic() - t0
    write_page(Path(args.out), result, args.seconds, elapsed)
    print(json.dumps(result, indent=1, default=str))
    print(f"gpu_validate: wrote {args.out} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
