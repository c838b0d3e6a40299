"""What every view of a run starts with: its id, names, kind, status and start.

Shared by the full :class:`accounting.runs.RunView` and the light
:class:`accounting.run_list.RunListing`; it imports nothing heavier than ``datetime`` so that
``ecoledger runs`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RunHeader:
    run_id: str
    name: str
    project: str | None
    run_kind: str
    status: str
    """completed | failed | interrupted | lost | budget_exceeded | running | stalled"""
    started_at: datetime
