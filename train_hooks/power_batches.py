"""Power samples gathered into one ``PowerSample`` entry per device per ~10 s.

The writer flushes every couple of seconds, and a week on 8 GPUs at 1 Hz, written as one
entry per device per flush, is 2.4 million entries of two samples each: most of their bytes
are the entry around the samples. Samples only draw charts (energy comes from the counters'
segments), so they wait here until a device has ``DEFAULT_POWER_BATCH_S`` of them, and
are all written at the run's end. A SIGKILL loses at most that much of the chart, never any
energy. Memory stays bounded: a batch is written once it spans the time or holds
:data:`MAX_BATCH_SAMPLES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounting.store.writer import DEFAULT_POWER_BATCH_S
from meter import PowerSeries
from meter.measurement import DeviceKind

MAX_BATCH_SAMPLES = 10_000


@dataclass
class _Pending:
    kind: DeviceKind
    method: str
    t_s: list[float] = field(default_factory=list)
    power_w: list[float] = field(default_factory=list)

    def as_series(self, device_id: str) -> PowerSeries:
        return PowerSeries(device_id, self.kind, self.method, tuple(self.t_s), tuple(self.power_w))


class PowerBatcher:
    """Collects each device's drained series; :meth:`take` gives the batches that are due."""

    def __init__(
        self, batch_s: float = DEFAULT_POWER_BATCH_S, max_samples: int = MAX_BATCH_SAMPLES
    ) -> None:
        self.batch_s = batch_s
        self.max_samples = max_samples
        self._pending: dict[str, _Pending] = {}
        self._due: list[PowerSeries] = []

    def add(self, series: PowerSeries) -> None:
        pending = self._pending.get(series.device_id)
        if pending is not None and (pending.kind, pending.method) != (series.kind, series.method):
            # the device changed its power signal: what it read before goes first
            self._due.append(pending.as_series(series.device_id))
            pending = None
        if pending is None:
            pending = self._pending[series.device_id] = _Pending(series.kind, series.method)
        pending.t_s.extend(series.t_s)
        pending.power_w.extend(series.power_w)
        if len(pending.t_s) >= self.max_samples or pending.t_s[-1] - pending.t_s[0] >= self.batch_s:
            self._due.append(pending.as_series(series.device_id))
            del self._pending[series.device_id]

    def take(self, *, everything: bool = False) -> list[PowerSeries]:
        """The batches that are due (with ``everything``, every sample held: the run ends)."""
        due, self._due = self._due, []
        if everything:
            due += [pending.as_series(device) for device, pending in self._pending.items()]
            self._pending.clear()
        return due

    @property
    def held_samples(self) -> int:
        return sum(len(p.t_s) for p in self._pending.values())
