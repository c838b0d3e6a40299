"""Entries the benchmarks write, built in one place: a GPU's energy-counter window."""

from __future__ import annotations

from datetime import datetime, timedelta

from accounting.entries import Energy, EntrySource


def gpu_window(
    run_id: str,
    begin: datetime,
    seconds: float,
    joules: float,
    model: str,
    source: EntrySource | None = None,
) -> Energy:
    """The ``run`` window of ``gpu:0`` from BEGIN for SECONDS, read from its energy counter."""
    return Energy(
        run_id=run_id,
        window="run",
        device_id="gpu:0",
        device_kind="gpu",
        device_model=model,
        method="nvml_energy_counter",
        approximated=False,
        joules=joules,
        start=begin,
        end=begin + timedelta(seconds=seconds),
        duration_s=float(seconds),
        source=source or EntrySource.here(),
    )
