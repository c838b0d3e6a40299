"""``benchmarks/scale.py`` runs end to end at a tiny size and prints every row of issue 17's
target table with its target (the full size is run by hand: it takes hours here)."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.helpers import REPO

ROWS = (
    "write the run (ledger appends only)",
    "show --json",
    "assess --json (10k draws)",
    "report --format md",
    "dashboard run page, first visit",
    "verify (full)",
    "verify (incremental, 1,000 more entries)",
    "ledger size",
    "show --json (one run)",
    "runs (newest 50)",
    "report --format md --project",
    "dashboard overview, first visit",
)


def test_scale_benchmark_smoke() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/scale.py",
            "--days",
            "0.0002",
            "--gpus",
            "2",
            "--runs",
            "6",
            "--repeat",
            "1",
            "--backends",
            "sqlite",
            "--no-browser",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: a row misses its target
    out = done.stdout
    for row in ROWS:
        assert f": {row} " in out, row
    assert "target < 1 s" in out and "target ≥ 100000 samples/s" in out
    assert "×" in out  # the ratio to the 1-minute run
    assert out.count("not measured: --no-browser") == 2
    assert "12 rows measured" in out.splitlines()[-1]
