"""A run named with terminal escapes, newlines, bidi overrides and bytes that are not UTF-8.

Every output (``run``'s summary, ``runs``, ``show``, ``assess``, and the md, latex, html and
model-card reports) carries no control character but the line breaks of its own layout,
and no forged row; the name is refused when it holds NUL or is longer than 200 characters;
the job's exit code passes through.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, cli_process

# retitle the terminal, clear the screen, a forged second row, a right-to-left override
HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\nfake-run  completed\r\u202eredro\x9b31m"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run_bytes(argv: list[bytes], ledger: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable.encode(), b"-m", b"ecoledger", b"run", b"--ledger", bytes(ledger), *argv],
        capture_output=True,
        cwd=REPO,
        env={**os.environ},
        timeout=120,
    )


@pytest.fixture(scope="module")
def hostile_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    ledger = tmp_path_factory.mktemp("hostile") / "ledger.db"
    done = run_bytes(
        [b"--name", HOSTILE.encode(), b"--project", b"p\x1b[31m", b"--", b"true"], ledger
    )
    assert done.returncode == 0, done.stderr
    assert not CONTROL.search(done.stdout.decode()), done.stdout  # the summary at the end
    return ledger, done.stdout.decode().strip().splitlines()[-1]


def test_terminal_outputs_escape_control_characters(hostile_ledger: tuple[Path, str]) -> None:
    ledger, run_id = hostile_ledger
    runs = cli_process("runs", "--ledger", str(ledger))
    assert runs.code == 0 and not CONTROL.search(runs.out), repr(runs.out)
    assert len(runs.out.strip().splitlines()) == 2  # the header and one run: no forged row
    assert "evil\\x1b]0;pwned\\x07" in runs.out
    for argv in (["show", run_id], ["assess", run_id]):
        done = cli_process(*argv, "--ledger", str(ledger))
        assert done.code == 0, done.err
        assert not CONTROL.search(done.out), repr(done.out)
        assert "fake-run" not in [line.split()[0] for line in done.out.splitlines() if line]


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "model-card"])
def test_reports_carry_no_control_character(
    hostile_ledger: tuple[Path, str], fmt: str, tmp_path: Path
) -> None:
    ledger, run_id = hostile_ledger
    out = tmp_path / f"report.{fmt}"
    done = cli_process(
        "report", run_id, "--ledger", str(ledger), "--format", fmt, "--out", str(out)
    )
    assert done.code == 0, done.err
    text = out.read_text()
    assert not CONTROL.search(text), repr(CONTROL.search(text))


def test_bytes_that_are_not_utf8_are_recorded_escaped(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = run_bytes(
        [b"--name", b"na\xffme", b"--tag", b"t\xfe", b"--", b"sh", b"-c", b"exit 7", b"a\xffb"],
        ledger,
    )
    assert done.returncode == 7, done.stderr  # the job's exit code passes through
    run_id = done.stdout.decode().strip().splitlines()[-1]
    shown = cli_process("show", run_id, "--ledger", str(ledger), "--json").json()
    assert shown["name"] == "na\\xffme"
    assert shown["tags"] == ["t\\xfe"]
    assert shown["command"] == ["sh", "-c", "exit 7", "a\\xffb"]
    assert (shown["status"], shown["exit_code"]) == ("failed", 7)
    assert not list(Path(str(ledger) + ".journal").glob("*"))  # nothing left waiting


def test_a_command_that_is_not_utf8_gets_an_escaped_default_name(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = run_bytes([b"--", b"sh", b"-c", b"exit 0", b"\xff"], ledger)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.decode().strip().splitlines()[-1]
    shown = cli_process("show", run_id, "--ledger", str(ledger), "--json").json()
    assert shown["name"] == "sh -c exit 0 \\xff"


@pytest.mark.parametrize("option", ["--name", "--project", "--tag"])
def test_names_longer_than_200_characters_are_refused(option: str, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = cli_process("run", "--ledger", str(ledger), option, "x" * 201, "--", "true")
    assert done.code == 2
    assert done.err.count("\n") == 1 and option in done.err and "200" in done.err
    assert not ledger.exists()  # refused before anything was recorded


def test_track_refuses_nul_and_long_names(tmp_path: Path) -> None:
    code = (
        "import sys, ecoledger\n"
        "for name in ('a\\x00b', 'x' * 201):\n"
        "    try:\n"
        f"        ecoledger.track(name=name, ledger={str(tmp_path / 'l.db')!r}).__enter__()\n"
        "    except ValueError as exc:\n"
        "        print('refused:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.count("refused: name must be at most 200 characters") == 2, done.stderr
