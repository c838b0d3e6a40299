"""Small builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounting.entries import Energy, PowerSample, RunEnded, RunStarted

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def run_started(run_id: str, name: str = "job") -> RunStarted:
    return RunStarted(run_id=run_id, name=name, project="p", started_at=T0)


def run_ended(run_id: str, status: str = "completed") -> RunEnded:
    return RunEnded(
        run_id=run_id, status=status, ended_at=T0 + timedelta(hours=1), duration_s=3600.0
    )


def energy(run_id: str, joules: float = 100.0) -> Energy:
    return Energy(
        run_id=run_id,
        window="run",
        device_id="cpu:0",
        device_kind="cpu",
        device_model="test cpu",
        method="cpu_tdp_load",
        approximated=True,
        joules=joules,
        start=T0,
        end=T0 + timedelta(seconds=10),
        duration_s=10.0,
    )


def samples(
    run_id: str, t_s: list[float], power_w: list[float], device_id: str = "gpu:0"
) -> PowerSample:
    return PowerSample(
        run_id=run_id,
        device_id=device_id,
        device_kind="gpu",
        method="nvml_power_sampled",
        t_s=tuple(t_s),
        power_w=tuple(power_w),
    )


def small_run(run_id: str) -> list:
    """A complete little run: started, two energy windows, samples, ended."""
    return [
        run_started(run_id),
        energy(run_id, 10.0),
        energy(run_id, 20.0),
        samples(run_id, [1.0, 2.0, 3.0], [100.0, 110.0, 120.0]),
        run_ended(run_id),
    ]
