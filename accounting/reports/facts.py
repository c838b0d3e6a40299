"""The facts a report states, as frozen records (the JSON report is their ``to_json``).

:class:`ReportFacts` is everything but the title and the statement; :mod:`.statement` writes
those from it, and :class:`ReportContent` holds both, built in one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounting.assessment.result import Assessment
from accounting.factors.factor import Factor
from accounting.reports import equivalences as eq
from accounting.reports import references as refs

REPORT_SCHEMA_ID = "https://ecoledger.dev/schemas/report/v1"
REPORT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Scope:
    """What a report covers: one run, or a project between two dates."""

    kind: str
    """run | project"""
    run_id: str | None = None
    project: str | None = None
    since: str | None = None
    """ISO date or datetime, inclusive."""
    until: str | None = None
    """ISO date (the whole day) or datetime, inclusive."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "run_id": self.run_id,
            "project": self.project,
            "since": self.since,
            "until": self.until,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scope:
        return cls(
            kind=str(data["kind"]),
            run_id=data.get("run_id"),
            project=data.get("project"),
            since=data.get("since"),
            until=data.get("until"),
        )


@dataclass(frozen=True)
class Provenance:
    """How to reproduce and check the report."""

    ecoledger_version: str
    ledger: str
    """The ledger's location, any password masked."""
    anchor_seq: int
    anchor_hash: str
    """The chain hash at the last entry the report used (``ecoledger verify --anchor``)."""
    command: str
    """The exact command that regenerates the report."""
    generated_at: str
    settings_requested: dict[str, Any]
    """The assumption settings as given (``--assumptions``); what ``verify`` recomputes with."""
    unverified: str | None = None
    """Why the ledger did not verify, when the report was written anyway
    (``--allow-unverified``); None for a verified ledger."""

    def to_json(self) -> dict[str, Any]:
        extra = {} if self.unverified is None else {"unverified": self.unverified}
        return {
            **extra,
            "ecoledger_version": self.ecoledger_version,
            "ledger": self.ledger,
            "anchor_seq": self.anchor_seq,
            "anchor_hash": self.anchor_hash,
            "anchor": f"{self.anchor_seq}:{self.anchor_hash}",
            "command": self.command,
            "generated_at": self.generated_at,
            "settings_requested": self.settings_requested,
        }


@dataclass(frozen=True)
class DeviceFacts:
    run_id: str
    run_name: str
    device_id: str
    kind: str
    model: str
    method: str
    approximated: bool
    energy_kwh: float
    host: str
    rank: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "device_id": self.device_id,
            "kind": self.kind,
            "model": self.model,
            "method": self.method,
            "approximated": self.approximated,
            "energy_kwh": self.energy_kwh,
            "host": self.host,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class RunFacts:
    role: str
    """run | training run amortized | project run"""
    run_id: str
    name: str
    project: str | None
    kind: str
    status: str
    started_at: str
    ended_at: str | None
    duration_s: float
    gpu_hours: float
    energy_it_kwh: float
    approximated_share: float
    location: str | None
    hosts: tuple[str, ...]
    tags: tuple[str, ...]
    assessment: Assessment | None
    """The run's assessment (``assess --json`` in the JSON report); None for a run with no
    energy entries."""

    @property
    def operational_kgco2e(self) -> float | None:
        """The run's own operational carbon; None when not assessed or not estimated."""
        a = self.assessment
        if a is None or "operational_kgco2e" in a.not_estimated:
            return None
        return a.operational_kgco2e

    @property
    def water_basis_label(self) -> str | None:
        a = self.assessment
        return a.water_basis.label if a is not None and a.water_basis is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "run_id": self.run_id,
            "name": self.name,
            "project": self.project,
            "kind": self.kind,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "gpu_hours": self.gpu_hours,
            "energy_it_kwh": self.energy_it_kwh,
            "approximated_share": self.approximated_share,
            "location": self.location,
            "hosts": list(self.hosts),
            "tags": list(self.tags),
            "assessment": self.assessment.to_json() if self.assessment is not None else None,
        }


@dataclass(frozen=True)
class HardwareLine:
    kind: str
    model: str
    count: int
    hosts: int
    power_limit_w: float | None = None
    driver_version: str | None = None
    memory_total_mib: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.model,
            "count": self.count,
            "hosts": self.hosts,
            "power_limit_w": self.power_limit_w,
            "driver_version": self.driver_version,
            "memory_total_mib": self.memory_total_mib,
        }

    @property
    def facts(self) -> str:
        """``power limit 700 W, driver 550.54, 81920 MiB`` (what the meter recorded), or ''."""
        parts = []
        if self.power_limit_w is not None:
            parts.append(f"power limit {self.power_limit_w:g} W")
        if self.driver_version:
            parts.append(f"driver {self.driver_version}")
        if self.memory_total_mib is not None:
            parts.append(f"{self.memory_total_mib:g} MiB")
        return ", ".join(parts)


@dataclass(frozen=True)
class AssumptionLine:
    """A factor the report's runs were priced with."""

    factor: Factor
    runs: int
    """How many of the report's assessed runs used this value."""

    def to_json(self) -> dict[str, Any]:
        fields = self.factor.to_json()
        head = ("value", "unit", "low", "high", "source", "year")
        return {
            "name": self.factor.name,
            **{key: fields[key] for key in head},
            "runs": self.runs,
            **{key: value for key, value in fields.items() if key not in head},
        }


@dataclass(frozen=True)
class CounterfactualLine:
    where: str
    kind: str
    operational_kgco2e: float
    carbon_cost: float
    saving_kgco2e: float
    lowest: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "kind": self.kind,
            "operational_kgco2e": self.operational_kgco2e,
            "carbon_cost": self.carbon_cost,
            "saving_kgco2e": self.saving_kgco2e,
            "lowest": self.lowest,
        }


@dataclass(frozen=True)
class ProblemLine:
    run_name: str
    code: str
    severity: str
    message: str
    device_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_name": self.run_name,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "device_id": self.device_id,
        }


@dataclass(frozen=True)
class ReportFacts:
    """Everything a report says except its title and statement, which are written from it."""

    scope: Scope
    totals: dict[str, Any]
    """The stable ``assess --json`` keys (run) or their sums (project)."""
    duration_s: float
    gpu_hours: float
    approximated_share: float
    runs: tuple[RunFacts, ...]
    hardware: tuple[HardwareLine, ...]
    locations: tuple[str, ...]
    devices: tuple[DeviceFacts, ...]
    assumptions: tuple[AssumptionLine, ...]
    counterfactuals: tuple[CounterfactualLine, ...]
    problems: tuple[ProblemLine, ...]
    equivalences: tuple[eq.Equivalence, ...]
    references: tuple[refs.Reference, ...]
    settings: dict[str, Any]
    """The assumption settings the assessment used (defaults omitted)."""
    amortization: dict[str, Any] | None
    interval: dict[str, Any] | None
    notes: tuple[str, ...]
    provenance: Provenance
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        """The currency with its dollar year (``2024 USD``): what every amount is printed in."""
        unit = self.totals.get("money_unit")
        return str(unit) if unit else str(self.totals.get("currency", "USD"))

    @property
    def synthetic(self) -> bool:
        """Whether a run of the report was made up (``ecoledger demo --synthetic``)."""
        from accounting.run_list import SYNTHETIC_TAG

        return any(SYNTHETIC_TAG in r.tags for r in self.runs)

    @property
    def lowest_counterfactual(self) -> CounterfactualLine | None:
        return next((c for c in self.counterfactuals if c.lowest), None)

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(r.run_id for r in self.runs)

    @property
    def water_basis_labels(self) -> list[str]:
        """Which water figures the runs used (``national figure for USA (...)``), sorted."""
        return sorted({label for r in self.runs if (label := r.water_basis_label)})


@dataclass(frozen=True, kw_only=True)
class ReportContent(ReportFacts):
    """The facts with the title and statement written from them (:mod:`.statement`)."""

    title: str
    statement: str

    def to_json(self) -> dict[str, Any]:
        lowest = self.lowest_counterfactual
        return {
            "$schema": REPORT_SCHEMA_ID,
            "schema_version": REPORT_SCHEMA_VERSION,
            "scope": self.scope.to_json(),
            "title": self.title,
            "statement": self.statement,
            "totals": self.totals,
            "duration_s": self.duration_s,
            "gpu_hours": self.gpu_hours,
            "approximated_share": self.approximated_share,
            "interval": self.interval,
            "runs": [r.to_json() for r in self.runs],
            "hardware": [h.to_json() for h in self.hardware],
            "locations": list(self.locations),
            "devices": [d.to_json() for d in self.devices],
            "assumptions": [a.to_json() for a in self.assumptions],
            "settings": self.settings,
            "amortization": self.amortization,
            "counterfactuals": [c.to_json() for c in self.counterfactuals],
            "lowest_counterfactual": lowest.where if lowest else None,
            "problems": [p.to_json() for p in self.problems],
            "equivalences": [e.to_json() for e in self.equivalences],
            "references": [r.to_json() for r in self.references],
            "notes": list(self.notes),
            "provenance": self.provenance.to_json(),
            **({"synthetic": True} if self.synthetic else {}),
        }
