"""Tampered figures are never shown silently: ``show``, ``assess`` and the dashboard warn (one
line; a banner), ``report`` refuses unless ``--allow-unverified`` and then says so on its first
page. The check is incremental from the last verified point kept in the ledger's metadata."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accounting.entries import Problem
from accounting.store import open_ledger
from accounting.store.checkpoint import check_chain, read_mark
from accounting.store.verify import repair_triggers
from tests.cli.helpers import cli
from tests.fixtures.two_runs import RUN_IDS, write_two_run_ledger


def _tamper(path: Path) -> int:
    """Lower one energy figure behind ecoledger's back, then put the trigger back (so that
    only the chain can tell); return the edited seq."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER entries_no_update")
    seq, payload = conn.execute(
        "SELECT seq, payload FROM entries WHERE kind = 'energy' AND run_id = ? LIMIT 1",
        (RUN_IDS[0],),
    ).fetchone()
    edited = payload.replace('"joules":3600000.0', '"joules":36.0')
    assert edited != payload
    conn.execute("UPDATE entries SET payload = ? WHERE seq = ?", (edited, seq))
    conn.commit()
    conn.close()
    with open_ledger(str(path), create=False) as led:
        repair_triggers(led)
    return int(seq)


@pytest.fixture
def tampered(tmp_path: Path) -> tuple[Path, int]:
    path = write_two_run_ledger(tmp_path / "ledger.db")
    return path, _tamper(path)


def _one_warning(err: str, seq: int) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ecoledger: warning: the ledger does not verify")
    assert f"seq {seq}" in lines[0]


def test_show_and_assess_warn_in_one_line(tampered: tuple[Path, int], capsys: Any) -> None:
    """The edited run's rows are checked wherever they sit, even before the verified mark
    (which its writer kept at the head)."""
    path, seq = tampered
    for argv in (["show", RUN_IDS[0]], ["show", RUN_IDS[0], "--json"], ["assess", RUN_IDS[0]]):
        done = cli(capsys, *argv, "--ledger", str(path))
        assert done.code == 0, done.err
        _one_warning(done.err, seq)


@pytest.mark.parametrize(
    ("column", "value"), [("kind", "usage"), ("id", "f" * 32), ("run_id", RUN_IDS[0])]
)
def test_a_column_edited_before_the_mark_is_seen_on_the_run_shown(
    tmp_path: Path, capsys: Any, column: str, value: str
) -> None:
    """The row's payload and hash are untouched, so only its columns tell: an entry of the
    second run relabelled (kind, id) or moved into the first run, behind the verified mark."""
    path = write_two_run_ledger(tmp_path / "ledger.db")
    with open_ledger(str(path), create=False) as led:
        assert check_chain(led).ok
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER entries_no_update")
    (seq,) = conn.execute(
        "SELECT seq FROM entries WHERE kind = 'energy' AND run_id = ?", (RUN_IDS[1],)
    ).fetchone()
    conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (value, seq))
    conn.commit()
    conn.close()
    shown = RUN_IDS[0] if column == "run_id" else RUN_IDS[1]
    with open_ledger(str(path), create=False) as led:
        result = check_chain(led, [shown], save=False)
    assert not result.ok and result.first_bad_seq == seq
    assert "column differs from the payload" in result.reason


def test_an_edit_after_the_verified_mark_is_seen_from_any_run(tmp_path: Path, capsys: Any) -> None:
    path = write_two_run_ledger(tmp_path / "ledger.db")
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM ecoledger_meta")  # never verified: the check starts at seq 1
    conn.commit()
    conn.close()
    seq = _tamper(path)
    done = cli(capsys, "show", RUN_IDS[1], "--json", "--ledger", str(path))
    assert done.code == 0, done.err
    _one_warning(done.err, seq)


def test_a_recomputed_chain_after_an_edit_moves_the_mark_and_is_seen(
    tmp_path: Path, capsys: Any
) -> None:
    """Rehashing every row after the edit (so each link holds) changes the hash at the mark."""
    import hashlib

    path = write_two_run_ledger(tmp_path / "ledger.db")
    with open_ledger(str(path), create=False) as led:
        assert check_chain(led).ok  # a reader verified it: the mark is at the head
    seq = _tamper(path)
    conn = sqlite3.connect(path)
    conn.executescript("DROP TRIGGER entries_no_update;")
    rows = conn.execute("SELECT seq, payload, prev_hash FROM entries ORDER BY seq").fetchall()
    prev = (
        rows[seq - 2][1]
        and conn.execute("SELECT hash FROM entries WHERE seq = ?", (seq - 1,)).fetchone()[0]
    )
    for row_seq, payload, _ in rows[seq - 1 :]:
        digest = hashlib.sha256((prev + payload).encode()).hexdigest()
        conn.execute(
            "UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row_seq)
        )
        prev = digest
    conn.commit()
    conn.close()
    done = cli(capsys, "show", RUN_IDS[1], "--ledger", str(path))
    assert done.code == 0, done.err
    assert "does not verify" in done.err and "rewritten" in done.err


def test_an_intact_ledger_gives_no_warning(tmp_path: Path, capsys: Any) -> None:
    path = write_two_run_ledger(tmp_path / "ledger.db")
    done = cli(capsys, "show", RUN_IDS[0], "--ledger", str(path))
    assert done.code == 0 and done.err == ""


def test_report_refuses_an_unverified_ledger(
    tampered: tuple[Path, int], tmp_path: Path, capsys: Any
) -> None:
    path, seq = tampered
    out = tmp_path / "r.md"
    done = cli(
        capsys, "report", RUN_IDS[0], "--format", "md", "--out", str(out), "--ledger", str(path)
    )
    assert done.code == 1
    assert len(done.err.strip().splitlines()) == 1 and "--allow-unverified" in done.err
    assert f"seq {seq}" in done.err
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["md", "json", "model-card", "latex"])
def test_an_allowed_unverified_report_says_so_on_its_first_page(
    tampered: tuple[Path, int], tmp_path: Path, capsys: Any, fmt: str
) -> None:
    path, seq = tampered
    out = tmp_path / f"r.{fmt}"
    done = cli(
        capsys, "report", RUN_IDS[0], "--format", fmt, "--out", str(out), "--ledger", str(path),
        "--allow-unverified",
    )  # fmt: skip
    assert done.code == 0, done.err
    text = out.read_text()
    if fmt == "json":
        doc = json.loads(text)
        assert f"seq {seq}" in doc["provenance"]["unverified"]
        assert doc["statement"].startswith("WARNING: UNVERIFIED LEDGER")
    else:
        first_page = text[:2500]
        assert "UNVERIFIED LEDGER" in first_page


def test_the_dashboard_shows_a_banner(
    tampered: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dashboard.data
    from tests.dashboard.helpers import app

    path, seq = tampered
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(path))
    # the page waits for the background check (its banner otherwise comes a moment later)
    monkeypatch.setattr(dashboard.data, "CHAIN_WAIT_S", 120.0)
    at = app("runs", RUN_IDS[0]).run()  # the page of the edited run
    assert not at.exception, [e.value for e in at.exception]
    assert any("does not verify" in e.value for e in at.error)
    assert any(f"seq {seq}" in t.value for t in at.text)


def test_the_check_is_incremental_from_a_mark_kept_in_the_ledger(tmp_path: Path) -> None:
    path = write_two_run_ledger(tmp_path / "ledger.db")
    with open_ledger(str(path), create=False) as led:
        assert read_mark(led) is None  # never verified
        first = check_chain(led)
        assert first.ok and first.checked == led.count()
        assert read_mark(led) == (first.head_seq, first.head_hash)
        # the batching writer's flushes keep the mark at the head
        led.append([Problem(run_id=RUN_IDS[0], code="t", message="a")], keep_mark=True)
        assert read_mark(led) == led.head()
        assert check_chain(led).checked == 0
        # rows appended otherwise are recomputed, and only they
        led.append([Problem(run_id=RUN_IDS[0], code="t", message="b", at=datetime.now(UTC))])
        second = check_chain(led)
        assert second.ok and second.checked == 1
        assert read_mark(led) == (second.head_seq, second.head_hash)
    # entries cut from the end after the mark: no anchor needed
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = "
        f"{second.head_seq}; CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries "
        "BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
    )
    conn.close()
    with open_ledger(str(path), create=False) as led:
        cut = check_chain(led)
        assert not cut.ok and "removed from the end" in cut.reason
        assert read_mark(led) == (second.head_seq, second.head_hash), (
            "a failed check keeps the mark"
        )


def test_the_batching_writer_keeps_the_mark_at_the_head(tmp_path: Path) -> None:
    from accounting.store.writer import BufferedWriter

    path = write_two_run_ledger(tmp_path / "ledger.db")
    with open_ledger(str(path), create=False) as led:
        assert check_chain(led).ok
        writer = BufferedWriter(led, warn=lambda m: None)
        writer.put(Problem(run_id=RUN_IDS[0], code="t", message="flushed"))
        assert writer.close()
        assert read_mark(led) == led.head()
