"""The part both framework callbacks share: one run opened and closed from callback hooks.

A callback cannot wrap the training loop in ``with track():``, so it opens the run with
``Tracker.start()`` at the framework's setup hook and closes it at its end (or exception)
hook. Windows are opened and closed from begin/end hook pairs; a hook that fires twice, or
an end without a begin, is ignored rather than raised into the framework.
"""

from __future__ import annotations

import logging
from typing import Any

from train_hooks.errors import BudgetExceeded
from train_hooks.options import TrackOptions
from train_hooks.run import Run, window_key
from train_hooks.track import Tracker, status_of

log = logging.getLogger("ecoledger")


def callback_options(
    options: TrackOptions | None, fields: dict[str, Any], *, kind: str
) -> TrackOptions:
    """A callback's options: a TrackOptions, or track()'s keyword arguments (validated now, in
    the user's constructor call); ``kind`` is the callback's default run kind."""
    if options is None:
        return TrackOptions(**{"kind": kind, **fields})
    if not isinstance(options, TrackOptions) or fields:
        raise TypeError("give a TrackOptions or track()'s keyword arguments (name=..., ...)")
    return options


class CallbackSession:
    def __init__(self, options: TrackOptions) -> None:
        self.options = options
        self.tracker: Tracker | None = None
        self.run: Run | None = None
        self.last_run_id: str | None = None
        self._open: set[str] = set()

    @property
    def active(self) -> bool:
        return self.run is not None

    def open(self, **overrides: Any) -> Run:
        if self.run is not None:
            return self.run
        self.tracker = Tracker(self.options.with_changes(**overrides))
        self.run = self.tracker.start()
        self.last_run_id = self.run.run_id
        self._open.clear()
        return self.run

    def begin(self, name: str) -> None:
        key = window_key(name)
        if self.run is None or key in self._open:
            return
        self._open.add(key)
        self.run.begin(key)

    def end(self, name: str) -> None:
        key = window_key(name)
        if self.run is None or key not in self._open:
            return
        self._open.discard(key)
        self.run.end(key)

    def step(self) -> bool:
        """One training step; True when the carbon budget says stop."""
        if self.run is None:
            return False
        try:
            self.run.step()
        except BudgetExceeded as exc:
            log.warning("ecoledger: %s; asking the trainer to stop", exc)
            return True
        return False

    def close(self, exc: BaseException | None = None) -> None:
        tracker, self.tracker, self.run = self.tracker, None, None
        if tracker is None:
            return
        status, error = status_of(exc)
        tracker.stop(status, error)
