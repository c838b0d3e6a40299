"""``ecoledger dashboard``: refuses what is not a ledger before starting, binds to 127.0.0.1
unless told otherwise, and starts Streamlit headless with usage statistics off."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from ecoledger.cli.cmd_dashboard import streamlit_command
from tests.cli.helpers import cli, cli_process
from tests.dashboard.server import dashboard, free_port, healthy


def test_refuses_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a ledger\n")
    result = cli_process("dashboard", "--ledger", str(notes), "--port", str(free_port()))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"ecoledger: error: ledger: {notes} is not an ecoledger ledger (not a SQLite file)"
    ]
    assert "Streamlit" not in result.out + result.err
    assert notes.read_text() == "not a ledger\n"


def test_refuses_a_sqlite_database_of_another_program(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    subprocess.run(["python", "-c", f"import sqlite3; sqlite3.connect({str(other)!r}).execute('create table t(x)')"], check=True)  # fmt: skip
    result = cli_process("dashboard", "--ledger", str(other), "--port", str(free_port()))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "is not an ecoledger ledger" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "0"), "--port must be between 1 and 65535, got '0'"),
        (("--port", "http"), "--port must be a whole number, got 'http'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = cli(capsys, "dashboard", "--ledger", str(tmp_path / "l.db"), *args)
    assert result.code == 2
    assert result.err.strip() == f"ecoledger: error: argument --port: {message}"


def test_a_port_in_use_is_refused_before_starting(empty_ledger: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli_process("dashboard", "--ledger", str(empty_ledger), "--port", str(port))
    assert result.code == 2
    assert result.err.strip().startswith(
        f"ecoledger: error: --port: cannot listen on 127.0.0.1:{port}"
    )


def test_streamlit_runs_headless_without_usage_statistics() -> None:
    command = streamlit_command("127.0.0.1", 8501)
    pairs = dict(zip(command[3::2], command[4::2], strict=True))
    assert command[1:3] == ["-m", "dashboard.serve"]  # streamlit run dashboard/app.py, warmed
    assert pairs["--server.headless"] == "true"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--server.address"] == "127.0.0.1"


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # no packet is sent (UDP connect)
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_binds_to_loopback_by_default_and_warns_for_another_host(
    fixture_ledger, tmp_path: Path
) -> None:
    with dashboard(fixture_ledger.path, tmp_path) as server:
        assert healthy(server.url)
        other = _other_address()
        if other is not None:
            with pytest.raises(OSError):
                urllib.request.urlopen(f"http://{other}:{server.port}/_stcore/health", timeout=2)
        listening = Path("/proc/net/tcp").read_text()
        port_hex = f"{server.port:04X}"
        local = [line.split()[1] for line in listening.splitlines()[1:] if line.split()[3] == "0A"]
        assert f"0100007F:{port_hex}" in local, "listens on 127.0.0.1"
        assert f"00000000:{port_hex}" not in local, "not on every address"
    assert "warning" not in server.stderr()

    with dashboard(fixture_ledger.path, tmp_path, host="0.0.0.0") as server:
        assert healthy(server.url)
    assert "ecoledger: warning: the dashboard listens on 0.0.0.0" in server.stderr()
    assert "no authentication" in server.stderr()
