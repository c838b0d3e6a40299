"""Scale: a week on 8 GPUs, and a team's year of runs, on SQLite and PostgreSQL (issue 17).

    python benchmarks/scale.py                       # full size (long: hours on a small machine)
    python benchmarks/scale.py --days 0.05 --runs 500 --repeat 3
    python benchmarks/scale.py --days 0.0005 --runs 10 --repeat 1 --backends sqlite --no-browser

Builds, through ``ecoledger demo --synthetic``'s generator (:mod:`accounting.synthetic`):

1. the long run: one training run of ``--days`` (7) days on 8 GPUs, sampled at 1 Hz, flushed
   every 2 s (one energy segment and one power batch per GPU per flush);
2. the team ledger: ``--runs`` (10,000) runs over a year (every fifth a 2-GPU training run,
   the others inference runs serving it), sampled once a minute, flushed every 5 minutes;
3. the reference: the same long run, one minute long, in its own ledger.

Then times each step of the issue's target table (medians of ``--repeat`` rounds; commands
run as fresh processes, as a user runs them) and prints each against its target and, for
the long run and the team ledger, its ratio to the same step on the 1-minute run: how the
cost grows. A row that could not be measured says why. Exit status 0 when every measured row
meets its target, 1 otherwise. The dashboard rows need Debian's chromium (``--no-browser``
skips them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from accounting.entries import EntrySource, Usage  # noqa: E402
from accounting.store import open_ledger, verify  # noqa: E402
from accounting.store.checkpoint import check_chain  # noqa: E402
from accounting.synthetic import PROJECT, SyntheticSpec, write_synthetic  # noqa: E402

END = datetime(2026, 6, 1, tzinfo=UTC)
MINUTE_DAYS = 60.0 / 86400.0
INCREMENT = 1000
YEAR_DAYS = 365.0
TEAM_RUNS = 10_000
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


@dataclass(frozen=True)
class Row:
    backend: str
    scenario: str
    step: str
    value: float | None
    unit: str
    target: float | None
    higher_is_better: bool = False
    reference: float | None = None
    why: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    def line(self) -> str:
        label = f"[{self.backend}] {self.scenario}: {self.step}"
        if self.value is None:
            return f"{label:<62} not measured: {self.why}"
        sign = "≥" if self.higher_is_better else "<"
        target = (
            f"target {sign} {self.target:g} {self.unit}" if self.target is not None else "no target"
        )
        verdict = {True: "meets", False: "MISSES", None: ""}[self.met]
        ratio = ""
        if self.reference:
            ratio = f"  ×{self.value / self.reference:,.2f} vs 1-min run ({self.reference:.3g} {self.unit})"
        return f"{label:<62} {self.value:12,.3f} {self.unit:<10} {target:<22} {verdict:<7}{ratio}"


class _TimedAppends:
    """The ledger, with the time spent in ``append`` added up (writing, not generating)."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.seconds = 0.0

    def append(self, entries: Sequence[Any]) -> list[str]:
        start = time.perf_counter()
        try:
            return list(self.ledger.append(entries))
        finally:
            self.seconds += time.perf_counter() - start


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _command_s(argv: list[str], repeat: int) -> float:
    """Median wall time of ``ecoledger ARGV`` as a fresh process (after one warm-up round
    when there are several)."""
    times = []
    warm_up = 1 if repeat > 1 else 0
    for i in range(repeat + warm_up):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ecoledger", *argv],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"ecoledger {argv[0]} failed: {done.stderr.strip()[-300:]}")
        if i >= warm_up:
            times.append(elapsed)
    return _median(times)


def _size_mb(location: str) -> float:
    if location.startswith("postgresql"):
        import psycopg

        with psycopg.connect(location) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return float(row[0]) / 1e6 if row else 0.0
    return sum(
        Path(location + suffix).stat().st_size / 1e6
        for suffix in ("", "-wal")
        if Path(location + suffix).exists()
    )


def _build(location: str, spec: SyntheticSpec) -> tuple[list[str], float, int]:
    """Write the made-up runs; (run ids, seconds inside ``append``, power samples)."""
    with open_ledger(location) as ledger:
        timed = _TimedAppends(ledger)
        summary = write_synthetic(timed, spec)
    return list(summary.run_ids), timed.seconds, summary.power_samples


def _verify_timed_rows(
    backend: str,
    scenario: str,
    location: str,
    repeat: int,
    ref_full: float | None,
    ref_incremental: float | None,
) -> list[Row]:
    """The full and incremental ``verify`` rows of one scenario, against their targets."""
    full, incremental = _verify_rows(location, repeat)
    return [
        Row(backend, scenario, "verify (full)", full, "s", 60.0, reference=ref_full),
        Row(
            backend,
            scenario,
            f"verify (incremental, {INCREMENT:,} more entries)",
            incremental,
            "s",
            1.0,
            reference=ref_incremental,
        ),
    ]


def _verify_rows(location: str, repeat: int) -> tuple[float, float]:
    """(full verify, incremental check after INCREMENT more entries), seconds."""
    full = []
    for _ in range(repeat):
        with open_ledger(location, create=False) as ledger:
            start = time.perf_counter()
            result = verify(ledger)
            full.append(time.perf_counter() - start)
            if not result.ok:
                raise RuntimeError(f"verify failed: {result.reason}")
    incremental = []
    source = EntrySource(host="scale-bench", pid=None, origin="benchmarks/scale.py")
    for _ in range(repeat):
        with open_ledger(location, create=False) as ledger:
            check_chain(ledger)  # the verified mark at the head
            ledger.append(
                [Usage(run_id="scale-bench", source=source, requests=1) for _ in range(INCREMENT)]
            )
            start = time.perf_counter()
            result = check_chain(ledger)
            incremental.append(time.perf_counter() - start)
            if not result.ok:
                raise RuntimeError(f"incremental verify failed: {result.reason}")
    return _median(full), _median(incremental)


class _PrintedRows(list[Row]):
    """Rows, each printed as it is measured."""

    def append(self, row: Row) -> None:
        print(row.line(), flush=True)
        super().append(row)


@contextmanager
def _backends(names: Sequence[str], folder: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh ledger locations per backend (a throwaway PostgreSQL server)."""
    server = None
    if "postgresql" in names:
        from tests.fixtures.postgres import ThrowawayPostgres

        server = ThrowawayPostgres().start()

    def new(kind: str, name: str = "ledger") -> str:
        if kind == "postgresql":
            assert server is not None
            return server.new_database(name.replace("-", "_"))
        return str(folder / f"{name}.db")

    try:
        yield new
    finally:
        if server is not None:
            server.stop()


def _dashboard_s(
    location: str, folder: Path, page: str, run_id: str | None, expect: int
) -> tuple[float, float]:
    """(first visit seconds, server peak RSS MB) of a dashboard page, in chromium."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from dashboard_speed import ARGS, CHROMIUM, load, rss_mb
    from playwright.sync_api import sync_playwright

    from tests.dashboard.server import dashboard

    with dashboard(location, folder) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        url = server.url + ("/" if page == "overview" else f"/runs?run={run_id}")
        seconds = load(tab, url, expect)
        _, peak = rss_mb(server.process.pid)
        browser.close()
    return seconds, peak


def _report_md_s(subject: list[str], out: Path, location: str, repeat: int) -> float:
    """Median wall time of ``ecoledger report SUBJECT --format md`` into OUT (a run id, or
    ``--project NAME``)."""
    argv = ["report", *subject, "--format", "md", "--out", str(out), "--force"]
    return _command_s([*argv, "--ledger", location], repeat)


def _steps_of_a_run(
    backend: str, location: str, run_id: str, folder: Path, repeat: int, browser: bool
) -> dict[str, tuple[float | None, str]]:
    out: dict[str, tuple[float | None, str]] = {}
    out["show --json"] = (_command_s(["show", run_id, "--json", "--ledger", location], repeat), "")
    out["assess --json (10k draws)"] = (
        _command_s(["assess", run_id, "--json", "--ledger", location], repeat),
        "",
    )
    report = folder / f"report-{backend}-{run_id[:8]}.md"
    out["report --format md"] = (
        _report_md_s([run_id], report, location, repeat),
        "",
    )
    if browser:
        seconds, _ = _dashboard_s(location, folder, "runs", run_id, 2)
        out["dashboard run page, first visit"] = (seconds, "")
    else:
        out["dashboard run page, first visit"] = (None, "--no-browser")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0, help="length of the long run (7)")
    parser.add_argument("--gpus", type=int, default=8, help="GPUs of the long run (8)")
    parser.add_argument("--runs", type=int, default=TEAM_RUNS, help="runs of the team ledger")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per timed step (median)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-browser", action="store_true", help="skip the dashboard rows")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.backends.split(",") if name.strip()]
    browser = not args.no_browser and Path("/usr/bin/chromium").exists()
    rows: list[Row] = []
    print(
        f"scale: long run {args.days:g} days × {args.gpus} GPUs at 1 Hz (2 s flush); team ledger "
        f"{args.runs:,} runs over a year; backends {', '.join(names)}; {args.repeat} rounds; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="ecoledger-scale-") as tmp,
        _backends(names, Path(tmp)) as new,
    ):
        folder = Path(tmp)
        for backend in names:
            rows += _scenario_rows(backend, new, folder, args, browser)
    missed = [row for row in rows if row.met is False]
    unmeasured = [row for row in rows if row.value is None]
    print(
        f"{len(rows) - len(unmeasured)} rows measured, {len(missed)} miss their target, "
        f"{len(unmeasured)} not measured"
    )
    return 1 if missed else 0


def _scenario_rows(
    backend: str, new: Callable[..., str], folder: Path, args: argparse.Namespace, browser: bool
) -> list[Row]:
    rows = _PrintedRows()
    started = time.perf_counter()
    # the reference: the same run, one minute long
    minute = new(backend, "minute")
    (minute_id,), minute_write_s, minute_samples = _build(
        minute, SyntheticSpec(days=MINUTE_DAYS, gpus=args.gpus, runs=1, end=END)
    )
    print(f"[{backend}] timing the 1-minute reference run", flush=True)
    ref = _steps_of_a_run(backend, minute, minute_id, folder, args.repeat, browser)
    ref_write = minute_samples / minute_write_s
    ref_full, ref_incremental = _verify_rows(minute, args.repeat)
    ref_runs = _command_s(["runs", "--ledger", minute], args.repeat)
    ref_project = _report_md_s(
        ["--project", PROJECT], folder / "ref-project.md", minute, args.repeat
    )

    print(f"[{backend}] writing the long run", flush=True)
    long = new(backend, "long")
    (long_id,), write_s, samples = _build(
        long, SyntheticSpec(days=args.days, gpus=args.gpus, runs=1, end=END)
    )
    scenario = f"{args.days:g}-day {args.gpus}-GPU run"
    rows.append(
        Row(
            backend,
            scenario,
            "write the run (ledger appends only)",
            samples / write_s,
            "samples/s",
            100_000,
            True,
            ref_write,
        )
    )
    steps = _steps_of_a_run(backend, long, long_id, folder, args.repeat, browser)
    targets = {
        "show --json": 1.0,
        "assess --json (10k draws)": 1.0,
        "report --format md": 3.0,
        "dashboard run page, first visit": 3.0,
    }
    for step, (value, why) in steps.items():
        rows.append(
            Row(backend, scenario, step, value, "s", targets[step], reference=ref[step][0], why=why)
        )
    for row in _verify_timed_rows(backend, scenario, long, args.repeat, ref_full, ref_incremental):
        rows.append(row)  # printed as measured
    rows.append(
        Row(
            backend,
            scenario,
            "ledger size",
            _size_mb(long),
            "MB",
            1500.0,
            reference=_size_mb(minute),
        )
    )

    print(f"[{backend}] writing the team ledger", flush=True)
    team = new(backend, "team")
    team_ids, _, _ = _build(
        team,
        # a year for 10,000 runs; fewer runs (a quick run) keep their length: a shorter span
        SyntheticSpec(
            days=YEAR_DAYS * min(1.0, args.runs / TEAM_RUNS),
            gpus=2,
            runs=args.runs,
            sample_hz=1 / 60,
            flush_s=300.0,
            end=END,
        ),
    )
    scenario = f"{args.runs:,}-run team ledger"
    newest = team_ids[-1]
    rows.append(
        Row(
            backend,
            scenario,
            "show --json (one run)",
            _command_s(["show", newest, "--json", "--ledger", team], args.repeat),
            "s",
            0.5,
            reference=ref["show --json"][0],
        )
    )
    rows.append(
        Row(
            backend,
            scenario,
            "runs (newest 50)",
            _command_s(["runs", "--ledger", team], args.repeat),
            "s",
            0.5,
            reference=ref_runs,
        )
    )
    rows.append(
        Row(
            backend,
            scenario,
            "report --format md --project",
            _report_md_s(["--project", PROJECT], folder / "project.md", team, 1),
            "s",
            10.0,
            reference=ref_project,
        )
    )
    if browser:
        seconds, peak = _dashboard_s(team, folder, "overview", None, 2)
        rows.append(Row(backend, scenario, "dashboard overview, first visit", seconds, "s", 3.0))
        rows.append(Row(backend, scenario, "dashboard server peak RSS", peak, "MB", 500.0))
    else:
        rows.append(
            Row(
                backend,
                scenario,
                "dashboard overview, first visit",
                None,
                "s",
                3.0,
                why="--no-browser",
            )
        )
    for row in _verify_timed_rows(backend, scenario, team, args.repeat, ref_full, ref_incremental):
        rows.append(row)  # printed as measured
    print(f"[{backend}] built and timed in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
