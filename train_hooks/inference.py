"""``meter_inference(model)``: requests, items, tokens and energy per request, by forward hooks.

Each top-level forward call of ``model`` is one request; the batch size (the first dimension
of the first tensor argument) counts as items; ``tokens(inputs, outputs)`` as tokens. The
energy of a request is the meter's window between snapshots taken around the call
(:meth:`meter.Meter.between`: the counters' difference or, for a call shorter than a stepped
counter's update period, that source's power × the call's duration, flagged as
approximated). Requests are aggregated into windows ``request:0-99`` (one Energy entry per
device, with ``count``) and a Usage entry with the same window and the joules attributed.

Works under ``torch.inference_mode()`` and ``torch.no_grad()`` (the hooks touch no tensor
data). For ``torch.compile``, pass the compiled module (what ``torch.compile(model)``
returns): its hooks run around the compiled call, outside the graph. Hooks on the inner
module would be traced into the graph and cause graph breaks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from meter.meter import Snapshot
from train_hooks.run import Run
from train_hooks.steps import require_at_least_one

DEFAULT_WINDOW_REQUESTS = 100
REQUEST_WINDOW = "request"
TokenCounter = Callable[[Any, Any], int]


def _batch_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    for value in (*args, *kwargs.values()):
        shape = getattr(value, "shape", None)
        if shape is not None:
            return int(shape[0]) if len(shape) else 1
        if isinstance(value, dict):
            for inner in value.values():
                shape = getattr(inner, "shape", None)
                if shape is not None:
                    return int(shape[0]) if len(shape) else 1
        if isinstance(value, list | tuple) and value:
            shape = getattr(value[0], "shape", None)
            return int(shape[0]) if shape is not None and len(shape) else len(value)
    return 1


def _request_sync(sync: Any, run: Run) -> Callable[[], None] | None:
    """``True``: the run's device sync (``track(sync=...)``); ``False``/None: none; a callable:
    that (wrapped so that a failure is recorded as ``sync_failed``, never raised)."""
    recorder = run.recorder
    if recorder is None or sync is False or sync is None:
        return None
    if sync is True:
        return (lambda: recorder.sync(REQUEST_WINDOW)) if recorder.sync_fn is not None else None
    if not callable(sync):
        raise ValueError(f"sync must be True, False or a callable, got {sync!r}")
    fn: Callable[[], None] = sync
    return lambda: recorder.sync(REQUEST_WINDOW, fn)


class InferenceMeter:
    """Returned by :func:`meter_inference`; ``close()`` (or ``with``) removes the hooks."""

    def __init__(
        self,
        model: Any,
        run: Run,
        tokens: TokenCounter | None = None,
        window_requests: int = DEFAULT_WINDOW_REQUESTS,
        own_tracker: Any = None,
        sync: Any = True,
    ) -> None:
        require_at_least_one(window_requests=window_requests)
        self.run = run
        self.window_requests = window_requests
        self._tokens = tokens
        self._own_tracker = own_tracker
        self._recorder = run.recorder
        self._sync = _request_sync(sync, run)
        self._meter = run.meter
        self._lock = threading.Lock()
        self._depth = 0
        self._s0: Snapshot | None = None
        self._reset_range(0)
        self.requests = 0
        self.items = 0
        self.tokens = 0
        self.energy_j = 0.0
        self._handles: list[Any] = []
        if self._meter is not None:
            self._handles.append(model.register_forward_pre_hook(self._pre, with_kwargs=True))
            self._handles.append(
                model.register_forward_hook(self._post, with_kwargs=True, always_call=True)
            )
            if self._recorder is not None:
                self._recorder.add_collector(self._flush_range)
        run.on_close(self.close)

    def _reset_range(self, first: int) -> None:
        self._first = first
        self._n = 0
        self._items = 0
        self._tok = 0
        self._joules: list[float] = []
        self._approx: list[bool] = []
        self._busy_s = 0.0
        self._start_w: float | None = None
        self._end_w = 0.0

    # -- hooks (hot path) ------------------------------------------------------------------
    def _pre(self, _module: Any, args: Any, kwargs: Any) -> None:
        self._depth += 1
        if self._depth == 1 and self._meter is not None:
            self._s0 = self._meter.snapshot()
        return None

    def _post(self, _module: Any, args: Any, kwargs: Any, output: Any) -> None:
        self._depth -= 1
        meter, s0 = self._meter, self._s0
        if self._depth or meter is None or s0 is None:
            return None
        if self._sync is not None:
            self._sync()
        s1 = meter.snapshot()
        # the meter's rule of every window: the counters' difference, or power × duration
        # (flagged approximated) for a call shorter than a stepped counter's update period
        energies = meter.energies_between(s0, s1)
        dt = max(0.0, s1[0] - s0[0])
        n_tokens = 0
        if self._tokens is not None:
            try:
                n_tokens = int(self._tokens(args, output))
            except Exception:
                n_tokens = 0
        n_items = _batch_size(args, kwargs)
        with self._lock:
            if self._start_w is None:
                self._start_w = s0[1]
                self._joules = [0.0] * len(energies)
                self._approx = [False] * len(energies)
            joules, approx = self._joules, self._approx
            for i, (dj, da) in enumerate(energies):
                joules[i] += dj
                approx[i] = approx[i] or da
            self._end_w = s0[1] + dt
            self._busy_s += dt
            self._n += 1
            self._items += n_items
            self._tok += n_tokens
            full = self._n >= self.window_requests
        if full:
            self._flush_range()
        return None

    # -- ranges ----------------------------------------------------------------------------
    def _flush_range(self) -> None:
        with self._lock:
            meter = self._meter
            if not self._n or self._start_w is None or meter is None:
                return
            first, n, items, tok = self._first, self._n, self._items, self._tok
            key = f"request:{first}-{first + n - 1}"
            end_w = max(self._end_w, self._start_w)
            energies = list(zip(self._joules, self._approx, strict=True))
            window = meter.measurement(key, self._start_w, end_w, self._busy_s, energies)
            self._reset_range(first + n)
            self.requests += n
            self.items += items
            self.tokens += tok
            self.energy_j += window.joules
        recorder = self._recorder
        if recorder is None:
            return
        recorder.record_window(window, count=n)
        recorder.record_usage(n, tok, items, window)

    @property
    def joules_per_request(self) -> float | None:
        return self.energy_j / self.requests if self.requests else None

    def close(self) -> None:
        """Remove the hooks and record the last, partial window. Idempotent."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._flush_range()
        tracker, self._own_tracker = self._own_tracker, None
        if tracker is not None:
            tracker.stop("completed")

    def __enter__(self) -> InferenceMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def meter_inference(
    model: Any,
    run: Run | None = None,
    tokens: TokenCounter | None = None,
    *,
    window_requests: int = DEFAULT_WINDOW_REQUESTS,
    sync: Any = True,
) -> InferenceMeter:
    """Meter every top-level forward call of ``model`` as one request.

    ``run``: the run to record into (default: the innermost open ``track()``; with none open,
    an ``inference`` run is opened for this meter and closed by ``close()`` or at exit).
    ``tokens(inputs, outputs) -> int``: tokens of one call (``inputs`` is the positional
    argument tuple). ``sync``: wait for the device at the end of each request before reading
    the counters (default True: the run's ``track(sync=...)`` function; False: never; or a
    callable). Returns an :class:`InferenceMeter`; use it as a context manager or call
    ``close()`` to remove the hooks.
    """
    own = None
    if run is None:
        run = Run.current()
    if run is None:
        from train_hooks.track import track

        own = track(name=f"{type(model).__name__} inference", kind="inference")
        run = own.start()
    return InferenceMeter(model, run, tokens, window_requests, own, sync)
