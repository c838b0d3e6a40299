"""What a tracked run is opened with: one frozen, validated options type shared by
``track()``, the Lightning and Hugging Face callbacks, and the MLflow logging."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import KW_ONLY, dataclass
from typing import Any

from accounting.entries import RUN_KINDS
from train_hooks.carbon import check_country
from train_hooks.sync import check_sync

MAX_NAME_CHARS = 200
"""Names and projects are bounded (as by ``ecoledger run --name``)."""


@dataclass(frozen=True)
class TrackOptions:
    """The arguments of :func:`train_hooks.track` (documented there). Bad values raise
    ValueError naming the argument when the options are made."""

    name: str | None = None
    project: str | None = None
    kind: str = "training"
    ledger: str | None = None
    country: str | None = None
    pue: float | None = None
    sample_hz: float | None = None
    budget_kgco2e: float | None = None
    on_budget: str = "warn"
    _: KW_ONLY  # as in track(): the options after on_budget are keyword-only
    total_epochs: int | None = None
    total_steps: int | None = None
    flush_interval_s: float | None = None
    parent_run_id: str | None = None
    expected_uses: int | None = None
    log_to: str | None = None
    sync: Any = "auto"
    shared_gpu: str = "whole"

    def __post_init__(self) -> None:
        if self.ledger is not None:
            object.__setattr__(self, "ledger", os.fspath(self.ledger))
        object.__setattr__(self, "country", _validate(self))

    def with_changes(self, **changes: Any) -> TrackOptions:
        """A copy with the given (not None) fields replaced, validated again."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _validate(o: TrackOptions) -> str | None:
    """Raise ValueError naming the first bad argument; return the checked country code."""
    from train_hooks.mlflow_log import check_log_to

    check_log_to(o.log_to)
    if o.kind not in RUN_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RUN_KINDS)}, got {o.kind!r}")
    if o.on_budget not in ("warn", "stop"):
        raise ValueError(f"on_budget must be 'warn' or 'stop', got {o.on_budget!r}")
    for name in ("pue", "sample_hz", "budget_kgco2e", "flush_interval_s"):
        value = getattr(o, name)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        if name == "pue" and value < 1:
            raise ValueError(f"pue must be ≥ 1 (facility energy / IT energy), got {value}")
        if name != "pue" and value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    if o.flush_interval_s is not None and o.flush_interval_s > 5:
        raise ValueError(f"flush_interval_s must be ≤ 5, got {o.flush_interval_s}")
    for name in ("total_epochs", "total_steps"):
        value = getattr(o, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    country = check_country(o.country) if o.country is not None else None
    check_sync(o.sync)
    if o.shared_gpu not in ("whole", "attribute"):
        raise ValueError(f"shared_gpu must be 'whole' or 'attribute', got {o.shared_gpu!r}")
    for name in ("name", "project"):
        value = getattr(o, name)
        if isinstance(value, str) and ("\x00" in value or len(value) > MAX_NAME_CHARS):
            raise ValueError(
                f"{name} must be at most {MAX_NAME_CHARS} characters, with no NUL character"
            )
    return country
