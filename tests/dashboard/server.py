"""Start ``ecoledger dashboard`` as a subprocess on a free local port and wait until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.dashboard.helpers import REPO

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    process: subprocess.Popen[str]
    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


@contextmanager
def dashboard(
    ledger: Path | str, log_dir: Path, *, host: str = "127.0.0.1", extra: tuple[str, ...] = ()
) -> Iterator[Dashboard]:
    """``ecoledger dashboard --ledger LEDGER --port FREE`` until the block ends."""
    port = free_port()
    log = log_dir / f"dashboard-{port}.log"
    handle = log.open("w")
    process = subprocess.Popen(
        ["ecoledger", "dashboard", "--ledger", str(ledger), "--port", str(port), "--host", host,
         *extra],
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={**os.environ, "ECOLEDGER_LEDGER": ""},
        start_new_session=True,
    )  # fmt: skip
    server = Dashboard(
        process, "127.0.0.1" if host in ("0.0.0.0", "127.0.0.1") else host, port, log
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(server.url):
            if process.poll() is not None:
                raise RuntimeError(f"dashboard exited with {process.returncode}: {server.stderr()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not answer in {START_TIMEOUT_S} s")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        handle.close()
