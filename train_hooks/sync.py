"""Device synchronization at window boundaries: ``track(..., sync="auto"|"off"|None|callable)``.

CUDA runs kernels asynchronously: when Python leaves ``run.phase("train")`` the GPU may still
be working on that phase's kernels. A window that reads the energy counters without waiting
for them shifts their energy into whatever comes next. So every window boundary calls a sync
function first:

- ``"auto"`` (the default): ``torch.cuda.synchronize(device)`` on each CUDA device the run
  meters, once torch is imported and CUDA is initialized in this process; a no-op otherwise
  (torch is never imported here, and CUDA is never initialized by us);
- ``"off"`` or ``None``: nothing;
- any callable ``sync() -> None`` (other frameworks, tests).

A sync that raises is reported by the caller as a ``sync_failed`` problem; the window is
still read and the job goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

SyncFn = Callable[[], None]
SYNC_CHOICES = ("auto", "off")


def check_sync(value: Any) -> None:
    """Raise ValueError naming ``sync`` when it is not "auto", "off", None or a callable."""
    if value is None or callable(value) or value in SYNC_CHOICES:
        return
    raise ValueError(f"sync must be 'auto', 'off', None or a callable, got {value!r}")


class CudaSync:
    """``"auto"``: synchronize the metered CUDA devices, when this process has CUDA running.

    ``gpu_uuids``: NVML UUIDs of the metered GPUs; the CUDA devices whose UUID matches are
    synchronized (all visible CUDA devices when none can be matched, or when none is given).
    The device list is resolved once, the first time CUDA is found initialized.
    """

    def __init__(self, gpu_uuids: Sequence[str] = ()) -> None:
        self.gpu_uuids = tuple(gpu_uuids)
        self._devices: tuple[int, ...] | None = None

    def _resolve(self, cuda: Any) -> tuple[int, ...]:
        count = int(cuda.device_count())
        everything = tuple(range(count))
        if not self.gpu_uuids:
            return everything
        wanted = {u.lower().removeprefix("gpu-") for u in self.gpu_uuids}
        matched = []
        for index in everything:
            try:
                uuid = str(cuda.get_device_properties(index).uuid).lower()
            except Exception:
                return everything
            if uuid.removeprefix("gpu-") in wanted:
                matched.append(index)
        return tuple(matched) or everything

    def __call__(self) -> None:
        torch = sys.modules.get("torch")
        if torch is None:
            return
        cuda = torch.cuda
        if not cuda.is_initialized():
            return
        if self._devices is None:
            self._devices = self._resolve(cuda)
        for index in self._devices:
            cuda.synchronize(index)


def make_sync(value: Any, gpu_uuids: Sequence[str] = ()) -> SyncFn | None:
    """The sync function for a ``sync=`` option (None: no sync at all)."""
    check_sync(value)
    if value is None or value == "off":
        return None
    if value == "auto":
        return CudaSync(gpu_uuids)
    fn: SyncFn = value
    return fn
