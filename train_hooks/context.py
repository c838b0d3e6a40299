"""Which runs this process has open: one typed context object instead of module-level lists.

``track()`` registers each run it opens in the current :class:`TrackingContext`: the runs
(innermost last, for :meth:`Run.current <train_hooks.run.Run.current>`) and the trackers
started and not yet stopped (closed at exit, or by an uncaught exception). Every thread sees
the process's context unless code runs inside :func:`isolated_tracking`, which gives it a
context of its own (an embedding application, a test).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from train_hooks.run import Run
    from train_hooks.track import Tracker


@dataclass
class TrackingContext:
    runs: list[Run] = field(default_factory=list)
    """Runs opened by ``track()`` and not yet closed, innermost last."""
    trackers: list[Tracker] = field(default_factory=list)
    """Trackers started and not yet stopped: closed at exit."""
    exit_hooks_installed: bool = False

    def current_run(self) -> Run | None:
        return self.runs[-1] if self.runs else None


# The default is the process's context, shared on purpose by every thread: a serving thread's
# Run.current() must find the run the main thread opened, and exit closes every open run.
_CURRENT: ContextVar[TrackingContext] = ContextVar(
    "ecoledger_tracking",
    default=TrackingContext(),  # noqa: B039
)


def tracking() -> TrackingContext:
    """The context ``track()`` registers runs in (the process's, unless isolated)."""
    return _CURRENT.get()


@contextlib.contextmanager
def isolated_tracking(context: TrackingContext | None = None) -> Iterator[TrackingContext]:
    """Run a block with its own tracking context (its runs are not the process's)."""
    context = context if context is not None else TrackingContext()
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
