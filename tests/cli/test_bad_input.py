"""Every bad input of issue 2: one line naming the problem, exit code 2, the ledger unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import cli, file_digest


def _one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert lines[0].startswith("ecoledger: error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["run", "--country", "XYZ", "--", "true"], ["--country", "XYZ"]),
        (["run", "--pue", "-1.2", "--", "true"], ["--pue", "-1.2"]),
        (["run", "--pue", "0.9", "--", "true"], ["--pue", "≥ 1"]),
        (["run"], ["no command"]),
        (["run", "--"], ["no command"]),
        (["show", "ffffffffffff"], ["no run", "ffffffffffff"]),
        (["show", "abcdef12"], ["abcdef12", "matches 2 runs"]),
        (["show", "abc"], ["at least 8"]),
    ],
)
def test_bad_input_exits_2_and_leaves_ledger_unchanged(
    capsys: pytest.CaptureFixture[str], two_run_ledger: Path, argv: list[str], needles: list[str]
) -> None:
    before = file_digest(two_run_ledger)
    result = cli(capsys, *argv[:1], "--ledger", str(two_run_ledger), *argv[1:])
    assert result.code == 2
    _one_line_error(result.err, *needles)
    assert file_digest(two_run_ledger) == before


def test_ledger_in_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "l.db"
    result = cli(capsys, "run", "--ledger", str(missing), "--", "true")
    assert result.code == 2
    _one_line_error(result.err, "folder does not exist")
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    "content", [b"hello, I am a text file\n" * 40, b"SQLite format 3\x00" + b"\x00" * 100]
)
def test_file_that_is_not_a_ledger(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    for argv in (["runs"], ["show", "abcdef1234"], ["run", "--", "true"]):
        result = cli(capsys, argv[0], "--ledger", str(path), *argv[1:])
        assert result.code == 2, (argv, result)
        _one_line_error(result.err, "not an ecoledger ledger")
    assert path.read_bytes() == content


def test_foreign_sqlite_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    before = file_digest(path)
    result = cli(capsys, "runs", "--ledger", str(path))
    assert result.code == 2
    _one_line_error(result.err, "not an ecoledger ledger")
    assert file_digest(path) == before


def test_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "runs", "--colour", "blue")
    assert result.code == 2
    _one_line_error(result.err, "--colour")
