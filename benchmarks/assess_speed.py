"""Assessment speed: 10,000 Monte Carlo draws on a run of 100,000 power samples.

The run is built in a temporary SQLite ledger as the recorder writes it: one GPU sampled at
1 Hz for 100,000 s (100 PowerSample batches of 1,000 readings) and a ``run``-window Energy
segment every 2 s (50,000 segments), priced against an hourly intensity CSV (the time-series
path, the most expensive one). Printed side by side in the same process:

- load:   reading the run's entries and folding them into its RunView (the baseline);
- assess: assess_run end to end (load + segments + series + Monte Carlo + sensitivity);
- pure:   the assessment alone on gathered inputs (the part this benchmark targets: < 1 s).

usage: python benchmarks/assess_speed.py [--samples 100000] [--draws 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accounting.assessment import AssumptionSettings, assess_run
from accounting.assessment.counterfactual_places import compare_factors
from accounting.assessment.engine import assess
from accounting.assessment.run import _gather
from accounting.entries import EntrySource, PowerSample, RunEnded, RunStarted
from accounting.runs import NON_SAMPLE_KINDS, build_run_view

try:  # the summed read path (issue 17); absent in older versions, for before/after runs
    from accounting.runs import run_entries
except ImportError:  # pragma: no cover
    run_entries = None  # type: ignore[assignment]
from bench_entries import gpu_window

from accounting.store import open_ledger

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _run_entries(samples: int, run_id: str, source: EntrySource):  # type: ignore[no-untyped-def]
    """The run's entries, generated lazily (2.4M segments would not fit in memory at once)."""
    yield RunStarted(run_id=run_id, name="bench", started_at=T0, country="FRA", source=source)
    for start in range(0, samples, 1000):
        n = min(1000, samples - start)
        yield PowerSample(
            run_id=run_id,
            device_id="gpu:0",
            device_kind="gpu",
            method="nvml_power_sampled",
            t_s=tuple(T0.timestamp() + start + i for i in range(n)),
            power_w=tuple(250.0 + (i % 50) for i in range(n)),
            source=source,
        )
    for k in range(0, samples, 2):
        yield gpu_window(run_id, T0 + timedelta(seconds=k), 2, 2 * 275.0, "NVIDIA A100", source)
    yield RunEnded(
        run_id=run_id,
        status="completed",
        ended_at=T0 + timedelta(seconds=samples),
        duration_s=float(samples),
        source=source,
    )


def build(path: str, samples: int) -> str:
    source = EntrySource(host="bench", pid=1)
    run_id = "b" * 32
    with open_ledger(path) as ledger:
        chunk: list[object] = []
        for entry in _run_entries(samples, run_id, source):
            chunk.append(entry)
            if len(chunk) == 5000:
                ledger.append(chunk)
                chunk = []
        ledger.append(chunk)
    return run_id


def best_of(repeats: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument(
        "--skip-baseline", action="store_true", help="do not time parsing every entry"
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of N (1 for huge runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.db")
        run_id = build(path, args.samples)
        hours = args.samples // 3600 + 2
        csv = Path(folder) / "ci.csv"
        csv.write_text(
            "timestamp,g_per_kwh\n"
            + "".join(
                f"{(T0 + timedelta(hours=h)).isoformat()},{50 + (h % 24) * 10}\n"
                for h in range(hours)
            )
        )
        settings = AssumptionSettings(
            intensity_csv=str(csv), draws=args.draws, compare_countries=("POL", "SWE")
        )
        with open_ledger(path) as ledger:
            load_s = float("nan")
            if not args.skip_baseline:
                load_s = best_of(
                    args.repeats,
                    lambda: build_run_view(ledger.entries(run_id=run_id, kinds=NON_SAMPLE_KINDS)),
                )
            view_s = float("nan")
            if run_entries is not None:
                view_s = best_of(args.repeats, lambda: build_run_view(run_entries(ledger, run_id)))
            results = []
            assess_s = best_of(
                args.repeats, lambda: results.append(assess_run(ledger, run_id, settings))
            )
            result = results[-1]
            _, q, fs, used, _ = _gather(ledger, run_id, settings, None)
            compare = compare_factors(used)
            pure_s = best_of(5, lambda: assess(q, fs, used, counterfactual_factors=compare))
    print(
        f"run: {args.samples:,} power samples, {len(q.segments.kwh) if q.segments else 0:,} "
        f"energy segments, {result.energy_it_kwh:.3f} kWh; {args.draws:,} draws"
    )
    print(f"load (baseline, every entry parsed): {load_s * 1000:8.1f} ms")
    print(f"load (RunView as readers build it):  {view_s * 1000:8.1f} ms")
    print(
        f"assess_run end to end:              {assess_s * 1000:8.1f} ms  "
        f"({assess_s / load_s:.2f}× the load)"
    )
    print(
        f"assessment alone (target < 1000 ms): {pure_s * 1000:8.1f} ms  "
        f"({pure_s / load_s:.3f}× the load)"
    )
    print(
        f"net benefit {result.net_benefit:,.2f} USD "
        f"[p05 {result.interval.p05:,.2f}, p95 {result.interval.p95:,.2f}]"
    )


if __name__ == "__main__":
    main()
