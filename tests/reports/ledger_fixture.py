"""A real SQLite ledger for report tests: a project with a training run (GPU + CPU + RAM,
power samples, phase windows, a shared-GPU problem), an inference run that amortizes it, a
failed sweep run, and a run with no energy entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accounting.entries import (
    Benefit,
    Energy,
    EntrySource,
    PowerSample,
    Problem,
    RunEnded,
    RunStarted,
    Usage,
)
from accounting.store import open_ledger

INJECTION = "<script>alert(1)</script> & 50% $x_1$ #1 \\input{/etc/passwd}"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOURCE = EntrySource(host="node-a", pid=4242, rank=None, origin="test")


@dataclass(frozen=True)
class FixtureIds:
    path: Path
    train: str
    serve: str
    sweep: str
    empty: str
    project: str


def _energy(
    run_id: str,
    window: str,
    device: tuple[str, str, str, str, bool],
    joules: float,
    start: datetime,
    seconds: float,
    count: int | None = None,
) -> Energy:
    device_id, kind, model, method, approximated = device
    return Energy(
        run_id=run_id,
        window=window,
        device_id=device_id,
        device_kind=kind,  # type: ignore[arg-type]
        device_model=model,
        method=method,
        approximated=approximated,
        joules=joules,
        start=start,
        end=start + timedelta(seconds=seconds),
        duration_s=seconds,
        count=count,
        source=SOURCE,
    )


GPU = (
    "GPU-1111aaaa-0000-0000-0000-000000000001",
    "gpu",
    "NVIDIA A100-SXM4-40GB",
    "nvml_energy_counter",
    False,
)
CPU = ("cpu:0", "cpu", "AMD EPYC 7763", "cpu_tdp_load", True)
RAM = ("ram", "ram", "64 GiB", "ram_estimate", True)


def build_report_ledger(path: Path, train_name: str = "bert-pretrain") -> FixtureIds:
    train, serve, sweep, empty = ("a1" * 16, "b2" * 16, "c3" * 16, "d4" * 16)
    project = "paper-2026"
    entries: list[object] = []
    # -- training run: 2 h, GPU 250 W, CPU 60 W, RAM 20 W, two phases, power samples --------
    dur = 7200.0
    entries.append(
        RunStarted(
            run_id=train,
            name=train_name,
            project=project,
            run_kind="training",
            started_at=T0,
            country="FRA",
            expected_uses=1000,
            tags=("baseline", "paper"),
            ecoledger_version="0.1.0",
            source=SOURCE,
        )
    )
    for i in range(2):  # two flushed run-window segments per device
        start = T0 + timedelta(seconds=i * dur / 2)
        for device, watts in ((GPU, 250.0), (CPU, 60.0), (RAM, 20.0)):
            entries.append(_energy(train, "run", device, watts * dur / 2, start, dur / 2))
    entries.append(_energy(train, "phase:train", GPU, 250.0 * 6000, T0, 6000))
    entries.append(
        _energy(train, "phase:eval", GPU, 250.0 * 1200, T0 + timedelta(seconds=6000), 1200)
    )
    t_s = tuple(T0.timestamp() + k * 60.0 for k in range(121))
    entries.append(
        PowerSample(
            run_id=train,
            device_id=GPU[0],
            device_kind="gpu",
            method="nvml_energy_counter",
            t_s=t_s,
            power_w=tuple(230.0 + (k % 5) * 10.0 for k in range(121)),
            source=SOURCE,
        )
    )
    entries.append(
        PowerSample(
            run_id=train,
            device_id=CPU[0],
            device_kind="cpu",
            method="cpu_tdp_load",
            t_s=t_s,
            power_w=tuple(60.0 for _ in range(121)),
            source=SOURCE,
        )
    )
    entries.append(
        Problem(
            run_id=train,
            code="shared_gpu",
            severity="warning",
            message="another process used GPU 0 for 10 % of the run",
            device_id=GPU[0],
            source=SOURCE,
        )
    )
    entries.append(
        RunEnded(
            run_id=train,
            status="completed",
            ended_at=T0 + timedelta(seconds=dur),
            duration_s=dur,
            exit_code=0,
            source=SOURCE,
        )
    )
    # -- inference run: 10 min, amortizes the training run over 1000 uses --------------------
    s0 = T0 + timedelta(hours=3)
    entries.append(
        RunStarted(
            run_id=serve,
            name="bert-serve",
            project=project,
            run_kind="inference",
            started_at=s0,
            country="FRA",
            parent_run_id=train,
            source=SOURCE,
        )
    )
    entries.append(_energy(serve, "run", GPU, 200.0 * 600, s0, 600))
    entries.append(_energy(serve, "run", CPU, 50.0 * 600, s0, 600))
    entries.append(
        PowerSample(
            run_id=serve,
            device_id=GPU[0],
            device_kind="gpu",
            method="nvml_energy_counter",
            t_s=tuple(s0.timestamp() + k * 10.0 for k in range(61)),
            power_w=tuple(180.0 + (k % 4) * 15.0 for k in range(61)),
            source=SOURCE,
        )
    )
    entries.append(Usage(run_id=serve, requests=100, tokens=5000, source=SOURCE))
    entries.append(
        Benefit(
            run_id=serve,
            benefit_kind="social",
            basis="per_request",
            usd=0.01,
            rationale="answers that save a support agent 30 s",
            reference="internal estimate",
            source=SOURCE,
        )
    )
    entries.append(
        RunEnded(
            run_id=serve,
            status="completed",
            ended_at=s0 + timedelta(seconds=600),
            duration_s=600.0,
            exit_code=0,
            source=SOURCE,
        )
    )
    # -- a failed sweep run ------------------------------------------------------------------
    w0 = T0 + timedelta(hours=5)
    entries.append(
        RunStarted(
            run_id=sweep,
            name="sweep lr=0.1",
            project=project,
            run_kind="training",
            started_at=w0,
            country="FRA",
            source=SOURCE,
        )
    )
    entries.append(_energy(sweep, "run", GPU, 240.0 * 900, w0, 900))
    entries.append(
        Problem(
            run_id=sweep,
            code="device_lost",
            severity="error",
            message="GPU fell off the bus after 900 s",
            device_id=GPU[0],
            source=SOURCE,
        )
    )
    entries.append(
        RunEnded(
            run_id=sweep,
            status="failed",
            ended_at=w0 + timedelta(seconds=900),
            duration_s=900.0,
            exit_code=1,
            error="RuntimeError",
            source=SOURCE,
        )
    )
    # -- a run with no energy ----------------------------------------------------------------
    e0 = T0 + timedelta(hours=6)
    entries.append(
        RunStarted(
            run_id=empty,
            name="never-metered",
            project="other",
            run_kind="other",
            started_at=e0,
            source=SOURCE,
        )
    )
    entries.append(
        RunEnded(
            run_id=empty,
            status="failed",
            ended_at=e0 + timedelta(seconds=1),
            duration_s=1.0,
            exit_code=127,
            source=SOURCE,
        )
    )
    with open_ledger(str(path)) as ledger:
        ledger.append(entries)  # type: ignore[arg-type]
    return FixtureIds(path, train, serve, sweep, empty, project)
