"""`ecoledger verify --report`: passes on a fresh report, fails after a ledger edit (triggers
dropped, a payload changed) or a hand-edited figure in the report."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from accounting.entries import Benefit, EntrySource
from accounting.reports.verify_report import verify_report
from accounting.store import open_ledger
from tests.cli.helpers import cli
from tests.fixtures.report_ledger import FixtureIds
from tests.reports.helpers import read, report


def _verify(capsys: Any, ledger: Path, path: Path) -> Any:
    return cli(capsys, "verify", "--report", str(path), "--ledger", str(ledger))


def _make(capsys: Any, ids: FixtureIds, out: Path, fmt: str, *scope: str) -> Path:
    result = report(capsys, ids.path, *(scope or (ids.serve,)), "--format", fmt, "--out", str(out))
    assert result.code == 0, result.err
    return out


@pytest.mark.parametrize("fmt", ["json", "md", "latex", "model-card"])
def test_fresh_report_verifies(
    capsys: Any, tmp_path: Path, own_ledger: FixtureIds, fmt: str
) -> None:
    path = _make(capsys, own_ledger, tmp_path / f"r.{fmt}", fmt)
    result = _verify(capsys, own_ledger.path, path)
    assert result.code == 0, result.out + result.err
    assert "report verified" in result.out


def test_project_report_verifies_and_later_entries_do_not_break_it(
    capsys: Any, tmp_path: Path, own_ledger: FixtureIds
) -> None:
    path = _make(capsys, own_ledger, tmp_path / "p.json", "json", "--project", own_ledger.project)
    # a benefit declared after the report changes today's figures, not the report's
    with open_ledger(str(own_ledger.path)) as ledger:
        ledger.append(
            [
                Benefit(
                    run_id=own_ledger.train,
                    benefit_kind="social",
                    usd=500.0,
                    rationale="added later",
                    source=EntrySource(host="h"),
                )
            ]
        )
        check = verify_report(ledger, path)
    assert check.ok, check.message
    assert _verify(capsys, own_ledger.path, path).code == 0
    # a new report does see it
    fresh = _make(capsys, own_ledger, tmp_path / "p2.json", "json", "--project", own_ledger.project)
    assert json.loads(read(fresh))["totals"]["social_benefit"] == pytest.approx(501.0)


def _tamper(ledger: Path, sql: str) -> None:
    conn = sqlite3.connect(ledger)
    conn.executescript(
        "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;"
    )
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_edited_ledger_fails(capsys: Any, tmp_path: Path, own_ledger: FixtureIds) -> None:
    path = _make(capsys, own_ledger, tmp_path / "r.json", "json")
    # double the GPU energy of the inference run (the payload only: the hash no longer fits)
    conn = sqlite3.connect(own_ledger.path)
    seq, payload = conn.execute(
        "SELECT seq, payload FROM entries WHERE run_id = ? AND kind = 'energy' ORDER BY seq LIMIT 1",
        (own_ledger.serve,),
    ).fetchone()
    conn.close()
    data = json.loads(payload)
    data["joules"] = data["joules"] * 2
    edited = json.dumps(data, sort_keys=True, separators=(",", ":"))
    _tamper(own_ledger.path, f"UPDATE entries SET payload = '{edited}' WHERE seq = {seq}")
    result = _verify(capsys, own_ledger.path, path)
    assert result.code == 1
    assert f"seq {seq}" in result.out and "NOT verified" in result.out


def test_edited_ledger_after_the_anchor_of_another_run_still_checks_the_chain(
    capsys: Any, tmp_path: Path, own_ledger: FixtureIds
) -> None:
    path = _make(capsys, own_ledger, tmp_path / "r.json", "json", own_ledger.train)
    _tamper(own_ledger.path, "DELETE FROM entries WHERE seq = 2")
    assert _verify(capsys, own_ledger.path, path).code == 1


@pytest.mark.parametrize(
    ("fmt", "old", "new"),
    [
        ("json", '"operational_kgco2e": 0.0', '"operational_kgco2e": 0.1'),
        ("md", "| Operational emissions | 0.00", "| Operational emissions | 0.01"),
        ("latex", "Operational emissions & 0.00", "Operational emissions & 0.01"),
    ],
)
def test_hand_edited_figure_fails(
    capsys: Any, tmp_path: Path, own_ledger: FixtureIds, fmt: str, old: str, new: str
) -> None:
    path = _make(capsys, own_ledger, tmp_path / f"r.{fmt}", fmt)
    text = read(path)
    assert old in text, text[:3000]
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = _verify(capsys, own_ledger.path, path)
    assert result.code == 1, result.out
    assert "NOT verified" in result.out
    if fmt == "json":
        assert "totals.operational_kgco2e" in result.out


def test_a_file_that_is_not_a_report_is_bad_input(
    capsys: Any, tmp_path: Path, own_ledger: FixtureIds
) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# my notes\n", encoding="utf-8")
    result = _verify(capsys, own_ledger.path, path)
    assert result.code == 2 and "no ecoledger provenance" in result.err
