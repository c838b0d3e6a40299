"""A made-up but realistic ledger, for trying the dashboard and reports at scale and for the
benchmarks (``ecoledger demo --synthetic DAYS --gpus N --runs R``). Nothing here is measured.

Every run it writes carries the tag :data:`~accounting.run_list.SYNTHETIC_TAG` and the source
origin :data:`ORIGIN`, and every output (``show``, ``runs``, reports, the dashboard) labels it
synthetic, so it can never be mistaken for a measurement.

What it holds, as a writer flushing every ``flush_s`` seconds would have written it:

- training runs on ``gpus`` GPUs: a warm-up, training bursts (steps at high power with short
  data-loading dips), an eval phase every half hour at lower power; ``phase:train`` and
  ``phase:eval`` windows; a counter reset on the first GPU at 40 % of the run (that segment
  is approximated); the last GPU lost at 70 % (its series ends there);
- inference runs on one GPU that amortize the latest training run: bursts of requests, usage
  (requests, tokens) with its energy, and a declared benefit per request;
- one ``run``-window energy segment per device per flush, and power samples at ``sample_hz``
  in one entry per device per ``DEFAULT_POWER_BATCH_S`` (10 s), as the writer batches them.

Runs: R runs share the span in equal slots (80 % busy); every fifth run, the first included,
is a training run, the others serve it. One run (R = 1) is a training run over the whole span.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from accounting.entries import (
    Benefit,
    DeviceFacts,
    Energy,
    EntrySource,
    PowerSample,
    Problem,
    RunEnded,
    RunStarted,
    Usage,
)
from accounting.errors import InputError
from accounting.run_list import SYNTHETIC_TAG
from accounting.store.writer import DEFAULT_POWER_BATCH_S

ORIGIN = "ecoledger demo --synthetic"
PROJECT = "synthetic-demo"
HOST = "synthetic-node"
GPU_MODEL = "NVIDIA H100 80GB HBM3"
GPU_POWER_LIMIT_W = 700.0
METHOD = "nvml_energy_counter"
EXPECTED_USES = 10_000_000
BENEFIT_PER_REQUEST_USD = 0.0002
TRAINING_EVERY = 5
BUSY_SHARE = 0.8
EVAL_EVERY_S = 1800.0
EVAL_S = 180.0
WARMUP_S = 60.0
DIP_EVERY_S = 7.3
DIP_S = 1.1
MAX_DAYS = 366.0
MAX_GPUS = 64
MAX_RUNS = 1_000_000
SOURCE = EntrySource(host=HOST, pid=None, rank=None, origin=ORIGIN)


@dataclass(frozen=True)
class SyntheticSpec:
    """What to make up: ``days`` of calendar (fractional: 0.001 is 86.4 s) ending at ``end``,
    ``gpus`` GPUs per training run, ``runs`` runs, power sampled at ``sample_hz``, flushed
    every ``flush_s`` seconds."""

    days: float
    gpus: int
    runs: int = 3
    sample_hz: float = 1.0
    flush_s: float = 2.0
    seed: int = 0
    end: datetime | None = None
    country: str | None = None
    pue: float | None = None

    def check(self) -> None:
        """One error naming the first bad field."""
        bounds: tuple[tuple[str, float, float, float], ...] = (
            ("days", self.days, 0.0, MAX_DAYS),
            ("gpus", self.gpus, 1, MAX_GPUS),
            ("runs", self.runs, 1, MAX_RUNS),
            ("sample_hz", self.sample_hz, 0.0, 100.0),
            ("flush_s", self.flush_s, 0.0, 3600.0),
        )
        for name, value, low, high in bounds:
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(f"{name}: must be a finite number, got {value!r}")
            if name in ("gpus", "runs") and value != int(value):
                raise InputError(f"{name}: must be a whole number, got {value!r}")
            if not (low < value <= high if low == 0.0 else low <= value <= high):
                raise InputError(
                    f"{name}: must be in {'(' if low == 0.0 else '['}{low:g}, {high:g}], got {value!r}"
                )
        if self.runs > 1 and self.days * 86400.0 * BUSY_SHARE / self.runs < self.flush_s:
            raise InputError(
                f"runs: {self.runs} runs in {self.days:g} days leave each less than one flush "
                f"({self.flush_s:g} s): ask for fewer runs or more days"
            )


@dataclass(frozen=True)
class SyntheticSummary:
    runs: int
    training_runs: int
    entries: int
    power_samples: int
    energy_j: float
    run_ids: tuple[str, ...]


@dataclass(frozen=True)
class _Plan:
    index: int
    kind: str
    start: datetime
    seconds: float
    gpus: int
    parent: str | None
    run_id: str


def _plans(spec: SyntheticSpec, rng: random.Random) -> list[_Plan]:
    end = spec.end or datetime.now(UTC)
    span_s = spec.days * 86400.0
    begin = end - timedelta(seconds=span_s)
    slot_s = span_s / spec.runs
    busy_s = span_s if spec.runs == 1 else slot_s * BUSY_SHARE
    plans: list[_Plan] = []
    parent: str | None = None
    for i in range(spec.runs):
        run_id = f"{rng.getrandbits(128):032x}"
        training = i % TRAINING_EVERY == 0
        plans.append(
            _Plan(
                index=i,
                kind="training" if training else "inference",
                start=begin + timedelta(seconds=i * slot_s),
                seconds=busy_s,
                gpus=spec.gpus if training else 1,
                parent=None if training else parent,
                run_id=run_id,
            )
        )
        if training:
            parent = run_id
    return plans


def _gpu_id(run_index: int, gpu: int) -> str:
    return f"GPU-5e7e71c0-{run_index % 10_000:04d}-{gpu:04d}-synthetic"


def _training_power_w(t_s: float, rng: random.Random) -> tuple[float, str]:
    """Power of one GPU ``t_s`` seconds into a training run, and the phase."""
    if t_s < WARMUP_S:
        return 90.0 + rng.gauss(0.0, 5.0), "warmup"
    if (t_s % EVAL_EVERY_S) >= EVAL_EVERY_S - EVAL_S:
        return 260.0 + rng.gauss(0.0, 25.0), "eval"
    dip = (t_s % DIP_EVERY_S) < DIP_S  # data loading between bursts of steps
    return (340.0 if dip else 615.0) + rng.gauss(0.0, 30.0), "train"


def _inference_power_w(t_s: float, rng: random.Random) -> float:
    burst = math.sin(t_s / 97.0) + 0.6 * math.sin(t_s / 13.0) > 0.4
    return (430.0 if burst else 115.0) + rng.gauss(0.0, 20.0)


def _run_batches(plan: _Plan, spec: SyntheticSpec, rng: random.Random) -> Iterator[list[Any]]:
    """One run's entries, a batch per flush (the first with its start, the last with its end)."""
    devices = [_gpu_id(plan.index, g) for g in range(plan.gpus)]
    head: list[Any] = [
        RunStarted(
            **_stamp(plan, plan.start),
            name=f"synthetic: {'train' if plan.kind == 'training' else 'serve'} #{plan.index}",
            project=PROJECT,
            run_kind=plan.kind,  # type: ignore[arg-type]
            started_at=plan.start,
            parent_run_id=plan.parent,
            expected_uses=EXPECTED_USES if plan.parent else None,
            tags=(SYNTHETIC_TAG,),
            flush_interval_s=spec.flush_s,
            country=spec.country,
            pue=spec.pue,
        ),
        *(
            DeviceFacts(
                **_stamp(plan, plan.start),
                device_id=device,
                device_kind="gpu",
                model=GPU_MODEL,
                power_limit_w=GPU_POWER_LIMIT_W,
                memory_total_mib=81559.0,
            )
            for device in devices
        ),
    ]
    step = 1.0 / spec.sample_hz
    reset_at = plan.seconds * 0.4 if plan.kind == "training" else math.inf
    lost_at = plan.seconds * 0.7 if plan.kind == "training" else math.inf
    lost_device = devices[-1]
    phase_j: dict[tuple[str, str], list[Any]] = {}  # (phase, device) → [joules, start, end]
    held: dict[str, tuple[list[float], list[float]]] = {}  # power samples, as the writer batches
    t = 0.0
    first = True
    while t < plan.seconds:
        flush_end = min(t + spec.flush_s, plan.seconds)
        batch: list[Any] = head if first else []
        first = False
        when = plan.start + timedelta(seconds=flush_end)
        times = [t + k * step for k in range(max(1, math.ceil((flush_end - t) / step - 1e-9)))]
        for device in devices:
            if device == lost_device and t >= lost_at:
                continue
            powers: list[float] = []
            dt = (flush_end - t) / len(times)
            for ts in times:
                if plan.kind == "training":
                    power, phase = _training_power_w(ts, rng)
                else:
                    power, phase = _inference_power_w(ts, rng), "serve"
                power = min(GPU_POWER_LIMIT_W, max(30.0, power))
                powers.append(power)
                window = phase_j.setdefault((phase, device), [0.0, ts, ts])
                window[0] += power * dt
                window[2] = ts + dt
            joules = sum(powers) * dt
            reset = device == devices[0] and t <= reset_at < flush_end
            start = plan.start + timedelta(seconds=t)
            batch.append(
                _gpu_energy(plan, when, "run", device, joules, start, when, flush_end - t, reset)
            )
            held_t, held_w = held.setdefault(device, ([], []))
            held_t.extend(plan.start.timestamp() + ts for ts in times)
            held_w.extend(round(p, 3) for p in powers)
            its_last = flush_end >= plan.seconds or (device == lost_device and lost_at <= flush_end)
            if its_last or held_t[-1] - held_t[0] >= DEFAULT_POWER_BATCH_S:
                batch.append(
                    PowerSample(
                        **_stamp(plan, when),
                        device_id=device,
                        device_kind="gpu",
                        method=METHOD,
                        t_s=tuple(held_t),
                        power_w=tuple(held_w),
                    )
                )
                del held[device]
            if reset:
                batch.append(_problem(plan, when, "counter_reset", "warning", device))
            if device == lost_device and t <= lost_at < flush_end:
                batch.append(_problem(plan, when, "device_lost", "error", device))
        if plan.kind == "inference":
            requests = rng.randint(20, 400) if spec.flush_s >= 1 else rng.randint(0, 40)
            batch.append(
                Usage(
                    **_stamp(plan, when),
                    requests=requests,
                    tokens=requests * rng.randint(180, 260),
                    joules=sum(e.joules for e in batch if isinstance(e, Energy)),
                    start=plan.start + timedelta(seconds=t),
                    end=when,
                )
            )
        t = flush_end
        if t >= plan.seconds:
            batch.extend(_tail(plan, phase_j))
        yield batch


def _stamp(plan: _Plan, when: datetime) -> dict[str, Any]:
    """What every entry of a synthetic run states: its run, when it was recorded, its source."""
    return {"run_id": plan.run_id, "recorded_at": when, "source": SOURCE}


def _gpu_energy(
    plan: _Plan,
    when: datetime,
    window: str,
    device: str,
    joules: float,
    start: datetime,
    end: datetime,
    duration_s: float,
    approximated: bool = False,
) -> Energy:
    return Energy(
        **_stamp(plan, when),
        window=window,
        device_id=device,
        device_kind="gpu",
        device_model=GPU_MODEL,
        method=METHOD,
        approximated=approximated,
        joules=joules,
        start=start,
        end=end,
        duration_s=duration_s,
    )


def _problem(plan: _Plan, when: datetime, code: str, severity: str, device: str) -> Problem:
    message = (
        f"synthetic: the energy counter of GPU {device} went backwards; this flush is bridged "
        "by power × time (approximated)"
        if code == "counter_reset"
        else f"synthetic: GPU {device} was lost mid-run; its series ends here"
    )
    return Problem(
        **_stamp(plan, when),
        code=code,
        severity=severity,  # type: ignore[arg-type]
        message=message,
        device_id=device,
        at=when,
    )


def _tail(plan: _Plan, phase_j: dict[tuple[str, str], list[Any]]) -> list[Any]:
    end = plan.start + timedelta(seconds=plan.seconds)
    tail: list[Any] = [
        _gpu_energy(
            plan,
            end,
            f"phase:{phase}",
            device,
            joules,
            plan.start + timedelta(seconds=first_s),
            plan.start + timedelta(seconds=last_s),
            last_s - first_s,
        )
        for (phase, device), (joules, first_s, last_s) in phase_j.items()
    ]
    if plan.kind == "inference":
        tail.append(
            Benefit(
                **_stamp(plan, end),
                benefit_kind="social",
                basis="per_request",
                usd=BENEFIT_PER_REQUEST_USD,
                rationale="synthetic: a made-up value per request, for trying the tools",
                reference=ORIGIN,
            )
        )
    elif plan.index == 0:
        tail.append(
            Benefit(
                **_stamp(plan, end),
                benefit_kind="environmental",
                avoided_kgco2e=50.0,
                rationale="synthetic: a made-up avoided emission, for trying the tools",
                reference=ORIGIN,
            )
        )
    tail.append(
        RunEnded(
            **_stamp(plan, end),
            status="completed",
            ended_at=end,
            duration_s=plan.seconds,
        )
    )
    return tail


def write_synthetic(
    ledger: Any,
    spec: SyntheticSpec,
    progress: Callable[[float], None] | None = None,
    batch_entries: int = 20_000,
) -> SyntheticSummary:
    """Append the made-up runs through ``ledger.append`` (one transaction per about
    ``batch_entries`` entries), calling ``progress(share done)`` after each."""
    spec.check()
    rng = random.Random(spec.seed)
    plans = _plans(spec, rng)
    total_s = sum(plan.seconds for plan in plans) or 1.0
    done_s = 0.0
    pending: list[Any] = []
    entries = samples = 0
    energy_j = 0.0
    for plan in plans:
        flushed = 0.0
        for batch in _run_batches(plan, spec, rng):
            pending.extend(batch)
            flushed = min(plan.seconds, flushed + spec.flush_s)
            if len(pending) >= batch_entries:
                entries, samples, energy_j = _flush(ledger, pending, entries, samples, energy_j)
                pending = []
                if progress:
                    progress((done_s + flushed) / total_s)
        done_s += plan.seconds
    entries, samples, energy_j = _flush(ledger, pending, entries, samples, energy_j)
    if progress:
        progress(1.0)
    return SyntheticSummary(
        runs=len(plans),
        training_runs=sum(plan.kind == "training" for plan in plans),
        entries=entries,
        power_samples=samples,
        energy_j=energy_j,
        run_ids=tuple(plan.run_id for plan in plans),
    )


def _flush(
    ledger: Any, pending: list[Any], entries: int, samples: int, energy_j: float
) -> tuple[int, int, float]:
    if pending:
        ledger.append(pending)
    for entry in pending:
        if isinstance(entry, PowerSample):
            samples += len(entry.t_s)
        elif isinstance(entry, Energy) and entry.window == "run":
            energy_j += entry.joules
    return entries + len(pending), samples, energy_j
