"""NVIDIA GPUs through NVML (the ``pynvml`` module of ``nvidia-ml-py``), keyed by UUID.

Two methods, best first:

- ``nvml_energy_counter``: ``nvmlDeviceGetTotalEnergyConsumption`` (mJ since the driver was
  loaded, Volta and newer), differenced. A counter that goes backwards (driver reload) is
  bridged by power × time and reported as ``counter_reset``.
- ``nvml_power_sampled``: when the counter is NOT_SUPPORTED; always ``approximated``. The
  integral uses, best first, the driver's power-sample buffer (``nvmlDeviceGetSamples``), the
  1 s average (field 185, or ``nvmlDeviceGetPowerUsage``) read every second whatever the
  timeline's rate, and the instant power (field 186) only as a last resort; an info problem
  ``power_signal`` says which. The timeline draws the instant power above 2 Hz. The buffer's
  integral reaches the newest sample's stamp, which the driver's clock puts up to one sample
  period before a window boundary (``driver_clock.py`` maps it onto the meter's clock); the
  rest is the instant power × the time since that stamp.

Both watch the GPU's compute processes (``nvmlDeviceGetComputeRunningProcesses``) every few
seconds: another process than the metered tree on a metered GPU is reported once as
``shared_gpu``, and the tree's share of the SM utilization (``nvmlDeviceGetProcessUtilization``)
is kept as ``shared_share``. Both record the GPU's facts (power limit, driver, memory, MIG:
``mig_shared``) and whether the tree ever used it (``gpu_unused``). A GPU that is lost
(``NVML_ERROR_GPU_IS_LOST``) is reported as ``device_lost``; its counter freezes and its
series ends, and the other devices go on.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psutil

from meter.errors import DeviceLost, MeterError, PermissionDenied, Unavailable
from meter.measurement import CounterReading, DeviceInfo, Probe
from meter.process_tree import ProcessTree
from meter.source import Clock, EnergySource, PowerIntegratingSource, SourceBase
from meter.sources.driver_clock import DriverClock
from meter.sources.gpu_selection import NvmlDeviceId, select_gpus
from meter.sources.nvml_library import NvmlSession, meter_error, nvml_code
from meter.units import mj_to_j, mw_to_w

NVML_FI_DEV_POWER_AVERAGE = 185
NVML_FI_DEV_POWER_INSTANT = 186
NVML_ERROR_NOT_FOUND = 6
AVERAGE_S = 1.0  # the 1 s average is read every second, so consecutive averages tile time
INSTANT_EVERY_S = 0.1
# the buffer is exact at any cadence; reading it often keeps the extrapolation between reads
# short (a window boundary extrapolates the last power, and the counter never goes back)
BUFFER_EVERY_S = 0.25
# a window boundary reads the buffer when the driver has published a sample since the last
# read (one driver period after the integral's reach), at most once per BOUNDARY_READ_MIN_S
BOUNDARY_READ_MIN_S = 0.01
FRESH_S = 0.05  # the driver's period, until two samples have shown it
STAMP_S = 1e-6  # the driver stamps samples in µs
BOUNDARY_TRIES = 3  # buffer reads at most, at one boundary
MAX_GPU_POWER_W = 2000.0
"""More than any GPU draws: the bound on a counter's step when its power limit is unknown."""
MAX_OVER_LIMIT = 2.0
"""A GPU's draw over a gap stays under twice its enforced power limit (spikes included)."""
RECENT_READS = 4  # × BUFFER_EVERY_S: the last second
DUE_SLACK_S = 0.02  # a sampler tick that wakes a little early still integrates
# The energy counter is refreshed about every 100 ms; shorter windows are estimated from
# power × time and flagged (Yang et al., SC'24: the sensors sample in ~100 ms periods).
COUNTER_PERIOD_S = 0.1
PROCESS_CHECK_EVERY_S = 2.0
INSTANT_BELOW_PERIOD_S = 0.5


class GpuProcessWatch:
    """Which processes have a compute context on a GPU, checked every ``every_s`` seconds."""

    def __init__(
        self,
        session: NvmlSession,
        handle: Any,
        tree: ProcessTree | None,
        every_s: float = PROCESS_CHECK_EVERY_S,
    ) -> None:
        self._session = session
        self._handle = handle
        self._tree = tree
        self.every_s = every_s
        self._next_s: float | None = None
        self.used_by_tree = False
        self.others: frozenset[int] = frozenset()
        self.checks = 0
        self.max_util_pct: int | None = None
        self._tree_sm = 0.0
        self._other_sm = 0.0
        self._util_seen_us = 0

    @property
    def shared_share(self) -> float | None:
        """This tree's share of the SM utilization of every process on the GPU, summed over
        the checks; None while no other process used it (an exclusive GPU)."""
        if self._other_sm <= 0.0:
            return None
        return self._tree_sm / (self._tree_sm + self._other_sm)

    def _utilization(self, tree: set[int]) -> None:
        try:
            util = self._session.call("nvmlDeviceGetUtilizationRates", self._handle)
            self.max_util_pct = max(self.max_util_pct or 0, int(util.gpu))
        except MeterError:
            pass
        nvml = self._session.nvml
        try:
            samples = nvml.nvmlDeviceGetProcessUtilization(self._handle, self._util_seen_us)
        except Exception:  # NOT_FOUND: no process sample since the last look
            return
        for sample in samples:
            stamp = int(sample.timeStamp)
            if stamp <= self._util_seen_us and self._util_seen_us:
                continue
            if int(sample.pid) in tree:
                self._tree_sm += float(sample.smUtil)
            else:
                self._other_sm += float(sample.smUtil)
        self._util_seen_us = max([self._util_seen_us, *(int(x.timeStamp) for x in samples)])

    def due(self, now: float) -> bool:
        return self._tree is not None and (self._next_s is None or now >= self._next_s)

    def check(self, now: float) -> frozenset[int]:
        """PIDs outside the metered tree (and alive in this PID namespace) now on the GPU."""
        self._next_s = now + self.every_s
        assert self._tree is not None
        self.checks += 1
        procs = self._session.call("nvmlDeviceGetComputeRunningProcesses", self._handle)
        on_gpu = {int(proc.pid) for proc in procs}
        tree = self._tree.pids()
        self._utilization(tree)
        if not on_gpu:
            return frozenset()
        if not on_gpu <= tree:  # a new child may have started on the GPU: look again
            tree = set(self._tree.members(force=True))
        self.used_by_tree = self.used_by_tree or bool(on_gpu & tree)
        # NVML reports host PIDs; inside a container, PIDs that do not exist here cannot be judged
        others = frozenset(pid for pid in on_gpu - tree if psutil.pid_exists(pid))
        self.others = self.others | others
        return others


ATTRIBUTION_METHOD = "sm_utilization_share (nvmlDeviceGetProcessUtilization)"


def gpu_facts(session: NvmlSession, handle: Any) -> dict[str, Any]:
    """power_limit_w, driver_version, memory_total_mib and mig_enabled (None when unknown)."""
    facts: dict[str, Any] = {}
    for key, call in (
        ("power_limit_w", lambda: mw_to_w(session.call("nvmlDeviceGetEnforcedPowerLimit", handle))),
        ("driver_version", lambda: str(session.call("nvmlSystemGetDriverVersion"))),
        ("memory_total_mib", lambda: session.call("nvmlDeviceGetMemoryInfo", handle).total / 2**20),
        ("mig_enabled", lambda: bool(session.call("nvmlDeviceGetMigMode", handle)[0])),
    ):
        try:
            facts[key] = call()
        except Exception:
            facts[key] = None
    return facts


class NvmlDeviceMixin:
    """What both NVML sources share: the session they hold, the device they read, the watch on
    its processes, and what they say about it for the ledger (``DeviceFacts``)."""

    _session: NvmlSession
    _handle: object
    _closed: bool
    _watch: GpuProcessWatch
    static_facts: dict[str, Any]
    info: DeviceInfo
    _lock: threading.Lock
    _report: Callable[..., None]
    _lose: Callable[..., None]

    def _attach(self, session: NvmlSession, handle: Any, tree: ProcessTree | None) -> None:
        """Hold SESSION open, read the device through HANDLE, watch which processes use it."""
        self._session = session.acquire()
        self._handle = handle
        self._closed = False
        self._watch = GpuProcessWatch(session, handle, tree)
        self._note_facts(session, handle)

    @property
    def used_by_tree(self) -> bool:
        return self._watch.used_by_tree

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._session.release()

    def _check_processes(self, now: float) -> None:
        """When due, look which processes use the GPU: others than the tree's are reported
        (``shared_gpu``); a GPU lost meanwhile ends the device's series."""
        if not self._watch.due(now):
            return
        try:
            others = self._watch.check(now)
        except MeterError as exc:
            if isinstance(exc, DeviceLost):
                with self._lock:
                    self._lose(exc)
            return
        if others:
            with self._lock:
                self._report("shared_gpu", _shared_message(self.info, others))

    def _note_facts(self, session: NvmlSession, handle: Any) -> None:
        self.static_facts = gpu_facts(session, handle)
        if self.static_facts.get("mig_enabled"):
            with self._lock:
                self._report(
                    "mig_shared",
                    f"GPU {self.info.device_id} ({self.info.model}) is in MIG mode: NVML gives power for "
                    "the whole physical GPU, not per instance, so this run is charged every "
                    "instance's energy (no per-instance precision is claimed)",
                )

    def facts(self) -> dict[str, Any]:
        share = self._watch.shared_share
        return {
            **self.static_facts,
            "shared_share": share,
            "attribution_method": ATTRIBUTION_METHOD if share is not None else None,
        }

    @property
    def unused(self) -> bool:
        """Never used by the metered tree, and its utilization stayed at 0 (when looked at)."""
        w = self._watch
        return w.checks > 0 and not w.used_by_tree and w.max_util_pct == 0


def _shared_message(info: DeviceInfo, others: frozenset[int]) -> str:
    listed = ", ".join(str(pid) for pid in sorted(others)[:8])
    return (
        f"GPU {info.device_id} ({info.model}) is also used by process(es) {listed} outside the "
        "metered process tree; its energy includes their work"
    )


def _energy_reader(session: NvmlSession) -> Any:
    """``handle → mJ``: the C function straight from pynvml's cache when it can (a window
    boundary reads it once per GPU), else pynvml's public wrapper."""
    nvml = session.nvml
    try:
        fn = nvml._nvmlGetFunctionPointer("nvmlDeviceGetTotalEnergyConsumption")
    except Exception:
        return nvml.nvmlDeviceGetTotalEnergyConsumption
    c_uint64, byref, error = ctypes.c_uint64, ctypes.byref, nvml.NVMLError

    def read_mj(handle: Any) -> int:
        value = c_uint64()
        ret = fn(handle, byref(value))
        if ret != 0:
            raise error(ret)
        return value.value

    return read_mj


class NvmlEnergyCounter(NvmlDeviceMixin, SourceBase):
    """``nvml_energy_counter``: the GPU's own energy counter, read at every window boundary."""

    def __init__(
        self,
        session: NvmlSession,
        handle: Any,
        info: DeviceInfo,
        clock: Clock = time.monotonic,
        tree: ProcessTree | None = None,
    ) -> None:
        super().__init__(info, clock)
        self._attach(session, handle, tree)
        self._read_lock = threading.Lock()
        self._energy_fn = _energy_reader(session)
        self._power_fn = session.nvml.nvmlDeviceGetPowerUsage
        self._last_raw_j: float | None = None
        self._last_t_s = 0.0
        self._offset_j = 0.0
        self._exposed_j = 0.0
        self._estimated_j = 0.0
        self._power_w: float | None = None

    def _failed(self, now: float, exc: BaseException) -> CounterReading:
        error = meter_error(exc)
        with self._lock:
            if isinstance(error, DeviceLost):
                self._lose(error)
                self._power_w = None
            else:
                self._report(
                    "meter_read_failed",
                    f"cannot read the energy counter of GPU {self.info.device_id}: {error}; "
                    "the energy until the next good reading is counted then",
                )
            return CounterReading(now, self._exposed_j, self._power_w, self._estimated_j)

    def read(self) -> CounterReading:
        # One reading at a time, stamped and differenced in the order it was taken. The sampler
        # thread and a window boundary both read; unserialized, a reading taken first but
        # differenced second looked like a counter that went backwards (a spurious
        # counter_reset, seen under load in the stress runs).
        with self._read_lock:
            return self._read()

    def _read(self) -> CounterReading:
        now = self._clock()
        if self.lost:
            return CounterReading(now, self._exposed_j, None, self._estimated_j)
        try:
            raw_j = mj_to_j(self._energy_fn(self._handle))
            if self._power_w is None:  # the first read before any sample: power for short windows
                self._power_w = mw_to_w(self._power_fn(self._handle))
        except Exception as exc:
            return self._failed(now, exc)
        with self._lock:
            if self._last_raw_j is None:
                self._offset_j = -raw_j  # the counter starts at 0 J when metering starts
            elif raw_j < self._last_raw_j:
                gap_s = max(0.0, now - self._last_t_s)
                bridge_j = self._bridge_j(raw_j, gap_s)
                self._estimated_j += bridge_j
                self._offset_j = self._exposed_j + bridge_j - raw_j
                self._report(
                    "counter_reset",
                    f"the energy counter of GPU {self.info.device_id} went backwards "
                    f"({self._last_raw_j:.3f} J → {raw_j:.3f} J, a driver reload?); the "
                    f"{gap_s:.3f} s since the last reading are bridged by power × time "
                    f"({bridge_j:.1f} J, approximated)",
                    once=False,
                )
            self._last_raw_j, self._last_t_s = raw_j, now
            value = raw_j + self._offset_j
            if value > self._exposed_j:
                self._exposed_j = value
            return CounterReading(now, self._exposed_j, self._power_w, self._estimated_j)

    def _bridge_j(self, raw_j: float, gap_s: float) -> float:
        """The energy of the GAP_S seconds in which the counter went backwards, to RAW_J.

        Power × time; or RAW_J when larger, if the counter restarted from 0 (a driver reload):
        it then holds the energy since the restart. A counter that only stepped back holds far
        more than the GPU could draw in the gap (up to its whole count since the driver
        loaded), and counting it would add that whole count to the run."""
        by_power_j = (self._power_w or 0.0) * gap_s
        limit_w = self.static_facts.get("power_limit_w") or MAX_GPU_POWER_W
        restarted = raw_j <= MAX_OVER_LIMIT * limit_w * gap_s
        return max(by_power_j, raw_j) if restarted else by_power_j

    def sample(self) -> float | None:
        if self.lost:
            return None
        now = self._clock()
        try:
            power = mw_to_w(self._power_fn(self._handle))
        except Exception as exc:
            self._failed(now, exc)
            return None
        self._power_w = power
        self.read()  # keeps the counter followed between windows (resets, loss)
        if self.lost:
            return None
        self._check_processes(now)
        return power


class NvmlPowerSampled(NvmlDeviceMixin, PowerIntegratingSource):
    """``nvml_power_sampled``: the driver's power, integrated (approximated).

    The energy integral and the timeline are separate concerns. The integral uses, best first
    (``signal``): the driver's own power-sample buffer (``samples``:
    ``nvmlDeviceGetSamples(NVML_TOTAL_POWER_SAMPLES)``, every sample since the last read,
    each weighted by its own period, so the sampler's rate does not matter); the 1 s average
    (``average``: field 185; ``power_usage``: ``nvmlDeviceGetPowerUsage``, a 1 s average on
    Ampere and newer), read every second whatever the timeline's rate, so the averages tile
    time; the instant power (``instant``: field 186) only as a last resort. ``sample()``
    integrates when the integral is due (every ``integrate_every_s``) and returns the power
    to draw: the instant power when the timeline runs faster than 2 Hz and the driver offers
    it, else the power the integral last used.
    """

    def __init__(
        self,
        session: NvmlSession,
        handle: Any,
        info: DeviceInfo,
        clock: Clock = time.monotonic,
        tree: ProcessTree | None = None,
        instant_field: bool = True,
        signal: str = "power_usage",
    ) -> None:
        super().__init__(info, clock)
        self._attach(session, handle, tree)
        self.instant_offered = instant_field
        self.instant_field = instant_field
        self.signal = signal
        self.integrate_every_s = {"samples": BUFFER_EVERY_S, "instant": INSTANT_EVERY_S}.get(
            signal, AVERAGE_S
        )
        self._next_integration_s: float | None = None
        self._last_sample_us = 0
        self._period_s: float | None = None  # the driver's sample period, once seen
        self._driver_clock = DriverClock()
        self._buffer_started = False
        self._buffer_lock = threading.Lock()
        self._recent: list[tuple[float, float]] = []  # (J, s) of the last buffer reads
        with self._lock:
            self._report(
                "power_signal", SIGNAL_NOTES[signal] + f" for GPU {info.device_id}", "info"
            )

    def settle(self) -> None:
        """Called by the meter before its last sample: integrate then, even if not yet due."""
        self._next_integration_s = None

    def set_sample_period(self, period_s: float) -> None:
        """Called by the meter: draw the instant power when the timeline is faster than 2 Hz."""
        self.instant_field = self.instant_offered and period_s < INSTANT_BELOW_PERIOD_S

    def _field_w(self, field: int) -> float | None:
        values = self._session.call("nvmlDeviceGetFieldValues", self._handle, [field])
        if values[0].nvmlReturn == 0:
            return mw_to_w(float(values[0].value.uiVal))
        return None

    def _usage_w(self) -> float:
        return mw_to_w(float(self._session.call("nvmlDeviceGetPowerUsage", self._handle)))

    def power_w(self) -> float:
        """The power the integral uses (the averaged or instant signals)."""
        if self.signal in ("average", "instant"):
            field = (
                NVML_FI_DEV_POWER_AVERAGE if self.signal == "average" else NVML_FI_DEV_POWER_INSTANT
            )
            power = self._field_w(field)
            if power is not None:
                return power
        return self._usage_w()

    def _integrate_buffer(self) -> None:
        """Add every driver sample since the last one read, each × its own period."""
        with self._buffer_lock:  # the sampler thread and window boundaries both read it
            self._integrate_buffer_locked()

    def _integrate_buffer_locked(self) -> None:
        nvml = self._session.nvml
        first = not self._buffer_started
        self._buffer_started = True
        try:
            _, samples = nvml.nvmlDeviceGetSamples(self._handle, 0, self._last_sample_us)
            now = self._clock()  # after the call: no sample it returned is later than this
        except nvml.NVMLError as exc:
            if nvml_code(exc) == NVML_ERROR_NOT_FOUND:
                # no new sample: at the first read, an empty buffer, so every later sample
                # is this run's (the integral starts now)
                if first:
                    with self._lock:
                        self._t_s = self._clock()
                return
            raise meter_error(exc) from exc
        new = [(int(x.timeStamp), mw_to_w(float(x.sampleValue.uiVal))) for x in samples]
        new = [(t, p) for t, p in new if t > self._last_sample_us]
        if not new:
            return
        # the integral reaches the newest sample's stamp, up to one driver period before now:
        # that moment, on the meter's clock, is where a boundary's extrapolation starts
        self._driver_clock.saw_sample(now, new[-1][0])
        reach_s = self._driver_clock.to_clock(new[-1][0], now)
        if first:  # samples from before metering began: they only mark where the integral starts
            self._last_sample_us = new[-1][0]
            with self._lock:
                self._t_s, self._power_w = reach_s, new[-1][1]
            return
        # each sample is the power over the period that ends at its timestamp; the first one
        # after an empty buffer has no predecessor: it gets the spacing of the others
        spacing_us = (new[-1][0] - new[0][0]) / (len(new) - 1) if len(new) > 1 else 0.0
        joules, span_us, previous = 0.0, 0.0, self._last_sample_us
        for t_us, power in new:
            dt_us = t_us - previous if previous else (spacing_us or float(t_us))
            joules += power * dt_us / 1e6
            span_us += dt_us
            previous = t_us
        if dt_us > 0:  # the spacing of the last two samples
            self._period_s = dt_us / 1e6
        self._last_sample_us = previous
        with self._lock:
            self._energy_j += joules
            if span_us > 0:
                self._power_w = joules / (span_us / 1e6)
                # between reads, extrapolate with the mean power of the last second of
                # samples: steadier than the last read's, so an overshoot (which the counter
                # would hold, as it never goes back) stays small
                self._recent.append((joules, span_us / 1e6))
                self._recent = self._recent[-RECENT_READS:]
                recent_j = sum(j for j, _ in self._recent)
                recent_s = sum(t for _, t in self._recent)
                self._slope_w = recent_j / recent_s if recent_s > 0 else self._power_w
            # never back: a tighter clock offset must not re-extrapolate integrated time
            self._t_s = max(reach_s, self._t_s) if self._t_s is not None else reach_s

    def read(self) -> CounterReading:
        """The integral now. With the sample buffer, the integral reaches the newest sample's
        stamp (mapped to the meter's clock): up to one driver period before now, a part
        that no sample covers yet. When the driver has published a sample since (a driver
        period after that stamp), the buffer is read first (one NVML call), so a window
        boundary leaves less than one driver period uncovered rather than up to a sampler
        tick. That part is power × time with the instant power (field 186) read now, which
        holds through a short burst better than the recent mean does; without the field,
        the mean power of the last second of samples."""
        if self.signal != "samples" or self.lost:
            return super().read()
        power_now_w = None
        for _ in range(BOUNDARY_TRIES):
            reach_s = self._t_s
            due_s = max(BOUNDARY_READ_MIN_S, self._period_s or FRESH_S) - STAMP_S
            read_buffer = reach_s is not None and self._clock() - reach_s >= due_s
            if read_buffer:
                try:
                    self._integrate_buffer()
                except Exception:  # reported by the sampler's next read; extrapolate meanwhile
                    pass
            power_now_w = None
            if self.instant_offered:
                try:
                    power_now_w = self._field_w(NVML_FI_DEV_POWER_INSTANT)
                except Exception:  # the mean power then
                    pass
            now = self._clock()  # right after the power it extrapolates with
            # a thread descheduled since the buffer read would extrapolate one power over
            # a longer gap than a driver period: read again what the driver published since
            if self._t_s is None or now - self._t_s < due_s:
                break
            if read_buffer and self._t_s == reach_s:  # nothing new: the driver lags; so be it
                break
        return self._read_extrapolated(power_now_w, now)

    def _note_driver_time(self) -> None:
        """A field value's stamp (the CPU time when NVML read it) tightens the clock offset."""
        field = NVML_FI_DEV_POWER_INSTANT if self.instant_offered else NVML_FI_DEV_POWER_AVERAGE
        try:
            values = self._session.nvml.nvmlDeviceGetFieldValues(self._handle, [field])
        except Exception:  # no field values: the sample stamps alone bound the offset
            return
        self._driver_clock.saw_field(self._clock(), int(values[0].timestamp))

    def _integrate(self) -> None:
        if self.signal == "samples":
            self._note_driver_time()
            try:
                self._integrate_buffer()
            except DeviceLost as exc:
                with self._lock:
                    self._lose(exc)
            except MeterError as exc:
                with self._lock:
                    self._report(
                        "meter_read_failed",
                        f"GPU {self.info.device_id}: the power-sample buffer failed ({exc}); "
                        "the 1 s average is integrated from now on",
                    )
                self.signal = "power_usage"
                self._next_integration_s = None
                super().sample()
            return
        super().sample()

    def sample(self) -> float | None:
        if self.lost:
            return None
        now = self._clock()
        if self._next_integration_s is None or now >= self._next_integration_s - DUE_SLACK_S:
            self._next_integration_s = max(now, self._next_integration_s or now)
            self._next_integration_s += self.integrate_every_s
            self._integrate()
            if self.lost:
                return None
        power: float | None
        try:
            drawn = self._field_w(NVML_FI_DEV_POWER_INSTANT) if self.instant_field else None
            power = drawn if drawn is not None else (self._power_w or self._usage_w())
        except DeviceLost as exc:
            with self._lock:
                self._lose(exc)
            return None
        except MeterError:
            power = self._power_w
        self._check_processes(now)
        return power


SIGNAL_NOTES = {
    "samples": "energy integrated from the driver's power-sample buffer "
    "(nvmlDeviceGetSamples, NVML_TOTAL_POWER_SAMPLES), each sample × its own period",
    "average": "energy integrated from the 1 s average power (field 185) read every second",
    "power_usage": "energy integrated from nvmlDeviceGetPowerUsage (a 1 s average on Ampere "
    "and newer) read every second",
    "instant": "energy integrated from the instant power (field 186), the last resort: "
    "periodic loads alias",
}


def _instant_power_offered(session: NvmlSession, handle: Any) -> bool:
    try:
        values = session.call("nvmlDeviceGetFieldValues", handle, [NVML_FI_DEV_POWER_INSTANT])
    except MeterError:
        return False
    return bool(values[0].nvmlReturn == 0)


def _power_signal(session: NvmlSession, handle: Any) -> str | None:
    """The best power signal this GPU offers for the integral, or None."""
    nvml = session.nvml
    try:
        nvml.nvmlDeviceGetSamples(handle, 0, 0)
        return "samples"
    except nvml.NVMLError as exc:
        if nvml_code(exc) == NVML_ERROR_NOT_FOUND:
            return "samples"  # supported, no sample yet
    except Exception:
        pass
    for field, name in ((NVML_FI_DEV_POWER_AVERAGE, "average"),):
        try:
            values = session.call("nvmlDeviceGetFieldValues", handle, [field])
            if values[0].nvmlReturn == 0:
                return name
        except MeterError:
            pass
    try:
        session.call("nvmlDeviceGetPowerUsage", handle)
        return "power_usage"
    except MeterError:
        pass
    return "instant" if _instant_power_offered(session, handle) else None


def _probe_device(
    session: NvmlSession,
    device: NvmlDeviceId,
    handle: Any,
    clock: Clock,
    tree: ProcessTree | None,
) -> tuple[EnergySource | None, Probe]:
    name = f"nvml:{device.index}"
    try:
        model = str(session.call("nvmlDeviceGetName", handle))
    except MeterError as exc:
        return None, Probe(name, "gpu", False, f"cannot read the GPU's name: {exc}", device.uuid)
    try:
        session.call("nvmlDeviceGetTotalEnergyConsumption", handle)
        session.call("nvmlDeviceGetPowerUsage", handle)
    except Unavailable as exc:
        counter_reason = f"energy counter not supported ({exc})"
    except PermissionDenied as exc:
        return None, Probe(name, "gpu", False, f"{model}: permission denied: {exc}", device.uuid)
    except MeterError as exc:
        return None, Probe(name, "gpu", False, f"{model}: {exc}", device.uuid)
    else:
        info = DeviceInfo(
            device.uuid, "gpu", model, "nvml_energy_counter", False, COUNTER_PERIOD_S, device.index
        )
        return NvmlEnergyCounter(session, handle, info, clock, tree), Probe(
            name,
            "gpu",
            True,
            f"{model}: energy counter (nvmlDeviceGetTotalEnergyConsumption), differenced",
            device.uuid,
            info.method,
        )
    instant = _instant_power_offered(session, handle)
    signal = _power_signal(session, handle)
    if signal is None:
        return None, Probe(
            name, "gpu", False, f"{model}: {counter_reason}; no power reading", device.uuid
        )
    info = DeviceInfo(device.uuid, "gpu", model, "nvml_power_sampled", True, 0.0, device.index)
    return NvmlPowerSampled(session, handle, info, clock, tree, instant, signal), Probe(
        name,
        "gpu",
        True,
        f"{model}: {counter_reason}; {SIGNAL_NOTES[signal]} (approximated)"
        + ("; the timeline draws the instant power (field 186) above 2 Hz" if instant else ""),
        device.uuid,
        info.method,
    )


def probe_nvml_gpus(
    gpus: Sequence[str] | None,
    root_pid: int,
    clock: Clock,
    tree: ProcessTree | None = None,
) -> tuple[list[EnergySource], list[Probe]]:
    """Sources for the selected GPUs, and a probe (used or not, and why) for each GPU."""
    try:
        session = NvmlSession()
    except MeterError as exc:
        return [], [Probe("nvml", "gpu", False, str(exc))]
    sources: list[EnergySource] = []
    probes: list[Probe] = []
    session.acquire()
    try:
        count = int(session.call("nvmlDeviceGetCount"))
        devices: list[NvmlDeviceId] = []
        handles: dict[int, Any] = {}
        for index in range(count):
            try:
                handle = session.call("nvmlDeviceGetHandleByIndex", index)
                uuid = str(session.call("nvmlDeviceGetUUID", handle))
            except MeterError as exc:
                probes.append(
                    Probe(f"nvml:{index}", "gpu", False, f"cannot open GPU {index}: {exc}")
                )
                continue
            devices.append(NvmlDeviceId(index, uuid))
            handles[index] = handle
        if not devices and not probes:
            probes.append(
                Probe("nvml", "gpu", False, f"NVML {session.driver_version()} sees no GPU")
            )
        selection = select_gpus(devices, gpus, os.environ.get("CUDA_VISIBLE_DEVICES"))
        for note in selection.notes:
            probes.append(Probe("nvml", "gpu", False, note))
        for device in devices:
            if device.index not in selection.indices:
                probes.append(
                    Probe(
                        f"nvml:{device.index}",
                        "gpu",
                        False,
                        f"not selected by {selection.origin}",
                        device.uuid,
                    )
                )
        for index in selection.indices:
            device = next(d for d in devices if d.index == index)
            source, probe = _probe_device(session, device, handles[index], clock, tree)
            probes.append(probe)
            if source is not None:
                sources.append(source)
    except MeterError as exc:
        probes.append(Probe("nvml", "gpu", False, f"NVML failed while probing: {exc}"))
    finally:
        session.release()  # the sources hold their own references
    return sources, probes
