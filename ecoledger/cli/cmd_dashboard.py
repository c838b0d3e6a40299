"""``ecoledger dashboard``: start the Streamlit cost dashboard on a ledger.

The ledger is checked here, before Streamlit starts: a file that is not a ledger is one
line and exit code 2. The dashboard binds to 127.0.0.1 unless ``--host`` says otherwise
(with a warning: Streamlit has no authentication). Usage statistics are off and the page
loads nothing from outside the machine. The process becomes Streamlit (``exec``), so
signals and exit codes are Streamlit's own.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from typing import Any

from accounting.store import ledger_location, mask_url, open_ledger
from accounting.store.location import is_postgres, sqlite_path
from ecoledger.cli.common import add_command, add_ledger_arg, fail

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def register(sub: Any) -> None:
    p = add_command(sub, "dashboard")
    add_ledger_arg(p)
    p.add_argument(
        "--port",
        type=port_value,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"TCP port to listen on (default {DEFAULT_PORT})",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="ADDRESS",
        help=f"address to bind (default {DEFAULT_HOST}; any other address is reachable by others "
        "and the dashboard has no authentication)",
    )
    p.set_defaults(handler=handle_dashboard)


def port_value(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port must be a whole number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 1 and 65535, got {text!r}")
    return port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Fail with one line when the address cannot be bound (in use, or not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        fail(f"--host: cannot resolve {host!r}")
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            fail(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})")


def streamlit_command(host: str, port: int) -> list[str]:
    """``streamlit run dashboard/app.py`` (through ``dashboard.serve``, which warms the
    dashboard first): headless, no usage statistics, no file watcher."""
    return [
        sys.executable,
        "-m",
        "dashboard.serve",
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
    ]


DASHBOARD_MODULES = ("streamlit", "plotly", "pandas")


def require_dashboard_extra() -> None:
    """One line and exit 2 when the ``[dashboard]`` extra is not installed."""
    from importlib.util import find_spec

    missing = [m for m in DASHBOARD_MODULES if find_spec(m) is None]
    if missing:
        fail(
            f"ecoledger dashboard needs {' and '.join(missing)}: pip install 'ecoledger[dashboard]'"
        )


def handle_dashboard(args: argparse.Namespace) -> int:
    require_dashboard_extra()
    location = ledger_location(args.ledger)
    # Refuse a file that is not a ledger before Streamlit starts (NotALedger → exit 2).
    # A path that does not exist yet becomes an empty ledger, as with every other command.
    open_ledger(location, create=True).close()
    if not is_postgres(location):
        path = sqlite_path(location)
        location = str(path) if path is not None else location
    check_port_free(args.host, args.port)
    if not is_loopback(args.host):
        print(
            f"ecoledger: warning: the dashboard listens on {args.host}:{args.port} and has no "
            "authentication: anyone who can reach it can read this ledger and add benefit and "
            "assumption entries",
            file=sys.stderr,
        )
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"ecoledger dashboard: http://{shown_host}:{args.port}/ (ledger {mask_url(location)}); "
        "Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    from accounting.store.location import LEDGER_ENV

    env = {**os.environ, LEDGER_ENV: location, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = streamlit_command(args.host, args.port)
    sys.stdout.flush()
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover - exec does not return
