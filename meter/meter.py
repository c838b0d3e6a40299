"""The meter: windows over every source's energy counter, and a background power sampler.

``begin(key)``/``end(key)`` and ``with meter.window(key)`` give frozen :class:`Measurement`s.
Windows nest and overlap freely: a window is just two counter snapshots. The sampler
thread, ``sample_hz`` times a second, lets power-only sources integrate and records the
power timeline (drained in batches by the caller).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from meter.measurement import (
    CounterReading,
    DeviceEnergy,
    Measurement,
    MeterProblem,
    PowerSeries,
)
from meter.source import Clock, EnergySource

Snapshot = tuple[float, float, tuple[CounterReading, ...]]  # (monotonic s, unix s, readings)

DEFAULT_MAX_SAMPLES = 86_400
"""Power samples kept per device between two drains: a day at 1 Hz. The recorder drains
them at every flush (2 s); only a meter nobody drains (or a writer stuck in its store for
a day) reaches it, and then the oldest samples go, with one ``samples_dropped`` problem."""


class Meter:
    def __init__(
        self,
        sources: Sequence[EnergySource],
        *,
        sample_hz: float = 1.0,
        clock: Clock = time.monotonic,
        wall: Callable[[], float] = time.time,
        max_samples: int = DEFAULT_MAX_SAMPLES,
    ) -> None:
        if sample_hz <= 0:
            raise ValueError("sample_hz must be > 0")
        if max_samples < 1:
            raise ValueError(f"max_samples must be ≥ 1, got {max_samples}")
        self.sources = tuple(sources)
        self._readers = tuple(source.read for source in self.sources)
        self.sample_hz = sample_hz
        self._clock = clock
        # one wall-clock reading, then monotonic time: timestamps stay ordered and durations
        # exact across a wall-clock step (NTP, a resumed VM) during the run
        self._wall0_s = wall() - clock()
        self._open: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self.max_samples = max_samples
        # bounded rings: a run of any length holds at most max_samples per device in memory
        self._samples: dict[str, tuple[deque[float], deque[float]]] = {
            s.info.device_id: self._ring() for s in self.sources
        }
        self._dropped_said: set[str] = set()
        self._problems: list[MeterProblem] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampler_cpu_s = 0.0
        # sources whose integral needs reads at their own cadence (NVML's 1 s average is read
        # every second, whatever the timeline's rate): the sampler wakes for them too
        self._integrators = tuple(
            s for s in self.sources if getattr(s, "integrate_every_s", None) is not None
        )
        periods = [float(getattr(s, "integrate_every_s")) for s in self._integrators]  # noqa: B009
        self._integrate_every_s = min(periods) if periods else None
        for source in self.sources:  # sources that poll power may pick a signal for the rate
            set_period = getattr(source, "set_sample_period", None)
            if set_period is not None:
                set_period(1.0 / sample_hz)

    # -- windows ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """(monotonic s, Unix s, every source's counter): the two ends of any window."""
        t = self._clock()
        return (t, self._wall0_s + t, tuple([read() for read in self._readers]))

    def begin(self, key: str) -> None:
        snap = self.snapshot()
        with self._lock:
            if key in self._open:
                raise ValueError(f"window {key!r} is already open")
            self._open[key] = snap

    def end(self, key: str) -> Measurement:
        snap = self.snapshot()
        with self._lock:
            try:
                start = self._open.pop(key)
            except KeyError:
                raise ValueError(f"window {key!r} was never begun") from None
        return self.between(key, start, snap)

    @contextmanager
    def window(self, key: str) -> Iterator[list[Measurement]]:
        """``with meter.window("eval") as out: ...``; ``out[0]`` is the Measurement after exit."""
        out: list[Measurement] = []
        self.begin(key)
        try:
            yield out
        finally:
            out.append(self.end(key))

    def between(
        self, key: str, start: Snapshot, end: Snapshot, *, contiguous: bool = False
    ) -> Measurement:
        """The Measurement between two snapshots (any two, in order).

        Per device: the energy that :meth:`energies_between` gives. ``contiguous=True`` is
        for back-to-back segments that tile a run (each starts at the previous one's end).
        """
        t0, w0, _ = start
        t1, w1, _ = end
        energies = self.energies_between(start, end, contiguous=contiguous)
        return self.measurement(key, w0, w1, max(0.0, t1 - t0), energies)

    def energies_between(
        self, start: Snapshot, end: Snapshot, *, contiguous: bool = False
    ) -> list[tuple[float, bool]]:
        """Per source, in the order of :attr:`sources`: (joules, approximated) between two
        snapshots; the rule of every window, cheap enough for a per-call hook.

        The counter's difference. A window shorter than the update period of a counter that
        updates in steps (or over which such a counter showed no increase) is estimated as
        power × duration and flagged ``approximated``: never 0 J for a device drawing power.
        Counters read exactly at the boundary (period 0) keep their difference. A window over
        which part of a counter was bridged (a reset) is flagged too.

        ``contiguous=True``: back-to-back segments that tile a run add up exactly to the
        counter's total, so a short one keeps its raw difference and is not estimated.
        """
        t0, _, r0 = start
        t1, _, r1 = end
        duration = max(0.0, t1 - t0)
        energies = []
        for source, a, b in zip(self.sources, r0, r1, strict=True):
            info = source.info
            joules = max(0.0, b.energy_j - a.energy_j)
            approximated = info.approximated or b.estimated_j > a.estimated_j
            # a counter that updates every counter_period_s may not have moved yet; a counter
            # read at the boundary itself (period 0: CPU time, RAPL-like reads, integrals)
            # that did not move means 0 J, and estimating it would break the tiling
            period = info.counter_period_s
            short = period > 0.0 and (duration < period or joules == 0.0)
            if duration > 0.0 and short and not contiguous:
                power = b.power_w if b.power_w is not None else a.power_w
                if power is not None and power > 0.0:
                    joules = power * duration
                    approximated = True
            energies.append((joules, approximated))
        return energies

    def measurement(
        self,
        key: str,
        start_unix_s: float,
        end_unix_s: float,
        duration_s: float,
        energies: Sequence[tuple[float, bool]],
    ) -> Measurement:
        """A Measurement from per-source (joules, approximated), in the order of :attr:`sources`
        (what :meth:`energies_between` returns, or sums of it over several windows)."""
        return Measurement(
            key=key,
            start_time=datetime.fromtimestamp(start_unix_s, UTC),
            end_time=datetime.fromtimestamp(end_unix_s, UTC),
            duration_s=duration_s,
            devices=tuple(
                DeviceEnergy(
                    device_id=source.info.device_id,
                    kind=source.info.kind,
                    model=source.info.model,
                    method=source.info.method,
                    joules=joules,
                    approximated=approximated,
                )
                for source, (joules, approximated) in zip(self.sources, energies, strict=True)
            ),
        )

    # -- the sampler -----------------------------------------------------------------------
    def sample_once(self) -> None:
        """One sampler tick: every source samples; power and problems are kept for draining."""
        now_unix = self._wall0_s + self._clock()
        for source in self.sources:
            try:
                power = source.sample()
                problems = source.take_problems()
            except Exception as exc:  # a source must never kill the sampler
                power, problems = None, []
                self._add_problem(
                    MeterProblem(
                        "meter_failed",
                        f"{source.info.device_id}: {exc}",
                        "warning",
                        source.info.device_id,
                        datetime.now(UTC),
                    )
                )
            with self._lock:
                self._problems.extend(problems)
                if power is not None:
                    ts, ps = self._samples[source.info.device_id]
                    if len(ts) == self.max_samples:
                        self._note_dropped(source.info.device_id)
                    ts.append(now_unix)
                    ps.append(power)

    def _ring(self) -> tuple[deque[float], deque[float]]:
        return deque(maxlen=self.max_samples), deque(maxlen=self.max_samples)

    def _note_dropped(self, device_id: str) -> None:
        """The ring is full (nobody drained it): say so once per device. Lock held."""
        if device_id in self._dropped_said:
            return
        self._dropped_said.add(device_id)
        self._problems.append(
            MeterProblem(
                "samples_dropped",
                f"{device_id}: more than {self.max_samples} power samples were waiting to be "
                "written; the oldest are dropped from the timeline (the energy counters are "
                "not affected)",
                "warning",
                device_id,
                datetime.now(UTC),
            )
        )

    def _add_problem(self, problem: MeterProblem) -> None:
        with self._lock:
            self._problems.append(problem)

    def _timed_sample(self) -> None:
        c0 = time.thread_time()
        self.sample_once()
        self._sampler_cpu_s += time.thread_time() - c0

    def _integrate_once(self) -> None:
        """A tick for the integrals only: integrators read what they need; nothing is drawn."""
        c0 = time.thread_time()
        for source in self._integrators:
            try:
                source.sample()
            except Exception:  # reported at the next timeline tick, if it persists
                pass
        self._sampler_cpu_s += time.thread_time() - c0

    def _run(self) -> None:
        period = 1.0 / self.sample_hz
        every = self._integrate_every_s
        now = time.monotonic()
        next_t = now + period
        next_i = now + every if every is not None and every < period else None
        while True:
            due = next_t if next_i is None else min(next_t, next_i)
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            now = time.monotonic()
            if now >= next_t:
                self._timed_sample()
                next_t += period
                if next_t < now:  # fell behind (suspended, overloaded): skip ahead
                    next_t = now + period
            elif next_i is not None and every is not None:
                self._integrate_once()
            if next_i is not None and every is not None and now >= next_i:
                next_i += every
                if next_i < now:
                    next_i = now + every

    def start(self, *, background: bool = True) -> Meter:
        """Take a first sample (so power-only sources start integrating) and start the thread.

        ``background=False``: the first sample only; the caller drives :meth:`sample_once`
        (simulations on an injected clock, such as ``benchmarks/long_run_memory.py``).
        """
        if self._thread is None:
            self._timed_sample()
            if not background:
                return self
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ecoledger-sampler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the sampler thread after one last sample (so integrals reach this moment)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            for source in self._integrators:  # the integrals reach this very moment
                settle = getattr(source, "settle", None)
                if settle is not None:
                    settle()
            self._timed_sample()

    def close(self) -> None:
        self.stop()
        for source in self.sources:
            try:
                source.close()
            except Exception:
                pass

    @property
    def sampler_cpu_s(self) -> float:
        """CPU seconds the sampler has used (its thread, plus the first and last samples)."""
        return self._sampler_cpu_s

    def drain_samples(self) -> list[PowerSeries]:
        """The power samples recorded since the last drain, one series per device."""
        out = []
        with self._lock:
            for source in self.sources:
                ts, ps = self._samples[source.info.device_id]
                if ts:
                    out.append(
                        PowerSeries(
                            source.info.device_id,
                            source.info.kind,
                            source.info.method,
                            tuple(ts),
                            tuple(ps),
                        )
                    )
                    self._samples[source.info.device_id] = self._ring()
        return out

    def drain_problems(self) -> list[MeterProblem]:
        with self._lock:
            problems, self._problems = self._problems, []
        return problems
