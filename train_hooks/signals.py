"""SIGTERM under ``track()``: end the run as ``interrupted`` (flushed), then terminate.

A handler is installed only in the main thread and only when SIGTERM still has its default
disposition (nobody else handles it). It raises :class:`Terminated` (a ``SystemExit`` with
status 143, as a process killed by SIGTERM reports), so ``with track()`` blocks and
``finally`` clauses unwind normally and the ledger gets everything measured. When the run
ends, the previous disposition is restored.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

SIGTERM_EXIT = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM while a run was open."""

    def __init__(self) -> None:
        super().__init__(SIGTERM_EXIT)


def _raise_terminated(_signum: int, _frame: Any) -> None:
    raise Terminated()


class SigtermGuard:
    def __init__(self) -> None:
        self.installed = False

    def install(self) -> SigtermGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                return self
            signal.signal(signal.SIGTERM, _raise_terminated)
            self.installed = True
        except (ValueError, OSError):
            pass
        return self

    def remove(self) -> None:
        if not self.installed:
            return
        self.installed = False
        try:
            if signal.getsignal(signal.SIGTERM) is _raise_terminated:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError):
            pass
