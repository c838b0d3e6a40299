"""CPU time, resident memory and PIDs of a process and its descendants.

Cheap enough to call at every window boundary: the membership (who descends from the root)
is refreshed at most every ``refresh_s`` seconds, through ``/proc/PID/task/TID/children`` on
Linux (no scan of every process), else psutil; each call then reads one ``/proc/PID/stat`` per
member. When the root is this very process, its own CPU time comes from
``time.process_time()`` (nanoseconds, about a microsecond a call) and its reaped children's
from ``getrusage(RUSAGE_CHILDREN)``, not from ``/proc`` (clock ticks of 10 ms, too coarse for
windows of a few milliseconds).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

PROC = Path("/proc")
_TICKS_PER_S = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _read_small(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def _stat_cpu_s(pid: int) -> tuple[float, float, float] | None:
    """(own user+system s, reaped children's user+system s, start s after boot) of a PID."""
    text = _read_small(f"/proc/{pid}/stat")
    if text is None:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    # after "pid (comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14 starttime=19
    try:
        own = (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
        children = (int(fields[13]) + int(fields[14])) / _TICKS_PER_S
        start = int(fields[19]) / _TICKS_PER_S
    except (IndexError, ValueError):
        return None
    return own, children, start


def _uptime_s() -> float | None:
    text = _read_small("/proc/uptime")
    try:
        return float(text.split()[0]) if text else None
    except ValueError:
        return None


def _linux_children(pid: int) -> list[int] | None:
    """Direct children of pid from /proc/PID/task/*/children, or None when not available."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    out: list[int] = []
    for tid in tids:
        text = _read_small(f"/proc/{pid}/task/{tid}/children")
        if text is None:
            if tid == str(pid) and not os.path.exists(f"/proc/{pid}/task/{tid}/children"):
                return None  # kernel without CONFIG_PROC_CHILDREN
            continue
        out.extend(int(item) for item in text.split())
    return out


def _reaped_children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ProcessTree:
    """A root process and its live descendants: CPU seconds (cumulative), RSS, PIDs.

    CPU time only grows: each call adds every member's increase since the last call. A
    descendant that exits and is reaped by a member shows up in that member's
    ``children`` times; what was already counted for it is subtracted, so nothing is counted
    twice. When the root is this process's own child, its last interval is not lost when it
    is reaped: this process's ``RUSAGE_CHILDREN`` then holds the root's final CPU time.
    Thread-safe.
    """

    def __init__(
        self,
        root_pid: int,
        *,
        refresh_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root_pid = root_pid
        self.refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._members: tuple[int, ...] = ()
        self._refreshed_at: float | None = None
        self._use_proc = PROC.joinpath(str(root_pid), "stat").exists()
        self._own_s: dict[int, float] = {}
        self._children_s: dict[int, float] = {}
        self._total_s = 0.0
        self._psutil: dict[int, psutil.Process] = {}
        # members started after this moment (s since boot) are counted from their start
        self._born_after_s = (_uptime_s() or 0.0) - 1.0 / _TICKS_PER_S if self._use_proc else None
        try:
            self._root_is_child = psutil.Process(root_pid).ppid() == os.getpid()
        except psutil.Error:
            self._root_is_child = False
        self._reaped_base_s = _reaped_children_cpu_s() if self._root_is_child else 0.0
        self._root_uncounted_s: float | None = None  # the root's CPU before metering began
        self._self_pid = os.getpid()
        self._just_self = (self._self_pid,) if root_pid == self._self_pid else None

    @classmethod
    def of_this_process(cls) -> ProcessTree:
        """The tree rooted at this process (what a source meters when given no tree)."""
        return cls(os.getpid())

    # -- membership --------------------------------------------------------------------------
    def _descendants(self) -> list[int]:
        if self._use_proc:
            found: list[int] = []
            queue = [self.root_pid]
            while queue:
                pid = queue.pop()
                children = _linux_children(pid)
                if children is None:
                    break
                found.extend(children)
                queue.extend(children)
            else:
                return found
        try:
            root = psutil.Process(self.root_pid)
            return [proc.pid for proc in root.children(recursive=True)]
        except psutil.Error:
            return []

    def members(self, *, force: bool = False) -> tuple[int, ...]:
        """PIDs of the root and its descendants (refreshed at most every ``refresh_s``)."""
        now = self._clock()
        with self._lock:
            stale = self._refreshed_at is None or now - self._refreshed_at >= self.refresh_s
            if not (stale or force):
                return self._members
        pids = (self.root_pid, *self._descendants())
        with self._lock:
            self._members, self._refreshed_at = pids, now
        return pids

    def pids(self) -> set[int]:
        return set(self.members())

    # -- CPU time ------------------------------------------------------------------------------
    def _times(self, pid: int) -> tuple[float, float, float] | None:
        if pid == self._self_pid:
            return time.process_time(), _reaped_children_cpu_s(), -1.0
        if self._use_proc:
            return _stat_cpu_s(pid)
        try:
            proc = self._psutil.get(pid) or psutil.Process(pid)
            self._psutil[pid] = proc
            t = proc.cpu_times()
        except psutil.Error:
            self._psutil.pop(pid, None)
            return None
        return t.user + t.system, t.children_user + t.children_system, -1.0

    def cpu_seconds(self) -> float:
        """Cumulative CPU seconds (user + system) of the tree since this object was made."""
        members = self.members()
        if members == self._just_self:  # the common case of track(): a microsecond or two
            own, reaped = time.process_time(), _reaped_children_cpu_s()
            with self._lock:
                last_own = self._own_s.get(self._self_pid)
                if last_own is not None and len(self._own_s) == 1:
                    last_reaped = self._children_s[self._self_pid]
                    self._total_s += max(0.0, own - last_own) + max(0.0, reaped - last_reaped)
                    self._own_s[self._self_pid] = own
                    self._children_s[self._self_pid] = reaped
                    return self._total_s
        seen: dict[int, tuple[float, float, float]] = {}
        for pid in members:
            times = self._times(pid)
            if times is not None:
                seen[pid] = times
        with self._lock:
            gone_s = sum(
                self._own_s[pid] + self._children_s[pid] for pid in self._own_s if pid not in seen
            )
            own_gain = 0.0
            reaped_gain = 0.0
            for pid, (own, children, start) in seen.items():
                if pid in self._own_s:
                    own_gain += max(0.0, own - self._own_s[pid])
                    reaped_gain += max(0.0, children - self._children_s[pid])
                elif self._born_after_s is not None and start >= self._born_after_s:
                    # born while metered: all of its CPU time is the tree's
                    own_gain += own + children
                    if pid == self.root_pid:
                        self._root_uncounted_s = 0.0
                elif pid == self.root_pid:
                    self._root_uncounted_s = own + children
                # else: a member that predates the meter; its past is not counted
            self._total_s += own_gain + max(0.0, reaped_gain - gone_s)
            if self.root_pid not in seen and self._root_is_child:
                if self._root_uncounted_s is not None:
                    # reaped by us: RUSAGE_CHILDREN has its whole life, final interval included
                    reaped = _reaped_children_cpu_s() - self._reaped_base_s
                    self._total_s = max(self._total_s, reaped - self._root_uncounted_s)
            self._own_s = {pid: times[0] for pid, times in seen.items()}
            # psutil handles of members that left: dropped, or a week of short-lived
            # children (data loaders, compilers) would pile up
            for pid in [pid for pid in self._psutil if pid not in seen]:
                self._psutil.pop(pid, None)
            self._children_s = {pid: times[1] for pid, times in seen.items()}
            return self._total_s

    # -- memory ---------------------------------------------------------------------------------
    def rss_bytes(self) -> int:
        """Resident memory of every member, summed (shared pages count once per member)."""
        total = 0
        for pid in self.members():
            if self._use_proc:
                text = _read_small(f"/proc/{pid}/statm")
                if text is None:
                    continue
                try:
                    total += int(text.split()[1]) * _PAGE_BYTES
                except (IndexError, ValueError):
                    continue
            else:
                try:
                    total += psutil.Process(pid).memory_info().rss
                except psutil.Error:
                    continue
        return total
