"""Secrets in a recorded command: none reaches the ledger's bytes (WAL included),
``show --json``, ``runs --json``, any report format or any export.

Each secret below carries a marker found nowhere else; the test looks for the markers.
The expected redactions are written by hand.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from accounting.store.masking import mask_url
from ecoledger.cli.redact import redact_command
from tests.cli.helpers import cli_process

SECRETS = {
    "sk-proj-Mk1aaaaaaaaaaaa": "sk-proj-***",
    "sk-Mk2bbbbbbbbbbbb": "sk-***",
    "ghp_Mk3cccccccccccccccc": "ghp_***",
    "github_pat_Mk4dddddddddddd": "github_pat_***",
    "hf_Mk5eeeeeeeeeeee": "hf_***",
    "AKIAMK6FFFFFFFFFFFFF": "AKIA***",
    "xoxb-Mk7gggggggggg": "xoxb-***",
    "glpat-Mk8hhhhhhhhhhhh": "glpat-***",
    "Bearer Mk9iiii": "Bearer ***",
    '{"api_key": "MkAjjjj"}': '{"api_key": "***"}',
    "postgresql://me:Mk/Bkk@db/x": "postgresql://me:***@db/x",
    "https://u:Mk@Cll@host/x": "https://u:***@host/x",
    "https://host/x?password=MkDmm&page=2": "https://host/x?password=***&page=2",
}
OPTIONS = [("--pw", "MkEnn"), ("--passwd", "MkFoo"), ("--secret-file", "MkGpp")]
SHELL = "true # curl -H 'Authorization: Bearer MkHqq' --password MkIrr"
MARKERS = [
    "Mk1",
    "Mk2",
    "Mk3",
    "Mk4",
    "Mk5",
    "MK6",
    "Mk7",
    "Mk8",
    "Mk9",
    "MkA",
    "Mk/B",
    "Mk@C",
    "MkD",
    "MkE",
    "MkF",
    "MkG",
    "MkH",
    "MkI",
]


def command() -> list[str]:
    argv = ["sh", "-c", SHELL, "sh", *SECRETS]
    for option, value in OPTIONS:
        argv += [option, value]
    return argv


def test_each_secret_is_redacted_as_written_by_hand() -> None:
    redacted = redact_command(command())
    assert redacted[2] == "true # curl -H 'Authorization: Bearer ***' --password ***"
    assert list(redacted[4 : 4 + len(SECRETS)]) == list(SECRETS.values())
    assert list(redacted[4 + len(SECRETS) :]) == [
        "--pw",
        "***",
        "--passwd",
        "***",
        "--secret-file",
        "***",
    ]


def test_p_is_left_alone_as_it_is_often_a_port() -> None:
    assert redact_command(["psql", "-p", "5432", "-h", "db"]) == ("psql", "-p", "5432", "-h", "db")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://me@db:5432/x?password=hunter2", "postgresql://me@db:5432/x?password=***"),
        ("postgresql://me@db/x?sslmode=require&password=a%2Fb", "postgresql://me@db/x?sslmode=require&password=***"),
        ("postgresql://me:s3cret@db/x", "postgresql://me:***@db/x"),
        ("postgresql://me:a@b@db/x", "postgresql://me:***@db/x"),
        ("postgresql://me:a/b@db/x", "postgresql://me:***@db/x"),
        ("postgresql://me@db:5432/x", "postgresql://me@db:5432/x"),
        ("connection failed: host=db password=abc user=me", "connection failed: host=db password=*** user=me"),
    ],
)  # fmt: skip
def test_one_function_masks_ledger_urls(text: str, expected: str) -> None:
    assert mask_url(text) == expected


def test_a_query_password_is_masked_in_errors() -> None:
    url = "postgresql://me@127.0.0.1:1/x?password=MkJss"
    for argv in (["runs", "--ledger", url], ["verify", "--ledger", url, "--json"]):
        done = cli_process(*argv, timeout=60)
        assert done.code != 0
        assert "MkJ" not in done.out + done.err, done.err
        assert "password=***" in done.err, done.err


def test_no_secret_in_the_ledger_outputs_reports_or_exports(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = cli_process("run", "--ledger", str(ledger), "--", *command())
    assert done.code == 0, done.err
    run_id = done.out.strip().splitlines()[-1]
    texts = {"run": done.out + done.err}
    # the bytes of the ledger, before and after a checkpoint (the WAL, then the main file)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*") if p.is_file())
    with sqlite3.connect(ledger) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw += ledger.read_bytes()
    texts["ledger bytes"] = raw.decode("latin-1")
    for name, argv in {
        "show --json": ["show", run_id, "--json"],
        "runs --json": ["runs", "--json"],
        "show": ["show", run_id],
    }.items():
        result = cli_process(*argv, "--ledger", str(ledger))
        assert result.code == 0, result.err
        texts[name] = result.out
    for fmt in ("md", "json", "html", "latex", "model-card"):
        out = tmp_path / f"report.{fmt}"
        result = cli_process(
            "report", run_id, "--ledger", str(ledger), "--format", fmt, "--out", str(out)
        )
        assert result.code == 0, result.err
        texts[f"report {fmt}"] = out.read_text()
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"export.{fmt}"
        result = cli_process("export", "--ledger", str(ledger), "--format", fmt, "--out", str(out))
        assert result.code == 0, result.err
        texts[f"export {fmt}"] = out.read_text()
    assert "sk-proj-***" in texts["show --json"]  # the command is there, redacted
    leaks = [(where, m) for where, text in texts.items() for m in MARKERS if m in text]
    assert leaks == []


def test_a_postgresql_query_password_is_masked_in_every_output(
    postgres_url: Callable[[], str], tmp_path: Path
) -> None:
    """``?password=`` (libpq accepts it; the test server trusts, so it is ignored there)."""
    url = postgres_url() + "?password=PgQu3ryPW"
    done = cli_process("run", "--ledger", url, "--", "true")
    assert done.code == 0, done.err
    run_id = done.out.strip().splitlines()[-1]
    sqlite_ledger = tmp_path / "src.db"
    assert cli_process("run", "--ledger", str(sqlite_ledger), "--", "true").code == 0
    other = postgres_url() + "?sslmode=disable&password=PgQu3ryPW"
    outputs = [
        done,
        cli_process("runs", "--ledger", url),
        cli_process("verify", "--ledger", url, "--json"),
        cli_process("ledger", "copy", str(sqlite_ledger), other),
        cli_process(
            "report", run_id, "--ledger", url, "--format", "md", "--out", str(tmp_path / "r.md")
        ),  # fmt: skip
        cli_process(
            "report", run_id, "--ledger", url, "--format", "json", "--out", str(tmp_path / "r.json")
        ),  # fmt: skip
    ]
    for result in outputs:
        assert result.code == 0, result.err
        assert "PgQu3ryPW" not in result.out + result.err, result.out + result.err
    assert "password=***" in outputs[2].out  # verify --json names the ledger, masked
    for report in ("r.md", "r.json"):
        text = (tmp_path / report).read_text()
        assert "PgQu3ryPW" not in text and "password=***" in text
