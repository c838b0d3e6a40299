"""Security: what ecoledger records, prints, creates and connects to.

- ``ecoledger run`` records the command with secrets redacted, never the environment;
- a PostgreSQL password never appears in output, errors, the ledger or the dashboard;
- a new SQLite ledger, its WAL/SHM files and a spill journal are 0600;
- the dashboard binds to 127.0.0.1 unless told otherwise; user strings reach SQL only as
  bound parameters (an AST scan, and injection attempts through the CLI);
- no network request of ecoledger's own, at import or at any command (an audit hook on
  ``socket.connect``/``getaddrinfo`` in the real CLI process; and ``unshare -n``).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ecoledger.cli.redact import redact_command
from tests.cli.helpers import REPO, cli_process, file_digest

SECRETS = ("S3cr3tApiKey", "hunter2pw", "ghp_T0KEN", "u:pa55@", "BearerXYZ", "EnvS3cret", "qT0k")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--api-key", "k1"], ["--api-key", "***"]),
        (["--password=p"], ["--password=***"]),
        (["--db-password", "p"], ["--db-password", "***"]),
        (
            ["HF_TOKEN=t", "AWS_SECRET_ACCESS_KEY=s", "LR=0.1"],
            ["HF_TOKEN=***", "AWS_SECRET_ACCESS_KEY=***", "LR=0.1"],
        ),
        (["postgresql://me:pw@db/x"], ["postgresql://me:***@db/x"]),
        (["https://h/p?token=abc&page=2"], ["https://h/p?token=***&page=2"]),
        (["-H", "Authorization: Bearer abc"], ["-H", "Authorization: ***"]),
        (
            ["--lr", "3e-4", "--epochs", "3", "data.csv"],
            ["--lr", "3e-4", "--epochs", "3", "data.csv"],
        ),
        (
            ["--keyfile", "k.pem", "--tokenizer", "bert"],
            ["--keyfile", "k.pem", "--tokenizer", "bert"],
        ),
    ],
)
def test_redaction_rules(argv: list[str], expected: list[str]) -> None:
    assert list(redact_command(argv)) == expected


def _ledger_bytes(path: Path) -> bytes:
    return b"".join(
        Path(str(path) + s).read_bytes() for s in ("", "-wal") if Path(str(path) + s).exists()
    )


def test_run_records_redacted_command_and_never_the_environment(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = cli_process(
        "run",
        "--ledger",
        str(ledger),
        "--",
        sys.executable,
        "-c",
        "pass",
        "--api-key",
        "S3cr3tApiKey",
        "PASSWORD=hunter2pw",
        "--token=ghp_T0KEN",
        "https://u:pa55@example.org/x?sig=1&token=qT0k",
        "-H",
        "Authorization: BearerXYZ",
        env={"MY_SERVICE_TOKEN": "EnvS3cret"},
    )
    assert done.code == 0, done.err
    show = cli_process("show", done.out.strip().splitlines()[-1], "--ledger", str(ledger), "--json")
    blob = _ledger_bytes(ledger) + done.out.encode() + done.err.encode() + show.out.encode()
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
    assert b"--api-key" in _ledger_bytes(ledger)  # the command is recorded, redacted


def test_postgres_password_never_shown(postgres_url: Callable[[], str], tmp_path: Path) -> None:
    url = postgres_url().replace("postgres@", "postgres:Pg5ecretPW@")
    runs = [
        cli_process("run", "--ledger", url, "--", sys.executable, "-c", "pass"),
        cli_process("runs", "--ledger", url),
        cli_process("runs", "--ledger", url, "--json"),
        cli_process("verify", "--ledger", url),
        cli_process("export", "--ledger", url, "--format", "jsonl", "--out", "-"),
        cli_process("show", "nosuchrun0", "--ledger", url),
        cli_process(
            "report",
            "--ledger",
            url,
            "--project",
            "none",
            "--format",
            "md",
            "--out",
            str(tmp_path / "r.md"),
        ),
        # unreachable server, and a wrong database: the error messages
        cli_process("runs", "--ledger", "postgresql://postgres:Pg5ecretPW@127.0.0.1:1/x"),
        cli_process("runs", "--ledger", url.rsplit("/", 1)[0] + "/nodb_here"),
        cli_process(
            "run", "--ledger", "postgresql://postgres:Pg5ecretPW@127.0.0.1:1/x", "--", "true"
        ),
    ]
    assert runs[0].code == 0, runs[0].err
    assert any("***" in r.err or "***" in r.out for r in runs[7:])
    for r in runs:
        assert "Pg5ecretPW" not in r.out + r.err, (r.out + r.err)[:500]
    for f in tmp_path.iterdir():
        assert b"Pg5ecretPW" not in f.read_bytes()


def test_dashboard_never_shows_a_postgres_password(
    postgres_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    url = postgres_url().replace("postgres@", "postgres:Pg5ecretPW@")
    assert cli_process("run", "--ledger", url, "--", sys.executable, "-c", "pass").code == 0
    monkeypatch.setenv("ECOLEDGER_LEDGER", url)
    app = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    app.run()
    assert "Pg5ecretPW" not in str(app._tree)
    bad = url.replace(url.rsplit(":", 1)[1].split("/")[0], "1")
    monkeypatch.setenv("ECOLEDGER_LEDGER", bad)
    broken = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    broken.run()
    assert "Pg5ecretPW" not in str(broken._tree)


def test_new_ledger_and_its_wal_are_private_whatever_the_umask(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    code = (
        "import os, sys; os.umask(0)\n"
        "from ecoledger.cli.main import main\n"
        "sys.exit(main(['run', '--ledger', sys.argv[1], '--', 'true']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ledger)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(ledger) + suffix)
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (suffix, oct(path.stat().st_mode))


def test_spill_journal_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accounting.entries import Problem
    from accounting.store.journal import Journal

    monkeypatch.setenv("ECOLEDGER_JOURNAL_DIR", str(tmp_path / "j"))
    os.umask(0)
    try:
        journal = Journal(str(tmp_path / "ledger.db"))
        journal.append([Problem(run_id="r" * 8, code="c", severity="info", message="m")])
    finally:
        os.umask(0o022)
    assert journal.path is not None
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    journal.close()


def test_dashboard_binds_to_loopback_by_default() -> None:
    from ecoledger.cli.cmd_dashboard import streamlit_command
    from ecoledger.cli.main import build_parser

    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1"
    command = streamlit_command(args.host, args.port)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"


SQL_CALLS = {"exec_driver_sql", "text", "execute", "executescript", "executemany"}


def _sql_calls_with_built_strings(root: Path) -> list[str]:
    """Calls that pass a string built at run time (f-string, %, +, .format) as SQL."""
    found = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in SQL_CALLS:
                continue
            arg = node.args[0]
            built = isinstance(arg, ast.JoinedStr | ast.BinOp) or (
                isinstance(arg, ast.Call)
                and isinstance(arg.func, ast.Attribute)
                and arg.func.attr == "format"
            )
            if built:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(arg)[:90]}")
    return found


def test_no_user_string_reaches_sql_except_as_a_bound_parameter() -> None:
    found = []
    for package in ("accounting", "dashboard", "ecoledger", "train_hooks", "meter"):
        found += _sql_calls_with_built_strings(REPO / package)
    # the only built SQL: numbers and names from the code itself, never user input
    allowed = (
        "busy_timeout=",
        "pg_advisory_xact_lock(",
        "schema.migrations.name",
        "max_page_count",
    )
    unexpected = [f for f in found if not any(a in f for a in allowed)]
    assert not unexpected, unexpected


def test_sql_injection_attempts_through_the_cli_change_nothing(two_run_ledger: Path) -> None:
    before = file_digest(two_run_ledger)
    attempts = [
        ("show", "abcdef12' OR '1'='1"),
        ("show", "'; DROP TABLE entries; --"),
        ("runs", "--project", "x' OR 1=1 --"),
        ("export", "--run", "%' OR 1=1 --", "--format", "jsonl", "--out", "-"),
    ]
    for argv in attempts:
        done = cli_process(*argv, "--ledger", str(two_run_ledger))
        assert done.code in (0, 2), done.err
        assert "Traceback" not in done.err
        if argv[0] == "runs":
            assert "abcdef12" not in done.out
    assert file_digest(two_run_ledger) == before
    assert cli_process("verify", "--ledger", str(two_run_ledger)).code == 0


GUARD = r"""
import json, socket, sys
events = []
def hook(name, args):
    if name == "socket.getaddrinfo" and args[0] not in (None, "", b""):
        events.append([name, repr(args[:2])])
    if name == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):
            events.append([name, repr(address)])
sys.addaudithook(hook)
import atexit
atexit.register(lambda: open(sys.argv[1], "w").write(json.dumps(events)))
argv = sys.argv[2:]
if argv == ["import"]:
    import ecoledger, meter, accounting, train_hooks  # noqa
    import dashboard  # noqa
    sys.exit(0)
from ecoledger.cli.main import main
sys.exit(main(argv))
"""


def _guarded(tmp_path: Path, *argv: str, timeout: float = 180) -> tuple[int, list[list[str]], str]:
    events = tmp_path / f"net-{len(list(tmp_path.glob('net-*')))}.json"
    done = subprocess.run(
        [sys.executable, "-c", GUARD, str(events), *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return done.returncode, json.loads(events.read_text()) if events.exists() else [], done.stderr


def test_no_network_at_import_or_at_any_command(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    code, events, err = _guarded(tmp_path, "import")
    assert code == 0 and events == [], (events, err)
    code, events, err = _guarded(tmp_path, "run", "--ledger", ledger, "--name", "n", "--", "true")
    assert code == 0 and events == [], (events, err)
    run_id = (tmp_path / "ledger.db").exists() and subprocess.run(
        [sys.executable, "-m", "ecoledger", "runs", "--ledger", ledger, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    assert run_id
    rid = json.loads(run_id)[0]["run_id"]
    for argv in (
        ["runs", "--ledger", ledger],
        ["show", rid, "--ledger", ledger, "--json"],
        ["verify", "--ledger", ledger],
        ["sources", "--json"],
        ["estimate", "--energy-kwh", "10", "--country", "FRA"],
        ["assess", rid, "--ledger", ledger],
        ["export", "--ledger", ledger, "--format", "csv", "--out", str(tmp_path / "e.csv")],
        ["report", rid, "--ledger", ledger, "--format", "md", "--out", str(tmp_path / "r.md")],
        ["demo", "--seconds", "2", "--ledger", str(tmp_path / "demo.db")],
    ):
        code, events, err = _guarded(tmp_path, *argv)
        assert code == 0, (argv, err[-2000:])
        assert events == [], (argv, events)


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="unshare -n needs root"
)
def test_commands_work_with_no_network_at_all(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    base = ["unshare", "-n", sys.executable, "-m", "ecoledger"]
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a network namespace here")
    done = subprocess.run(
        [*base, "run", "--ledger", ledger, "--", "true"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*base, "verify", "--ledger", ledger], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
