"""Writes ``ledger_v1.sqlite``: a small ledger made by ecoledger as it was before issue 17
(canonical JSON through the standard library, no derived energy table), kept as a fixture so
that every later version is tested on a ledger it did not write itself.

Every entry kind, two runs, power batches (one with a NaN reading), awkward floats (1e-05,
1e-07, 1e+16), a 70-bit integer, unicode and escapes in text. Deterministic: fixed ids,
times and sources. Run from the repository root on the commit that made the fixture:

    python tests/store/data/make_ledger_v1.py tests/store/data/ledger_v1.sqlite
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from accounting import entries as e  # noqa: E402
from accounting.store import open_ledger, verify  # noqa: E402
from accounting.store.checkpoint import save_mark  # noqa: E402

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = e.EntrySource(host="fixture-host", pid=4242, rank=0, origin="ecoledger")
TRAIN = "a1" * 16
SERVE = "b2" * 16


def _id(n: int) -> str:
    return f"{n:032x}"


def build() -> list[object]:
    at = [T0 + timedelta(seconds=i) for i in range(64)]
    n = iter(range(1, 1000))

    def common(run_id: str, i: int) -> dict[str, object]:
        return {"id": _id(next(n)), "run_id": run_id, "recorded_at": at[i], "source": SOURCE}

    def energy(run_id: str, i: int, joules: float, window: str = "run", **kw: object) -> e.Energy:
        return e.Energy(
            **common(run_id, i),
            window=window,
            device_id=kw.pop("device_id", "GPU-0000-uuid"),
            device_kind=kw.pop("device_kind", "gpu"),
            device_model="NVIDIA A100-SXM4-40GB",
            method="nvml_energy_counter",
            approximated=False,
            joules=joules,
            start=at[i] - timedelta(seconds=2),
            end=at[i],
            duration_s=2.0,
            **kw,
        )

    return [
        e.RunStarted(
            **common(TRAIN, 0),
            name='fine-tune «bert» "quoted" \\ back/slash\ttab',
            project="Ökoprojekt 🌱",
            run_kind="fine_tuning",
            started_at=T0,
            command=("python", "train.py", "--lr", "1e-05", "--token", "***"),
            country="FRA",
            pue=1.1,
            expected_uses=2**70,
            tags=("née", "line\nbreak", "\u2028sep"),
            ecoledger_version="0.fixture",
            flush_interval_s=2.0,
            writer_start_ticks=123456,
            writer_boot_id="00000000-1111-2222-3333-444444444444",
        ),
        e.DeviceFacts(
            **common(TRAIN, 1),
            device_id="GPU-0000-uuid",
            device_kind="gpu",
            model="NVIDIA A100-SXM4-40GB",
            power_limit_w=400.0,
            driver_version="550.54.15",
            memory_total_mib=40960.0,
            mig_enabled=False,
        ),
        energy(TRAIN, 2, 550.0),
        energy(TRAIN, 3, 549.125),
        energy(TRAIN, 4, 1e-05),
        energy(TRAIN, 5, 1e-07),
        energy(TRAIN, 6, 1e16),
        energy(TRAIN, 7, 0.1 + 0.2),
        energy(TRAIN, 8, 33.3, device_id="cpu:0", device_kind="cpu"),
        energy(TRAIN, 9, 1650.0, window="phase:train", count=3),
        e.PowerSample(
            **common(TRAIN, 10),
            device_id="GPU-0000-uuid",
            device_kind="gpu",
            method="nvml_power_sampled",
            t_s=tuple(T0.timestamp() + k for k in range(5)),
            power_w=(250.5, 260.25, 271.0, 1e-05, 300.0),
        ),
        e.PowerSample(
            **common(TRAIN, 11),
            device_id="GPU-0000-uuid",
            device_kind="gpu",
            method="nvml_power_sampled",
            t_s=tuple(T0.timestamp() + 5 + k for k in range(3)),
            power_w=(float("nan"), 280.0, 281.5),
        ),
        e.Problem(
            **common(TRAIN, 12),
            code="counter_reset",
            severity="warning",
            message="energy counter went back: 12 → 3 mJ (driver reload?)",
            device_id="GPU-0000-uuid",
            at=at[12],
        ),
        e.Assumptions(
            **common(TRAIN, 13),
            label="défaut",
            factors=(
                e.FactorRecord(
                    name="pue",
                    value=1.1,
                    unit="1",
                    low=1.05,
                    high=1.3,
                    source="Uptime Institute 2023",
                    year=2023,
                ),
                e.FactorRecord(
                    name="scc", value=190.0, unit="USD/tCO2", low=44.0, high=413.0, source="EPA"
                ),
            ),
            settings_json='{"country":"FRA","scc":"epa-2023-2.0"}',
        ),
        e.RunEnded(
            **common(TRAIN, 14),
            status="completed",
            ended_at=at[14],
            duration_s=14.0,
            exit_code=0,
            meter_cpu_s=0.012,
        ),
        e.RunStarted(
            **common(SERVE, 15),
            name="serve",
            run_kind="inference",
            started_at=at[15],
            parent_run_id=TRAIN,
            expected_uses=1_000_000,
        ),
        e.Usage(
            **common(SERVE, 16),
            requests=10,
            tokens=2048,
            items=10,
            window="request:0-9",
            joules=12.5,
            start=at[15],
            end=at[16],
        ),
        energy(SERVE, 17, 12.5),
        e.Benefit(
            **common(SERVE, 18),
            benefit_kind="social",
            basis="per_request",
            usd=0.002,
            rationale="time saved per answer, 2 min × $0.06/min ÷ 60",
            reference="https://example.org/β",
        ),
        e.Benefit(
            **common(SERVE, 19),
            benefit_kind="environmental",
            avoided_kgco2e=3.5,
            usd=None,
            rationale="avoided trips",
        ),
        e.Correction(
            **common(SERVE, 20),
            target_id=_id(17),
            reason="usage double-counted",
            replacement_json='{"requests":5}',
        ),
        e.RunEnded(
            **common(SERVE, 21),
            status="interrupted",
            ended_at=at[21],
            duration_s=6.0,
            error="SIGTERM",
        ),
    ]


def main(path: str) -> None:
    target = Path(path)
    if target.exists():
        raise SystemExit(f"{target} exists; remove it first")
    entries = build()
    with open_ledger(str(target)) as ledger:
        ledger.append(entries[:10])  # two transactions, as a writer's flushes would be
        ledger.append(entries[10:])
        result = verify(ledger)
        assert result.ok, result.message
        save_mark(ledger, result.head_seq, result.head_hash)
        print(result.message)
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{target}{suffix}").exists()


if __name__ == "__main__":
    main(sys.argv[1])
