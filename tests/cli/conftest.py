from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounting.entries import Energy, RunEnded, RunStarted
from accounting.store import open_ledger


@pytest.fixture
def two_run_ledger(tmp_path: Path) -> Path:
    """A real SQLite ledger with two finished runs whose ids share the prefix ``abcdef12``."""
    path = tmp_path / "ledger.db"
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    t1 = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    with open_ledger(str(path)) as ledger:
        for suffix in ("0000000000000000000000a1", "0000000000000000000000b2"):
            run_id = "abcdef12" + suffix
            ledger.append(
                [
                    RunStarted(
                        run_id=run_id,
                        name=f"run {suffix[-2:]}",
                        started_at=t0,
                        run_kind="training",
                        country="FRA",
                    ),
                    Energy(
                        run_id=run_id,
                        window="run",
                        device_id="cpu:0",
                        device_kind="cpu",
                        device_model="test CPU",
                        method="cpu_tdp_load",
                        approximated=True,
                        joules=3.6e6,
                        start=t0,
                        end=t1,
                        duration_s=3600.0,
                    ),
                    RunEnded(run_id=run_id, status="completed", ended_at=t1, duration_s=3600.0),
                ]
            )
    return path
