"""What does metering cost? Window boundaries, the sampler, and a training loop, side by side.

    python benchmarks/meter_overhead.py [--alternations 7]

Runs in one process with the fake NVML driver preloaded (2 GPUs), plus the CPU (TDP × load)
and RAM estimates of this process, as ``ecoledger run`` and ``track()`` would use them:

1. boundary: µs per ``begin``/``end`` pair (target ≤ 50 µs), beside a bare pair of
   ``time.monotonic()`` calls;
2. sampler: its own CPU time (thread CPU clock) as a % of one core at 1 Hz and 10 Hz
   (target ≤ 1 % at 10 Hz), and the whole process's CPU time with and without the sampler;
3. a CPU torch training loop (steps of about 10 ms): wall time with a window per step and
   the sampler at 10 Hz, against no meter, in short paired blocks whose order alternates;
   the median ratio over the pairs (target ≤ 1.01), and the same for the training thread's
   CPU time, which other processes on a busy machine disturb less than wall time.

4. sync: µs per phase window (``run.begin``/``run.end``) and per step (``run.step`` after
   ``watch(opt, sync=True)``) with a sync callable that does nothing but is called, beside
   ``sync="off"``: the cost of the sync machinery itself (on a GPU, add the wait for the
   device, which is the point of it).

The machine's load average is printed: on a shared machine, wall times stretch with it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fake_nvml.build import SONAME, build  # noqa: E402

TARGET_STEP_MS = 10.0


def load_fake() -> None:
    out = Path(tempfile.mkdtemp(prefix="ecoledger-overhead-"))
    build(out)
    os.environ.update({"FAKE_NVML_GPUS": "2", "FAKE_NVML_POWER_MW": "250000,400000"})
    os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    ctypes.CDLL(str(out / SONAME), mode=ctypes.RTLD_GLOBAL)  # pynvml finds it by soname


def boundary_us(meter, pairs: int = 5000, repeats: int = 7) -> tuple[float, float]:
    """(median wall µs, median CPU µs of this thread) per begin/end pair."""
    for _ in range(1000):
        meter.begin("warm")
        meter.end("warm")
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(pairs):
            meter.begin("step")
            meter.end("step")
        walls.append((time.perf_counter() - t0) / pairs * 1e6)
        cpus.append((time.thread_time() - c0) / pairs * 1e6)
    return statistics.median(walls), statistics.median(cpus)


def bare_pair_us(pairs: int = 20000) -> float:
    t0 = time.perf_counter()
    for _ in range(pairs):
        time.monotonic()
        time.monotonic()
    return (time.perf_counter() - t0) / pairs * 1e6


def sampler_share(sources, hz: float, seconds: float) -> tuple[float, float]:
    """(sampler thread CPU % of a core, process CPU % of a core) while the main thread sleeps."""
    from meter import Meter

    meter = Meter(sources, sample_hz=hz)
    c0, t0 = time.process_time(), time.monotonic()
    meter.start()
    time.sleep(seconds)
    meter.stop()
    wall = time.monotonic() - t0
    process = (time.process_time() - c0) / wall * 100
    return meter.sampler_cpu_s / wall * 100, process


def idle_process_share(seconds: float) -> float:
    c0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return (time.process_time() - c0) / (time.monotonic() - t0) * 100


def training_ratio(
    sources, alternations: int, steps: int
) -> tuple[float, float, list[float], float]:
    import torch

    from meter import Meter

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(512, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(128, 512)
    y = torch.randint(0, 10, (128,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def time_step_ms() -> float:
        for _ in range(10):
            step()
        t0 = time.perf_counter()
        for _ in range(20):
            step()
        return (time.perf_counter() - t0) / 20 * 1000

    step_ms = time_step_ms()
    if not 8.0 <= step_ms <= 12.0:  # size the batch so that a step takes about 10 ms here
        batch = max(8, round(128 * TARGET_STEP_MS / step_ms))
        x = torch.randn(batch, 512)
        y = torch.randint(0, 10, (batch,))
        step_ms = time_step_ms()

    def plain() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(steps):
            step()
        return time.perf_counter() - t0, time.thread_time() - c0

    meter = Meter(sources, sample_hz=10)
    meter.start()

    def metered() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(steps):
            meter.begin("step")
            step()
            meter.end("step")
        return time.perf_counter() - t0, time.thread_time() - c0

    ratios, cpu_ratios = [], []
    for k in range(alternations):
        if k % 2 == 0:  # alternate the order, so drift does not favour either side
            a, b = plain(), metered()
        else:
            b, a = metered(), plain()
        ratios.append(b[0] / a[0])
        cpu_ratios.append(b[1] / a[1])
    meter.stop()
    return statistics.median(ratios), statistics.median(cpu_ratios), ratios, step_ms


def sync_cost_us(windows: int = 3000, repeats: int = 5) -> dict[str, float]:
    """µs per phase window and per step, with a no-op sync callable and with sync="off"."""
    import ecoledger

    def nothing() -> None:
        return None

    out: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="ecoledger-sync-"))
    for label, sync in (("off", "off"), ("callable", nothing)):
        with ecoledger.track(ledger=str(folder / f"{label}.db"), sync=sync) as run:
            phase, step = [], []
            run.ensure_steps(1, 100)
            if sync != "off" and run._steps is not None:
                run._steps.sync = lambda: run._sync("step")
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(windows):
                    run.begin("p")
                    run.end("p")
                phase.append((time.perf_counter() - t0) / windows * 1e6)
                t0 = time.perf_counter()
                for _ in range(windows):
                    run.step()
                step.append((time.perf_counter() - t0) / windows * 1e6)
        out[f"phase {label}"] = statistics.median(phase)
        out[f"step {label}"] = statistics.median(step)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alternations", type=int, default=31, help="paired blocks")
    parser.add_argument("--steps", type=int, default=20, help="training steps per block")
    parser.add_argument("--sampler-seconds", type=float, default=10.0)
    args = parser.parse_args()
    load_fake()
    from meter import Meter, detect_sources

    detection = detect_sources()
    kinds = [f"{s.info.kind}:{s.info.method}" for s in detection.sources]
    print(f"sources: {', '.join(kinds)}")

    meter = Meter(detection.sources, sample_hz=1).start()
    wall_us, cpu_us = boundary_us(meter)
    meter.stop()
    bare = bare_pair_us()
    print(f"load average (1 min) on {os.cpu_count()} CPUs: {os.getloadavg()[0]:.2f}")
    print(
        f"boundary: {wall_us:.1f} µs wall, {cpu_us:.1f} µs CPU per begin/end pair "
        f"(target ≤ 50 µs); bare monotonic pair {bare:.2f} µs"
    )

    idle = idle_process_share(args.sampler_seconds / 2)
    for hz in (1.0, 10.0):
        thread, process = sampler_share(detection.sources, hz, args.sampler_seconds)
        print(
            f"sampler at {hz:g} Hz: {thread:.3f} % of a core (its thread); process "
            f"{process:.3f} % vs {idle:.3f} % idle without it"
            + ("  (target ≤ 1 %)" if hz == 10.0 else "")
        )

    median, cpu_median, ratios, step_ms = training_ratio(
        detection.sources, args.alternations, args.steps
    )
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"training loop ({step_ms:.1f} ms steps; {args.alternations} paired blocks of "
        f"{args.steps} steps; a window per step; sampler 10 Hz): median wall ratio "
        f"{median:.4f} (target ≤ 1.01; quartiles {quartiles[0]:.4f}–{quartiles[2]:.4f}); "
        f"median CPU-time ratio of the training thread {cpu_median:.4f}"
    )
    costs = sync_cost_us()
    print(
        f"sync (a no-op callable, called): phase window {costs['phase callable']:.1f} µs vs "
        f"{costs['phase off']:.1f} µs off (+{costs['phase callable'] - costs['phase off']:.1f}); "
        f"step {costs['step callable']:.1f} µs vs {costs['step off']:.1f} µs off "
        f"(+{costs['step callable'] - costs['step off']:.1f})"
    )
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    detection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
