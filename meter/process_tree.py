"""CPU time and resident memory of a process and its descendants (psutil)."""

from __future__ import annotations

import psutil


class ProcessTree:
    """Sums CPU seconds over a root process and its live descendants.

    The counter only grows: it adds each member's increase since the last call. CPU time of
    a descendant that exits is not lost when a member reaps it: the kernel adds it to that
    member's ``children_*`` times, which are included.
    """

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self._procs: dict[int, psutil.Process] = {}
        self._last_cpu_s: dict[int, float] = {}
        self._total_s = 0.0

    def _members(self) -> list[psutil.Process]:
        try:
            root = self._procs.get(self.root_pid) or psutil.Process(self.root_pid)
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        fresh: dict[int, psutil.Process] = {}
        for proc in members:
            fresh[proc.pid] = self._procs.get(proc.pid, proc)
        self._procs = fresh
        return list(fresh.values())

    def pids(self) -> set[int]:
        return {proc.pid for proc in self._members()}

    def cpu_seconds(self) -> float:
        """Cumulative CPU seconds (user + system, children included) of the tree."""
        seen: dict[int, float] = {}
        for proc in self._members():
            try:
                t = proc.cpu_times()
                seen[proc.pid] = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
        for pid, now in seen.items():
            self._total_s += max(0.0, now - self._last_cpu_s.get(pid, 0.0))
        self._last_cpu_s = seen
        return self._total_s

    def rss_bytes(self) -> int:
        total = 0
        for proc in self._members():
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total
