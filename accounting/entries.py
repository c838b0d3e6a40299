"""Ledger entries: small frozen records, a discriminated union on ``kind``.

Every entry shares ``id``, ``run_id``, ``recorded_at`` and ``source``. Nothing is ever
edited: a mistake is fixed by appending a :class:`Correction` that points at the entry.

Units live in field names (``joules``, ``power_w``, ``usd``, ``kgco2e``). Timestamps are
timezone-aware UTC datetimes; durations come from the monotonic clock.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

RunKind = Literal["training", "fine_tuning", "inference", "evaluation", "other"]
RunStatus = Literal["completed", "failed", "interrupted", "lost", "budget_exceeded"]
DeviceKind = Literal["gpu", "cpu", "ram"]
Severity = Literal["info", "warning", "error"]

RUN_KINDS: tuple[str, ...] = ("training", "fine_tuning", "inference", "evaluation", "other")
RUN_WINDOW = "run"
"""Energy entries whose window is ``run`` are additive segments of the run's total energy.

Every other window key (``phase:train``, ``epoch:3``, ``step:1200-1299``, ``request:0-99``)
is a view inside the run and is never added to the total.
"""


def new_id() -> str:
    return uuid.uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntrySource(Frozen):
    """Where an entry came from: the host, the process, its rank and the writer."""

    host: str
    pid: int | None = None
    rank: int | None = None
    origin: str = "ecoledger"

    @classmethod
    def here(cls, origin: str = "ecoledger", rank: int | None = None) -> EntrySource:
        return cls(host=socket.gethostname(), pid=os.getpid(), rank=rank, origin=origin)


class _Entry(Frozen):
    id: str = Field(default_factory=new_id)
    run_id: str
    recorded_at: datetime = Field(default_factory=utc_now)
    source: EntrySource = Field(default_factory=EntrySource.here)

    @field_validator("recorded_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("recorded_at must be timezone-aware")
        return value.astimezone(UTC)


class RunStarted(_Entry):
    kind: Literal["run_started"] = "run_started"
    name: str
    project: str | None = None
    run_kind: RunKind = "training"
    started_at: datetime
    command: tuple[str, ...] | None = None
    """The wrapped command, secrets redacted. Environment variables are never recorded."""
    country: str | None = None
    cloud: str | None = None
    pue: float | None = None
    parent_run_id: str | None = None
    """The training run this (inference) run amortizes."""
    expected_uses: int | None = None
    tags: tuple[str, ...] = ()
    ecoledger_version: str = ""
    flush_interval_s: float | None = None
    writer_start_ticks: int | None = None
    """The writing process's start time (clock ticks since boot, ``/proc/PID/stat``); with
    ``source.pid`` and ``writer_boot_id`` it tells at once whether the writer still lives."""
    writer_boot_id: str | None = None
    """The kernel's boot id when the run started (``/proc/sys/kernel/random/boot_id``)."""


class RunEnded(_Entry):
    kind: Literal["run_ended"] = "run_ended"
    status: RunStatus
    ended_at: datetime
    duration_s: float
    exit_code: int | None = None
    error: str | None = None
    """Exception type or signal name when the run did not complete."""
    meter_cpu_s: float | None = None


class Energy(_Entry):
    kind: Literal["energy"] = "energy"
    window: str
    device_id: str
    device_kind: DeviceKind
    device_model: str
    method: str
    approximated: bool
    joules: float = Field(ge=0)
    start: datetime
    end: datetime
    duration_s: float = Field(ge=0)
    count: int | None = None
    """Steps or calls aggregated into this window (``step:1200-1299`` has 100)."""


class PowerSample(_Entry):
    """A batch of power readings of one device. ``t_s`` are Unix seconds (UTC)."""

    kind: Literal["power_samples"] = "power_samples"
    device_id: str
    device_kind: DeviceKind
    method: str
    t_s: tuple[float, ...]
    power_w: tuple[float, ...]

    @field_validator("power_w")
    @classmethod
    def _same_length(cls, value: tuple[float, ...], info: Any) -> tuple[float, ...]:
        t = info.data.get("t_s")
        if t is not None and len(t) != len(value):
            raise ValueError("t_s and power_w must have the same length")
        return value


class Usage(_Entry):
    kind: Literal["usage"] = "usage"
    requests: int = Field(default=0, ge=0)
    tokens: int = Field(default=0, ge=0)
    items: int = Field(default=0, ge=0)
    window: str | None = None
    joules: float | None = Field(default=None, ge=0)
    """Energy attributed to these calls (window differences around them), when metered."""
    start: datetime | None = None
    end: datetime | None = None


class Benefit(_Entry):
    kind: Literal["benefit"] = "benefit"
    benefit_kind: Literal["social", "environmental"]
    basis: Literal["lump_sum", "per_request", "per_token", "per_item"] = "lump_sum"
    usd: float | None = None
    """USD in total (lump_sum) or per unit (per_request/per_token/per_item)."""
    avoided_kgco2e: float | None = Field(default=None, ge=0)
    rationale: str = ""
    reference: str = ""


class FactorRecord(Frozen):
    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    year: int | None = None


class Assumptions(_Entry):
    """The factor set used for an assessment, recorded so that a report can be reproduced."""

    kind: Literal["assumptions"] = "assumptions"
    label: str = ""
    factors: tuple[FactorRecord, ...]
    settings_json: str = "{}"
    """The user's settings (country, presets, overrides) as canonical JSON."""


class Problem(_Entry):
    kind: Literal["problem"] = "problem"
    code: str
    """e.g. device_lost, shared_gpu, counter_reset, meter_failed, approximated, short_window."""
    severity: Severity = "warning"
    message: str
    device_id: str | None = None
    at: datetime | None = None


class DeviceFacts(_Entry):
    """What the meter learned about one device of a run (the latest entry per device wins).

    ``shared_share``: this run's estimated share of a GPU that other processes used too
    (0–1, from per-process SM utilization), or None when the GPU was used by this run alone;
    ``attribution_method`` says how it was estimated. The assessment charges the whole device
    unless asked to attribute (``--shared-gpu attribute``).
    """

    kind: Literal["device"] = "device"
    device_id: str
    device_kind: DeviceKind
    model: str
    power_limit_w: float | None = None
    driver_version: str | None = None
    memory_total_mib: float | None = None
    mig_enabled: bool | None = None
    shared_share: float | None = Field(default=None, ge=0.0, le=1.0)
    attribution_method: str | None = None


class Correction(_Entry):
    kind: Literal["correction"] = "correction"
    target_id: str
    reason: str
    replacement_json: str | None = None
    """The corrected entry's payload as canonical JSON, when the correction replaces it."""


AnyEntry = (
    RunStarted
    | RunEnded
    | Energy
    | PowerSample
    | Usage
    | Benefit
    | Assumptions
    | Problem
    | DeviceFacts
    | Correction
)
"""Any one entry (the union, for annotations)."""
Entry = Annotated[AnyEntry, Field(discriminator="kind")]
"""The union discriminated on ``kind`` (what pydantic validates against)."""

ENTRY_TYPES: tuple[type[_Entry], ...] = (
    RunStarted,
    RunEnded,
    Energy,
    PowerSample,
    Usage,
    Benefit,
    Assumptions,
    Problem,
    DeviceFacts,
    Correction,
)
ENTRY_KINDS: tuple[str, ...] = tuple(t.model_fields["kind"].default for t in ENTRY_TYPES)

_ADAPTER: TypeAdapter[AnyEntry] = TypeAdapter(Entry)


def entry_from_json(text: str | bytes) -> AnyEntry:
    """Parse one entry from its JSON form (validated, frozen)."""
    return _ADAPTER.validate_json(text)
