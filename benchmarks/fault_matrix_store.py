"""Fault-matrix rows for the store's hardening (issue 14, part A): attacks on the journal,
the chain and what reads it. ``benchmarks/fault_matrix.py`` calls :func:`store_rows`.

Each row injects the attack into real ledgers (SQLite files, the real CLI in subprocesses)
and reads back what happened. ``row_type`` is the matrix's ``Row`` (passed in, so this file
imports nothing from the script that runs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecoledger", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def _verify_ok(ledger: Path) -> bool:
    return _cli("verify", "--ledger", str(ledger)).returncode == 0


def planted_journal(work: Path, row_type: Callable[..., Any]) -> Any:
    from accounting.canonical import canonical_json
    from accounting.entries import Benefit
    from accounting.store import open_ledger

    row = row_type(
        "journal planted by another local user",
        "`runuser -u nobody` creates `<ledger>.journal/` in a sticky 1777 folder with a "
        "canonical Benefit of 123,456,789 USD for the victim's run; the victim runs again",
    )
    if os.geteuid() != 0 or not shutil.which("runuser"):
        row.notes.append("skipped: needs root and runuser")
        return row
    shared = Path(tempfile.mkdtemp(prefix="ecoledger-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        ledger = shared / "ledger.db"
        first = _cli("run", "--ledger", str(ledger), "--", "true")
        run_id = first.stdout.strip().splitlines()[-1]
        line = canonical_json(
            Benefit(run_id=run_id, benefit_kind="social", usd=123_456_789.0, rationale="x")
        )
        planted = shared / "ledger.db.journal" / "evil-1-x.jsonl"
        subprocess.run(
            [
                "runuser", "-u", "nobody", "--", "sh", "-c",
                'umask 077 && mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" > "$1"',
                "sh", str(planted), line,
            ],
            check=True,
        )  # fmt: skip
        again = _cli("run", "--ledger", str(ledger), "--", "true")
        with open_ledger(str(ledger), create=False) as led:
            benefits = led.count("benefit")
        warned = "not replayed" in again.stderr and str(planted.parent) in again.stderr
        row.trials = 1
        row.outcomes.append(
            f"job {'exit 0' if again.returncode == 0 else f'exit {again.returncode}'}; "
            f"{benefits} planted entries replayed; file {'kept' if planted.exists() else '**deleted**'}; "
            f"warning naming it: {'yes' if warned else '**no**'}"
        )
        row.statuses.append("completed" if again.returncode == 0 else "**failed**")
        row.verify.append(_verify_ok(ledger))
        row.ok.append(again.returncode == 0 and benefits == 0 and planted.exists() and warned)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    return row


def corrupt_journal(work: Path, row_type: Callable[..., Any]) -> Any:
    from accounting.canonical import canonical_json
    from accounting.entries import Problem, RunStarted
    from accounting.store import open_ledger
    from accounting.store.writer import BufferedWriter

    row = row_type(
        "corrupt journal file sorting first",
        "two stranded journals beside a ledger: the first starts with a line of junk, the "
        "second holds one entry; a new writer starts",
    )
    folder = work / "corrupt.db.journal"
    folder.mkdir(mode=0o700)
    run = "c" * 32
    with open_ledger(str(work / "corrupt.db")) as led:
        led.append([RunStarted(run_id=run, name="c", started_at=datetime.now(UTC))])
        good = Problem(run_id=run, code="t", severity="info", message="kept")
        for name, text in (("a.jsonl", "{junk\n" + canonical_json(good) + "\n"),
                           ("b.jsonl", canonical_json(good) + "\n")):  # fmt: skip
            fd = os.open(folder / name, os.O_CREAT | os.O_WRONLY, 0o600)
            os.write(fd, text.encode())
            os.close(fd)
        warnings: list[str] = []
        replayed = BufferedWriter(led, warn=warnings.append).replay_leftovers()
        aside = (folder / "a.jsonl.corrupt").exists()
    row.trials = 1
    row.outcomes.append(
        f"{replayed} entry replayed from the good journal; corrupt one "
        f"{'moved aside (*.corrupt)' if aside else '**left in place**'}; {len(warnings)} warning"
    )
    row.statuses.append("—")
    row.verify.append(_verify_ok(work / "corrupt.db"))
    row.ok.append(replayed == 1 and aside and len(warnings) == 1)
    return row


def store_rows(work: Path, row_type: Callable[..., Any]) -> list[Any]:
    folder = work / "store-hardening"
    folder.mkdir(exist_ok=True)
    return [
        planted_journal(folder, row_type),
        corrupt_journal(folder, row_type),
    ]
