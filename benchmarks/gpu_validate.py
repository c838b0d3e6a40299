"""Validate the meter on a real NVIDIA GPU: counter, 10 Hz power sampling and CodeCarbon.

    python benchmarks/gpu_validate.py [--busy-s 60] [--idle-s 15] [--gpu 0]

Phases: idle, about 60 s of bf16 matrix products, idle again. Each phase is metered three
ways at once: the NVML energy counter (``nvml_energy_counter``), power sampled at 10 Hz and
integrated (``nvml_power_sampled``, the fallback), and CodeCarbon's tracker. It prints the
energy, the average power and the ratios between methods per phase. It never changes clocks
or power limits and finishes in under 3 minutes. Without a GPU it says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def no_gpu(reason: str) -> int:
    print(f"gpu_validate: skipped, no GPU to validate on: {reason}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy-s", type=float, default=60.0, help="seconds of matmuls")
    parser.add_argument("--idle-s", type=float, default=15.0, help="seconds of each idle phase")
    parser.add_argument("--gpu", default="0", help="the CUDA device index to use (default 0)")
    args = parser.parse_args()
    if args.busy_s + 2 * args.idle_s > 150:
        print("gpu_validate: error: --busy-s + 2 × --idle-s must stay ≤ 150 s", file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError as exc:
        return no_gpu(f"torch is not installed ({exc})")
    if not torch.cuda.is_available():
        return no_gpu("torch.cuda.is_available() is False")

    from meter import Meter, detect_sources
    from meter.sources.nvml_gpu import NvmlPowerSampled
    from meter.sources.nvml_library import NvmlSession

    device = torch.device(f"cuda:{args.gpu}")
    torch.cuda.set_device(device)
    # the NVML device behind this CUDA device: CUDA_VISIBLE_DEVICES is mapped by the meter,
    # and torch gives the UUID of the CUDA device, so pick the source with that UUID
    props = torch.cuda.get_device_properties(device)
    uuid = str(getattr(props, "uuid", ""))
    detection = detect_sources(include_host=False)
    gpu_sources = [s for s in detection.sources if s.info.kind == "gpu"]
    if not gpu_sources:
        return no_gpu("; ".join(p.reason for p in detection.probes))
    wanted = [s for s in gpu_sources if uuid and s.info.device_id.endswith(uuid)]
    counter = wanted[0] if wanted else gpu_sources[int(args.gpu) % len(gpu_sources)]
    if counter.info.method != "nvml_energy_counter":
        print(f"note: {counter.info.device_id} has no energy counter; comparing sampled only")
    session = NvmlSession()
    handle = session.call("nvmlDeviceGetHandleByUUID", counter.info.device_id)
    sampled_info = type(counter.info)(
        counter.info.device_id,
        "gpu",
        counter.info.model,
        "nvml_power_sampled",
        True,
        0.0,
        counter.info.index,
    )
    sampled = NvmlPowerSampled(session, handle, sampled_info)
    meter = Meter([counter, sampled], sample_hz=10)

    tracker = None
    try:
        from codecarbon import OfflineEmissionsTracker

        tracker = OfflineEmissionsTracker(
            country_iso_code="USA",
            save_to_file=False,
            log_level="error",
            measure_power_secs=1,
            gpu_ids=[counter.info.index] if counter.info.index is not None else None,
        )
    except Exception as exc:  # CodeCarbon is a comparison, not a requirement
        print(f"note: CodeCarbon unavailable ({exc}); comparing ecoledger's two methods only")

    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    torch.cuda.synchronize()

    def idle(seconds: float) -> None:
        time.sleep(seconds)

    def busy(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(20):
                torch.matmul(a, b)
            torch.cuda.synchronize()

    meter.start()
    results = []
    for name, run, seconds in (
        ("idle before", idle, args.idle_s),
        ("bf16 matmul", busy, args.busy_s),
        ("idle after", idle, args.idle_s),
    ):
        cc_j = None
        if tracker is not None:
            tracker.start_task(name)
        torch.cuda.synchronize()
        meter.begin(name)
        t0 = time.monotonic()
        run(seconds)
        torch.cuda.synchronize()
        m = meter.end(name)
        elapsed = time.monotonic() - t0
        if tracker is not None:
            data = tracker.stop_task(name)
            cc_j = data.gpu_energy * 3.6e6
        results.append((name, elapsed, m.devices[0].joules, m.devices[1].joules, cc_j))
    meter.stop()
    if tracker is not None:
        try:
            tracker.stop()
        except Exception:
            pass
    meter.close()
    session.release()
    detection.close()

    print(f"GPU {counter.info.device_id} ({counter.info.model})")
    print(
        f"{'phase':<12} {'s':>6} {'counter J':>11} {'avg W':>7} {'10 Hz J':>10} "
        f"{'CodeCarbon J':>13} {'sampled/counter':>16} {'CodeCarbon/counter':>19}"
    )
    for name, elapsed, counter_j, sampled_j, cc_j in results:
        cc_text = f"{cc_j:13.1f}" if cc_j is not None else f"{'n/a':>13}"
        cc_ratio = f"{cc_j / counter_j:19.4f}" if cc_j and counter_j else f"{'n/a':>19}"
        ratio = f"{sampled_j / counter_j:16.4f}" if counter_j else f"{'n/a':>16}"
        print(
            f"{name:<12} {elapsed:6.1f} {counter_j:11.1f} {counter_j / elapsed:7.1f} "
            f"{sampled_j:10.1f} {cc_text} {ratio} {cc_ratio}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
