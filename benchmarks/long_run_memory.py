"""Does a long run stay small in memory? A simulated week through the real recording path.

    python benchmarks/long_run_memory.py [--days 7] [--gpus 8] [--baseline-hours 1]

One process, the fake NVML driver preloaded (``--gpus`` GPUs, constant power), an INJECTED
clock shared by the driver and the meter: the real :class:`meter.Meter` samples every GPU at
1 Hz, the real :class:`train_hooks.recorder.RunRecorder` collects every 2 s and its
:class:`BufferedWriter` appends to a real SQLite ledger, while a :class:`train_hooks.run.Run`
counts steps (10 a second, a step range per 100) as ``track()`` would. Nothing sleeps: the
simulated week runs as fast as the machine appends.

Printed: RSS (psutil) at the start, after every simulated day and at the end; the growth over
the whole run against the target (< 50 MB); the same growth over a simulated hour (the
baseline, run first in the same process) and their ratio; and the longest every in-memory
buffer got (meter samples, writer queue, step ranges), which must not grow with the run.

A week at 1 Hz is 604,800 ticks; on a slow machine give ``--days`` (fractional is fine) and
report what ran. The ledger is written to a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fake_nvml.build import SONAME, build  # noqa: E402
from tests.fixtures.fake_nvml import ManualClock  # noqa: E402

TARGET_GROWTH_MB = 50.0
SAMPLE_HZ = 1.0
FLUSH_EVERY_S = 2
STEPS_PER_S = 10
DAY_S = 86_400
MB = 1024 * 1024


BUFFERS = ("meter_samples", "meter_problems", "writer_pending", "step_ranges", "problem_codes")
"""The in-memory buffers watched: meter samples per device, meter problems, the writer's queue,
the run's step ranges, the recorder's problem codes."""


@dataclass
class Peaks:
    """The longest each in-memory buffer (:data:`BUFFERS`) got, checked at every flush."""

    longest: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUFFERS, 0))
    flushes: int = 0

    def see(self, **lengths: int) -> None:
        """Keep the longest length seen of each buffer named."""
        for name, length in lengths.items():
            self.longest[name] = max(self.longest[name], length)


def load_fake(lib_dir: Path, gpus: int) -> ctypes.CDLL:
    build(lib_dir)
    os.environ.update(
        {
            "FAKE_NVML_GPUS": str(gpus),
            "FAKE_NVML_POWER_MW": "300000,350000,400000,450000",
        }
    )
    os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    lib = ctypes.CDLL(str(lib_dir / SONAME), mode=ctypes.RTLD_GLOBAL)
    lib.fakeNvmlSetTime.argtypes = [ctypes.c_double]
    lib.fakeNvmlForceShutdown.restype = None
    return lib


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / MB


def simulate(
    lib: ctypes.CDLL,
    ledger_path: Path,
    seconds: int,
    *,
    on_day: Callable[[int], None] | None = None,
) -> Peaks:
    """Record one run of ``seconds`` simulated seconds; return the buffers' peaks."""
    import pynvml

    from accounting.entries import RunStarted
    from accounting.store import open_ledger
    from meter import Meter, detect_sources
    from train_hooks.recorder import RunRecorder
    from train_hooks.run import Run

    lib.fakeNvmlForceShutdown()
    pynvml.nvmlInit()
    clock = ManualClock(lib)  # moves the fake driver's clock with ours
    detection = detect_sources(include_host=False, clock=clock)
    meter = Meter(detection.sources, sample_hz=SAMPLE_HZ, clock=clock, wall=lambda: 1.7e9 + clock())
    ledger = open_ledger(str(ledger_path))
    run_id = os.urandom(16).hex()
    recorder = RunRecorder(
        ledger, run_id, meter=meter, flush_interval_s=float(FLUSH_EVERY_S), t0_monotonic=0.0
    )
    run = Run(run_id, recorder, pue=1.2, intensity_g_per_kwh=400.0, total_steps=10**9)
    recorder.start(
        RunStarted(run_id=run_id, name="long-run-memory", started_at=datetime.now(UTC)),
        background=False,
    )
    peaks = Peaks()
    for t in range(1, seconds + 1):
        clock.advance(1.0 / SAMPLE_HZ)
        meter.sample_once()
        run.step(STEPS_PER_S)
        if t % FLUSH_EVERY_S == 0:
            with meter._lock:  # noqa: SLF001 (the benchmark looks inside, it does not change)
                waiting = max(len(ts) for ts, _ in meter._samples.values())  # noqa: SLF001
                problems = len(meter._problems)  # noqa: SLF001
            peaks.see(
                meter_samples=waiting,
                meter_problems=problems,
                writer_pending=recorder.writer.buffered,
            )
            recorder.flush()
            peaks.flushes += 1
            peaks.see(
                step_ranges=len(run._ranges),  # noqa: SLF001
                problem_codes=len(recorder.problem_codes),
            )
        if on_day is not None and t % DAY_S == 0:
            on_day(t // DAY_S)
    run.close()
    recorder.finish("completed")
    ledger.close()
    pynvml.nvmlShutdown()
    return peaks


def measure(lib: ctypes.CDLL, folder: Path, seconds: int, label: str, verbose: bool) -> float:
    """Simulate ``seconds``; print RSS along the way; return the growth in MB."""
    gc.collect()
    start = rss_mb()
    path = folder / f"{label}.db"
    t0 = time.perf_counter()

    def on_day(day: int) -> None:
        print(
            f"  {label}: day {day}: RSS {rss_mb():8.1f} MB "
            f"({time.perf_counter() - t0:7.0f} s elapsed)",
            flush=True,
        )

    if verbose:
        print(f"  {label}: start: RSS {start:8.1f} MB", flush=True)
    peaks = simulate(lib, path, seconds, on_day=on_day if verbose else None)
    gc.collect()
    end = rss_mb()
    growth = end - start
    size = path.stat().st_size / MB
    print(
        f"  {label}: end: RSS {end:8.1f} MB, growth {growth:+.1f} MB over {seconds:,} simulated "
        f"s in {time.perf_counter() - t0:.0f} s; ledger {size:.0f} MB"
    )
    longest = peaks.longest
    print(
        f"  {label}: buffer peaks: meter samples/device {longest['meter_samples']}, meter problems "
        f"{longest['meter_problems']}, writer queue {longest['writer_pending']}, step ranges "
        f"{longest['step_ranges']}, problem codes {longest['problem_codes']} "
        f"({peaks.flushes:,} flushes)"
    )
    path.unlink()
    return growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days (default 7)")
    parser.add_argument("--gpus", type=int, default=8, help="fake GPUs (default 8)")
    parser.add_argument(
        "--baseline-hours", type=float, default=1.0, help="the baseline run (default 1 h)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ecoledger-long-run-"))
    try:
        lib = load_fake(folder, args.gpus)
        print(
            f"long-run memory: {args.gpus} fake GPUs, {SAMPLE_HZ:g} Hz samples, "
            f"{FLUSH_EVERY_S} s flush, {STEPS_PER_S} steps/s, injected clock"
        )
        # warm-up: imports, the first ledger, the driver: not the run's growth
        simulate(lib, folder / "warmup.db", 60)
        (folder / "warmup.db").unlink()
        base = measure(lib, folder, int(args.baseline_hours * 3600), "baseline", False)
        long = measure(lib, folder, int(args.days * DAY_S), f"{args.days:g}-day run", True)
        verdict = "met" if long < TARGET_GROWTH_MB else "NOT MET"
        ratio = long / base if base > 0.05 else float("nan")
        print(
            f"RSS growth over {args.days:g} simulated days: {long:.1f} MB "
            f"(target < {TARGET_GROWTH_MB:g} MB: {verdict}); over {args.baseline_hours:g} h: "
            f"{base:.1f} MB; ratio {ratio:.2f}× for {args.days * 24 / args.baseline_hours:.0f}× "
            "the length"
        )
        return 0 if long < TARGET_GROWTH_MB else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
