"""Is the process that writes a run still alive? Read from ``/proc`` on the same host.

A ``RunStarted`` records its writer: the host and pid (its ``source``), the process's start
time in clock ticks since boot (``/proc/PID/stat`` field 22) and the kernel's boot id. On the
same host and boot, the pid with the same start time tells at once whether the writer lives
(a recycled pid has another start time); a different boot id on the same host means the
machine rebooted since, so the writer is gone. On another host nothing can be told: the
caller falls back to the time rule. Linux only; elsewhere every answer is ``unknown``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Literal

WriterState = Literal["alive", "gone", "unknown"]
HOSTNAME_ENV = "ECOLEDGER_HOSTNAME"
PROC = Path("/proc")


def this_host() -> str:
    """The host name entries record (``ECOLEDGER_HOSTNAME`` overrides it in tests)."""
    return os.environ.get(HOSTNAME_ENV) or socket.gethostname()


def boot_id() -> str | None:
    try:
        return (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip() or None
    except OSError:
        return None


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None when there is no such
    living process (a zombie has exited: it counts as gone)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


def writer_identity(pid: int | None = None) -> dict[str, Any]:
    """The ``RunStarted`` fields that identify the writing process (this one by default)."""
    return {"writer_start_ticks": start_ticks(pid or os.getpid()), "writer_boot_id": boot_id()}


def writer_state(started: Any) -> WriterState:
    """Whether the writer of a run (its ``RunStarted``) is alive, gone, or cannot be told."""
    pid = getattr(started.source, "pid", None)
    ticks = getattr(started, "writer_start_ticks", None)
    boot = getattr(started, "writer_boot_id", None)
    if pid is None or ticks is None or boot is None or started.source.host != this_host():
        return "unknown"
    here = boot_id()
    if here is None:
        return "unknown"
    if here != boot:
        return "gone"  # this host rebooted since the run started
    return "alive" if start_ticks(pid) == ticks else "gone"
