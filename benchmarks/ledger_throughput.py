"""Ledger throughput, measured side by side with a plain-sqlite3 baseline in the same run.

    python benchmarks/ledger_throughput.py            # full run (a few minutes on 2 cores)
    python benchmarks/ledger_throughput.py --quick    # smaller counts, same shape

Measures, on SQLite (a file, WAL) and, where a throwaway PostgreSQL 15 can be started, on
PostgreSQL:
  1. Energy entries appended one at a time and in batches of 1,000, against plain ``sqlite3``
     inserting the same rows (same canonical JSON) into a table of the same shape, with no
     chain: the ratio is what hash chaining, the append lock and SQLAlchemy cost.
  2. Power samples per second, batched (PowerSample entries of 1,000 samples). Target ≥ 100,000/s.
  3. 8 concurrent writer processes × N appends: entries/s, lost, duplicated, verify.
  4. Reading back a 1,000,000-sample run downsampled to 2,000 points. Target < 1 s.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_entries import gpu_window  # noqa: E402

from accounting.canonical import canonical_json  # noqa: E402
from accounting.entries import Energy, PowerSample  # noqa: E402
from accounting.store import open_ledger, verify  # noqa: E402
from tests.fixtures.postgres import PostgresUnavailable, ThrowawayPostgres  # noqa: E402

REPEATS = 3
WORKER = ROOT / "tests" / "store" / "append_worker.py"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BASELINE_DDL = """
CREATE TABLE entries (seq INTEGER PRIMARY KEY, id VARCHAR(64) NOT NULL UNIQUE,
  run_id VARCHAR(64) NOT NULL, kind VARCHAR(32) NOT NULL, recorded_at VARCHAR(40) NOT NULL,
  payload TEXT NOT NULL, prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL);
CREATE INDEX ix_entries_run_kind ON entries (run_id, kind);
CREATE INDEX ix_entries_kind_recorded ON entries (kind, recorded_at);
"""


def energies(n: int, run_id: str = "bench") -> list[Energy]:
    return [
        gpu_window(run_id, T0 + timedelta(seconds=i), 1, 1.5 * i, "bench gpu") for i in range(n)
    ]


def power_batches(n_batches: int, per_batch: int, run_id: str) -> list[PowerSample]:
    out = []
    for b in range(n_batches):
        t = [1.7e9 + (b * per_batch + i) * 0.1 for i in range(per_batch)]
        out.append(
            PowerSample(
                run_id=run_id,
                device_id="gpu:0",
                device_kind="gpu",
                method="nvml_power_sampled",
                t_s=tuple(t),
                power_w=tuple(250.0 + (i % 50) for i in range(per_batch)),
            )
        )
    return out


# -- baseline: plain sqlite3 ---------------------------------------------------------------
def baseline_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(BASELINE_DDL)
    return conn


def baseline_rows(batch: list[Energy], start_seq: int) -> list[tuple]:
    return [
        (
            start_seq + i,
            e.id,
            e.run_id,
            e.kind,
            e.recorded_at.isoformat(),
            canonical_json(e),
            "",
            "",
        )
        for i, e in enumerate(batch)
    ]


def baseline(path: Path, batches: list[list[Energy]], serialize: bool) -> float:
    """Seconds to insert every batch (one transaction each) with executemany."""
    conn = baseline_conn(path)
    ready = None if serialize else [baseline_rows(b, 1 + i * len(b)) for i, b in enumerate(batches)]
    sql = "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?)"
    seq = 1
    start = time.perf_counter()
    for i, batch in enumerate(batches):
        rows = baseline_rows(batch, seq) if ready is None else ready[i]
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        seq += len(batch)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def ledger_time(location: str, batches: list[list]) -> float:
    with open_ledger(location) as ledger:
        start = time.perf_counter()
        for batch in batches:
            ledger.append(batch)
        return time.perf_counter() - start


# -- the measurements ----------------------------------------------------------------------
def appends(tmp: Path, n_single: int, n_batched: int) -> None:
    print(f"\n1. Energy entries appended (SQLite file, WAL; best of {REPEATS})")
    single = [[e] for e in energies(n_single)]
    batched_entries = energies(n_batched)
    batched = [batched_entries[i : i + 1000] for i in range(0, n_batched, 1000)]
    rows = []
    for label, batches, n in (
        ("one at a time", single, n_single),
        ("batches of 1,000", batched, n_batched),
    ):
        plain = plain_ser = chained = float("inf")
        for attempt in range(REPEATS):  # best of REPEATS, interleaved, fresh files each time
            tag = f"{n}-{len(batches)}-{attempt}"
            plain = min(plain, baseline(tmp / f"plain-{tag}.db", batches, serialize=False))
            plain_ser = min(plain_ser, baseline(tmp / f"ser-{tag}.db", batches, serialize=True))
            chained = min(chained, ledger_time(str(tmp / f"ledger-{tag}.db"), batches))
        rows.append(
            (label, n, n / plain, n / plain_ser, n / chained, chained / plain_ser, chained / plain)
        )
    print(
        f"  {'':18} {'entries':>8} {'plain/s':>10} {'plain+json/s':>13} {'ledger/s':>10}"
        f" {'ledger÷(plain+json)':>20} {'ledger÷plain':>13}"
    )
    for label, n, a, b, c, r1, r2 in rows:
        print(f"  {label:18} {n:>8} {a:>10,.0f} {b:>13,.0f} {c:>10,.0f} {r1:>19.2f}× {r2:>12.2f}×")
    print(
        "  plain = sqlite3 executemany of pre-serialized rows; plain+json = the same, serializing"
    )
    print("  the same canonical JSON inside the timing; ledger = Ledger.append (chain + lock).")
    print("  target (issue 17): batches of 1,000 at ≤ 2× plain.")


def samples_rate(location: str, label: str, n_batches: int, per_batch: int) -> float:
    batches = power_batches(n_batches, per_batch, "samples")
    with open_ledger(location) as ledger:
        start = time.perf_counter()
        for batch in batches:
            ledger.append([batch])
        elapsed = time.perf_counter() - start
    rate = n_batches * per_batch / elapsed
    print(
        f"  {label:10} {n_batches * per_batch:>9,} samples in {elapsed:6.2f} s = {rate:>10,.0f} samples/s"
    )
    return rate


def concurrent(location: str, label: str, writers: int, per_writer: int, batch: int = 1) -> None:
    open_ledger(location).close()
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), location, str(per_writer), str(batch), f"w{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        for i in range(writers)
    ]
    outputs = [p.communicate()[0] for p in procs]
    elapsed = time.perf_counter() - start
    failed = sum(p.returncode != 0 for p in procs)
    locked = sum("locked" in out for out in outputs)
    with open_ledger(location) as ledger:
        rows = list(ledger.iter_stored())
        result = verify(ledger)
    ids = Counter(row.id for row in rows)
    expected = writers * per_writer
    print(
        f"  {label:10} {writers} × {per_writer} (batch {batch}): {len(rows):,} entries in {elapsed:6.1f} s"
        f" = {len(rows) / elapsed:>7,.0f} entries/s; lost {expected - len(set(ids))},"
        f" duplicated {sum(c - 1 for c in ids.values())}, failed writers {failed},"
        f" 'database is locked' {locked}, verify {'passes' if result.ok else 'FAILS: ' + result.message}"
    )


def read_back(location: str, label: str, total: int, per_batch: int) -> None:
    run_id = f"read{per_batch}"
    with open_ledger(location) as ledger:
        batches = power_batches(total // per_batch, per_batch, run_id)
        for i in range(0, len(batches), 200):
            ledger.append(batches[i : i + 200])
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            [series] = ledger.power_series(run_id, max_points=2000)
            best = min(best, time.perf_counter() - start)
    print(
        f"  {label:10} {series.samples:,} samples in batches of {per_batch:,} → {len(series.t_s):,} points"
        f" in {best:.3f} s (target < 1 s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    n_single, n_batched = int(5000 * scale), int(100_000 * scale)
    per_writer = int(2000 * scale)
    with tempfile.TemporaryDirectory(prefix="ecoledger-bench-") as folder:
        tmp = Path(folder)
        pg = ThrowawayPostgres()
        try:
            pg.start()
        except PostgresUnavailable as exc:
            print(f"(PostgreSQL unavailable, its rows are skipped: {exc})")
            pg.stop()
            pg = None  # type: ignore[assignment]
        try:
            print(
                f"ecoledger ledger throughput (python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version})"
            )
            appends(tmp, n_single, n_batched)
            print(
                "\n2. Power samples, batched (PowerSample entries of 1,000 samples, one append each)"
            )
            samples_rate(str(tmp / "samples.db"), "SQLite", int(200 * scale), 1000)
            if pg:
                samples_rate(pg.new_database("bench"), "PostgreSQL", int(200 * scale), 1000)
            print("\n3. Concurrent writer processes (8 processes; wall time includes their start)")
            for batch in (1, 100):
                concurrent(str(tmp / f"concurrent{batch}.db"), "SQLite", 8, per_writer, batch)
                if pg:
                    concurrent(pg.new_database("bench"), "PostgreSQL", 8, per_writer, batch)
            print(
                "\n4. Reading back a run's power samples, downsampled to 2,000 points (best of 3)"
            )
            total = int(1_000_000 * scale)
            read_back(str(tmp / "read.db"), "SQLite", total, 1000)
            read_back(str(tmp / "read.db"), "SQLite", total, 100)
            if pg:
                url = pg.new_database("bench")
                read_back(url, "PostgreSQL", total, 1000)
        finally:
            if pg:
                pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
