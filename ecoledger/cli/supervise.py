"""How ``ecoledger run`` starts, signals, waits for and cleans up after its child.

Everything here is bounded and safe in a process that already has threads (numpy's BLAS
starts one at import): no Python code runs between ``fork`` and ``exec`` (no
``preexec_fn``, no ``os.fork()``), so no lock held by another thread at the fork can hang
a child before it execs. The watchdog is a separate tiny interpreter, spawned, not forked.

- SIGINT, SIGTERM and SIGHUP are caught from the very start of the run (before its
  ``RunStarted`` is written), so a signal can never raise ``KeyboardInterrupt`` in the middle
  of the supervision. Before the child exists a signal is only noted; once it exists every
  signal is forwarded to the child's process group.
- A child still alive ``kill_after_s`` after the first forwarded signal gets SIGKILL; a second
  SIGINT (Ctrl-C twice) sends SIGKILL at once.
- When stdin is a terminal the child's group is given the terminal's foreground (so
  ``input()``, ``pdb`` and password prompts work), and it is taken back at the end.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTING_SIGNALS = frozenset(FORWARDED_SIGNALS)
DEFAULT_KILL_AFTER_S = 10.0
WATCHDOG_GRACE_S = 5.0
WATCHDOG_EXIT_WAIT_S = 5.0
PR_SET_CHILD_SUBREAPER = 36

# The watchdog: its own session, deaf to the terminal's signals. It reads the child's process
# group id, then blocks on stdin: a byte means the run ended normally; EOF means that
# ``ecoledger run`` died (SIGKILL, OOM), so it ends the child's whole group, SIGTERM first.
WATCHDOG_CODE = f"""
import os, signal, sys, time
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
line = sys.stdin.buffer.readline()
if not line.strip():
    sys.exit(0)
pgid = int(line)
if sys.stdin.buffer.read(1) == b"":
    try:
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + {WATCHDOG_GRACE_S}
        while time.monotonic() < deadline:
            time.sleep(0.1)
            os.killpg(pgid, 0)
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
"""


@dataclass(frozen=True)
class LeftProcess:
    pid: int
    name: str


class Supervisor:
    """Signals, the watchdog and the terminal for one child process group."""

    def __init__(
        self,
        *,
        kill_after_s: float = DEFAULT_KILL_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
        stdin_fd: int = 0,
    ) -> None:
        self.kill_after_s = kill_after_s
        self._clock = clock
        self.signals: list[int] = []
        """Every SIGINT/SIGTERM/SIGHUP received, in order (before or after the child began)."""
        self.forwarded: list[int] = []
        """The signals that reached the job, or arrived before it began (not those noted
        while the run's end was being written)."""
        self.killed = False
        """True when the child's group was sent SIGKILL by us."""
        self.child: subprocess.Popen[bytes] | None = None
        self._subreaper = False
        self._kill_at: float | None = None
        self._finished = False
        self._previous: dict[int, Any] = {}
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._tty_fd = stdin_fd if _isatty(stdin_fd) else None
        self._tty_given = False
        for s in FORWARDED_SIGNALS:
            self._previous[s] = signal.signal(s, self._on_signal)

    # -- signals --------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signals.append(signum)
        if not self._finished:
            self.forwarded.append(signum)
        child = self.child
        if self._finished or child is None or child.returncode is not None:
            return  # noted only: before the child exists, or while the run's end is written
        if signum == signal.SIGINT and self.forwarded.count(signal.SIGINT) >= 2:
            self._kill()
            return
        self._send(signum)
        if self._kill_at is None:
            self._kill_at = self._clock() + self.kill_after_s

    def _send(self, signum: int) -> None:
        assert self.child is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.child.pid, signum)

    def _kill(self) -> None:
        self.killed = True
        self._send(signal.SIGKILL)

    @property
    def first_signal(self) -> int | None:
        return self.forwarded[0] if self.forwarded else None

    # -- the child ------------------------------------------------------------------------
    def start(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start the watchdog, then ``cmd`` in a process group of its own (raises OSError)."""
        _become_subreaper()
        self._subreaper = True
        self._watchdog = _spawn_watchdog()
        try:
            child = subprocess.Popen(cmd, env=env, process_group=0)
        except OSError:
            self._release_watchdog()
            raise
        self.child = child
        if self._watchdog is not None and self._watchdog.stdin is not None:
            with contextlib.suppress(OSError):
                self._watchdog.stdin.write(f"{child.pid}\n".encode())
                self._watchdog.stdin.flush()
        self._give_terminal(child.pid)
        if self.forwarded:  # arrived while the child was being started: forward them now
            self._send(self.forwarded[0])
            self._kill_at = self._clock() + self.kill_after_s
        return child

    def wait(self, tick: Callable[[], None], every_s: float = 1.0) -> int:
        """Wait for the child, calling ``tick`` about every ``every_s``; SIGKILL it once the
        grace period after a forwarded signal is over. Returns the Popen return code."""
        child = self.child
        assert child is not None
        while True:
            timeout = every_s
            if self._kill_at is not None and not self.killed:
                timeout = max(0.0, min(timeout, self._kill_at - self._clock()))
            try:
                return child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            if self._kill_at is not None and not self.killed and self._clock() >= self._kill_at:
                self._kill()
            self._relay_stop()
            tick()

    def _relay_stop(self) -> None:
        """Ctrl-Z at the terminal stops the job (its group has the foreground): stop with
        it, so that the shell gets the terminal back, and resume it when we are resumed."""
        child = self.child
        if self._tty_fd is None or child is None or _state(child.pid) != "T":
            return
        gave = self._tty_given
        self._take_terminal()
        os.kill(os.getpid(), signal.SIGTSTP)  # the shell's job control continues us (fg, bg)
        if gave:
            self._give_terminal(child.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGCONT)

    def finish(self) -> None:
        """After the child is gone: signals are only noted, the terminal is taken back and
        the watchdog is released (bounded waits only)."""
        self._finished = True
        self._take_terminal()
        self._release_watchdog()

    def restore(self) -> None:
        """Put back what :meth:`start` changed in this process: the signal handlers, and the
        subreaper role (a process that runs several jobs, or a test, must not keep adopting
        every orphan of the machine's later processes)."""
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        if self._subreaper:
            _become_subreaper(False)
            self._subreaper = False

    def left_behind(self) -> list[LeftProcess]:
        """Processes the job started that still run: in the child's process group, or
        re-parented to us (we are a subreaper) after their parent exited."""
        if self.child is None:
            return []
        me = os.getpid()
        watchdog = self._watchdog.pid if self._watchdog is not None else None
        left = []
        for pid, ppid, pgid, state, name in _processes():
            if pid in (me, watchdog, self.child.pid) or state == "Z":
                continue
            if pgid == self.child.pid or ppid == me:
                left.append(LeftProcess(pid, name))
        return left

    # -- the terminal ---------------------------------------------------------------------
    def _give_terminal(self, pgid: int) -> None:
        if self._tty_fd is None:
            return
        try:
            if os.tcgetpgrp(self._tty_fd) != os.getpgrp():
                return  # we run in the background ourselves: the terminal is not ours to give
            with _ttou_ignored():
                os.tcsetpgrp(self._tty_fd, pgid)
            self._tty_given = True
        except OSError:
            return  # not our controlling terminal: the child runs in the background
        # it may have tried to read before it had the terminal, and be stopped: resume it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGCONT)

    def _take_terminal(self) -> None:
        if self._tty_fd is None or not self._tty_given:
            return
        with contextlib.suppress(OSError), _ttou_ignored():
            os.tcsetpgrp(self._tty_fd, os.getpgrp())
        self._tty_given = False

    # -- the watchdog ---------------------------------------------------------------------
    def _release_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        with contextlib.suppress(OSError):
            assert watchdog.stdin is not None
            watchdog.stdin.write(b"x")
            watchdog.stdin.close()
        try:
            watchdog.wait(timeout=WATCHDOG_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(timeout=WATCHDOG_EXIT_WAIT_S)


def exit_status(returncode: int) -> int:
    """The shell's exit status for a Popen return code (128 + N for a death by signal N)."""
    return returncode if returncode >= 0 else 128 - returncode


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


@contextlib.contextmanager
def _ttou_ignored() -> Any:
    """``tcsetpgrp`` from a background process group raises SIGTTOU: ignore it meanwhile."""
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTTOU, previous)


def _spawn_watchdog() -> subprocess.Popen[bytes] | None:
    try:
        return subprocess.Popen(
            [sys.executable, "-S", "-c", WATCHDOG_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return None


def _become_subreaper(on: bool = True) -> None:
    """Orphans of the job (a daemon whose parent exited) are re-parented to us, so that we
    can see and name them at the end (``on=False`` gives the role up). Linux only; elsewhere
    nothing changes."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def _state(pid: int) -> str:
    """The one-letter state of ``pid`` (``T``: stopped), or "" when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "backslashreplace")
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[0] if fields else ""


def _processes() -> list[tuple[int, int, int, str, str]]:
    """(pid, ppid, pgid, state, command name) of every process we can read in /proc."""
    out: list[tuple[int, int, int, str, str]] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "backslashreplace")
        except OSError:
            continue
        # the name is in parentheses and may itself hold spaces or parentheses
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        try:
            out.append((int(entry), int(fields[1]), int(fields[2]), fields[0], name))
        except (IndexError, ValueError):
            continue
    return out
