"""A job that reads the terminal, under a real pseudo-terminal (``script -qfc``).

The job runs in a process group of its own; unless that group is the terminal's foreground
group, its first read stops it (SIGTTIN) for ever. ``ecoledger run`` hands it the terminal
and takes it back at the end, so the shell that started it can read the terminal again.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1)")

TIMEOUT_S = 60


def under_a_terminal(shell_line: str, typed: bytes) -> tuple[int, str]:
    """Run ``shell_line`` in a new pseudo-terminal, with ``typed`` typed into it."""
    proc = subprocess.Popen(
        ["script", "-qfec", shell_line, "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        out, _ = proc.communicate(typed, timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out.decode(errors="replace")


def run_line(tmp_path: object, job: str) -> str:
    return shlex.join(
        [
            sys.executable,
            "-m",
            "ecoledger",
            "run",
            "--ledger",
            f"{tmp_path}/ledger.db",
            "--",
            sys.executable,
            "-c",
            job,
        ]
    )


def test_input_reads_a_line_typed_into_the_terminal(tmp_path: object) -> None:
    job = "import os, sys; line = input(); os.write(1, b'job read ' + line.encode() + b'\\n'); sys.exit(len(line))"
    code, out = under_a_terminal(run_line(tmp_path, job), b"hello\n")
    assert "job read hello" in out, out
    assert code == 5, out  # the job's exit code passes through ecoledger run and script


def test_the_terminal_is_taken_back_at_the_end(tmp_path: object) -> None:
    job = "import os; os.write(1, b'job read ' + input().encode() + b'\\n')"
    line = run_line(tmp_path, job) + "; read x; echo shell read $x"
    code, out = under_a_terminal(line, b"first\nsecond\n")
    assert "job read first" in out, out
    assert "shell read second" in out, out
    assert code == 0, out


class Terminal:
    """An interactive bash in a pseudo-terminal (``script``), driven line by line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["script", "-qfec", "bash --norc --noprofile -i", "/dev/null"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PS1": "$ "},
        )
        self.out = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            with self._lock:
                self.out += chunk

    def type(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, marker: bytes, timeout_s: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if marker in self.out:
                    return
            time.sleep(0.05)
        raise AssertionError(f"{marker!r} never appeared in: {self.out[-2000:]!r}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def test_ctrl_z_stops_the_job_and_fg_resumes_it(tmp_path: object) -> None:
    # one write(2) per line: print() writes its pieces one by one on a terminal, and ecoledger's
    # status line (stderr, the same terminal) may land between two of them on a loaded machine
    job = (
        "import os; os.write(1, b'job ' b'ready\\n'); os.write(1, b'job read ' + input().encode())"
    )
    term = Terminal()
    try:
        term.type(run_line(tmp_path, job).encode() + b"\n")
        term.wait_for(b"job ready")
        term.type(b"\x1a")  # Ctrl-Z
        term.wait_for(b"Stopped")  # the shell has its terminal back
        term.type(b"fg\n")
        term.type(b"after\n")
        term.wait_for(b"job read after")
        term.type(b"exit\n")
        term.proc.wait(timeout=TIMEOUT_S)
    finally:
        term.close()
