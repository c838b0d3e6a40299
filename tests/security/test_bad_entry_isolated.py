"""One entry that does not parse must not take the whole ledger down: it becomes an
``entry_invalid`` problem on its run, naming its seq, and every other run still reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.cli.helpers import cli
from tests.fixtures.two_runs import RUN_IDS, write_two_run_ledger


def _break(path: Path, kind: str, run_id: str, new_payload_sql: str) -> int:
    """Rewrite one entry's payload behind ecoledger's back; return its seq."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER entries_no_update")
    seq = conn.execute(
        "SELECT seq FROM entries WHERE kind = ? AND run_id = ? ORDER BY seq LIMIT 1",
        (kind, run_id),
    ).fetchone()[0]
    conn.execute(f"UPDATE entries SET payload = {new_payload_sql} WHERE seq = ?", (seq,))
    conn.commit()
    conn.close()
    return int(seq)


def test_a_bad_energy_entry_is_a_problem_on_its_run_and_the_others_read(
    tmp_path: Path, capsys: Any
) -> None:
    ledger = write_two_run_ledger(tmp_path / "ledger.db")
    bad_run, good_run = RUN_IDS
    seq = _break(
        ledger, "energy", bad_run, 'replace(payload, \'"joules":\', \'"joules":"x","j":\')'
    )

    runs = cli(capsys, "runs", "--ledger", str(ledger), "--json")
    assert runs.code == 0, runs.err
    assert {r["run_id"] for r in runs.json()} == set(RUN_IDS)

    good = cli(capsys, "show", good_run, "--ledger", str(ledger), "--json")
    assert good.code == 0, good.err
    assert good.json()["energy_it_kwh"] == 1.0  # 3.6 MJ, untouched
    assert not [p for p in good.json()["problems"] if p["code"] == "entry_invalid"]

    bad = cli(capsys, "show", bad_run, "--ledger", str(ledger), "--json")
    assert bad.code == 0, bad.err
    invalid = [p for p in bad.json()["problems"] if p["code"] == "entry_invalid"]
    assert len(invalid) == 1 and f"seq {seq}" in invalid[0]["message"]
    assert bad.json()["energy_it_kwh"] == 0.0  # the bad segment is left out, never guessed
    text = cli(capsys, "show", bad_run, "--ledger", str(ledger))
    assert text.code == 0 and "entry_invalid" in text.out


def test_a_bad_run_started_still_lists_its_run(tmp_path: Path, capsys: Any) -> None:
    ledger = write_two_run_ledger(tmp_path / "ledger.db")
    bad_run, good_run = RUN_IDS
    seq = _break(ledger, "run_started", bad_run, '\'{"kind":"run_started"}\'')

    runs = cli(capsys, "runs", "--ledger", str(ledger))
    assert runs.code == 0, runs.err
    assert f"(run_started at seq {seq} does not parse)" in runs.out
    assert good_run[:8] in runs.out
    bad = cli(capsys, "show", bad_run, "--ledger", str(ledger), "--json")
    assert bad.code == 0, bad.err
    assert any(p["code"] == "entry_invalid" for p in bad.json()["problems"])
