"""Dashboard speed and memory on a large ledger, in a real browser.

    python benchmarks/dashboard_speed.py [--runs 200] [--samples 1000000]

Builds a ledger with RUNS runs, one of which (``big-run``) has SAMPLES power samples on one
GPU, starts ``ecoledger dashboard`` on it, and drives Debian's chromium (Playwright) to:

- the overview, and the big run's page, each until every chart is drawn and Streamlit has
  finished running the script: the first visit (cold caches) and a reload (warm);
- the server's memory: resident set size of the Streamlit process (now and peak);
- the points per series that reached the browser (read from the drawn Plotly charts).

Baselines measured side by side in the same run: the overview of an empty ledger (the fixed
cost of Streamlit and the page) and, for the power chart, reading the big run's samples as
parsed ledger entries against the store's server-side downsampling.

Targets: each page under 3 s, server under 500 MB, under 5,000 points per series.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from accounting.reports.browser import HEADLESS_SWITCHES, switches  # noqa: E402
from tests.dashboard.server import Dashboard, dashboard  # noqa: E402
from tests.fixtures.ledgers import build_big_ledger, build_empty_ledger  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = switches(*HEADLESS_SWITCHES)  # the reports' headless browser, as they start it
TARGET_S = 3.0
TARGET_MB = 500.0
MAX_POINTS = 5000
POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(
    plot => (plot.data || []).map(trace => ({
        chart: (plot.layout && plot.layout.title && plot.layout.title.text) || '',
        name: trace.name || '',
        points: Math.max((trace.x || []).length, (trace.y || []).length)})))"""


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def load(page: Any, url: str, expect_charts: int) -> float:
    """Seconds from navigation until ``expect_charts`` charts are drawn and the script is idle."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length >= "
        f"{expect_charts}",
        timeout=120_000,
    )
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000
    )
    return time.perf_counter() - start


def load_empty(page: Any, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.get_by_text("No runs recorded yet").wait_for(timeout=120_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000
    )
    return time.perf_counter() - start


def storage_baseline(ledger_path: Path, run_id: str) -> tuple[float, float, int, int]:
    """(seconds to parse every sample entry, seconds to downsample, raw samples, points)."""
    from accounting.store import open_ledger

    with open_ledger(str(ledger_path), create=False) as ledger:
        t0 = time.perf_counter()
        entries = ledger.entries(run_id=run_id, kinds=["power_samples"])
        raw = sum(len(e.t_s) for e in entries)
        naive_s = time.perf_counter() - t0
        del entries
        t0 = time.perf_counter()
        series = ledger.power_series(run_id, max_points=2000)
        down_s = time.perf_counter() - t0
    return naive_s, down_s, raw, max(len(s.t_s) for s in series)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ecoledger-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        ids = build_big_ledger(folder / "big.db", runs=args.runs, samples=args.samples)
        print(
            f"ledger: {args.runs} runs, big run {args.samples:,} power samples, "
            f"built in {time.perf_counter() - t0:.1f} s, "
            f"{(folder / 'big.db').stat().st_size / 1e6:.0f} MB"
        )
        empty = build_empty_ledger(folder / "empty.db")
        naive_s, down_s, raw, points = storage_baseline(folder / "big.db", ids["big-run"])
        print(
            f"power series: parse {raw:,} samples as entries {naive_s:.2f} s (baseline) vs "
            f"server-side downsampling to {points:,} points {down_s:.2f} s: "
            f"ratio {down_s / naive_s:.2f}"
        )
        with (
            dashboard(folder / "big.db", folder) as big,
            dashboard(empty, folder) as bare,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            results = measure(page, big, bare, ids["big-run"])
            browser.close()
    return report(results)


def measure(page: Any, big: Dashboard, bare: Dashboard, big_id: str) -> dict[str, Any]:
    r: dict[str, Any] = {}
    r["empty_cold"] = load_empty(page, bare.url + "/")
    r["empty_warm"] = load_empty(page, bare.url + "/")
    r["overview_cold"] = load(page, big.url + "/", 2)
    r["overview_points"] = page.evaluate(POINTS_JS)
    r["overview_warm"] = load(page, big.url + "/", 2)
    run_url = f"{big.url}/runs?run={big_id}"
    r["run_cold"] = load(page, run_url, 2)
    r["run_points"] = page.evaluate(POINTS_JS)
    r["run_warm"] = load(page, run_url, 2)
    r["rss_mb"], r["peak_mb"] = rss_mb(big.process.pid)
    return r


def report(r: dict[str, Any]) -> int:
    ok = True

    def line(name: str, seconds: float, baseline: float) -> None:
        nonlocal ok
        flag = "ok" if seconds < TARGET_S else "OVER TARGET"
        ok = ok and seconds < TARGET_S
        print(
            f"{name:<34} {seconds:6.2f} s  (target < {TARGET_S:.0f} s: {flag}); "
            f"ratio to the empty-ledger page {seconds / baseline:.2f}"
        )

    base = r["empty_warm"]
    print(
        f"{'empty ledger overview (baseline)':<34} {r['empty_cold']:6.2f} s cold, {base:.2f} s warm"
    )
    line("overview, 200 runs, first visit", r["overview_cold"], r["empty_cold"])
    line("overview, 200 runs, reload", r["overview_warm"], base)
    line("big run page, first visit", r["run_cold"], r["empty_cold"])
    line("big run page, reload", r["run_warm"], base)
    mem_ok = r["peak_mb"] < TARGET_MB
    ok = ok and mem_ok
    print(
        f"{'server memory (Streamlit RSS)':<34} {r['rss_mb']:6.0f} MB now, {r['peak_mb']:.0f} MB "
        f"peak (target < {TARGET_MB:.0f} MB: {'ok' if mem_ok else 'OVER TARGET'})"
    )
    for where in ("overview_points", "run_points"):
        traces = r[where]
        top = max(traces, key=lambda t: t["points"])
        points_ok = top["points"] < MAX_POINTS
        ok = ok and points_ok
        chart = re.sub(r"<[^>]+>", "", top["chart"]).split("Downsampled")[0]
        print(
            f"{'max points per series, ' + where.split('_')[0]:<34} {top['points']:6,}    "
            f"({chart.strip() or '?'} / {top['name']}; target < {MAX_POINTS:,}: "
            f"{'ok' if points_ok else 'OVER TARGET'}) over {len(traces)} series"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
