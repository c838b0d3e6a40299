"""The dashboard labels made-up runs (``ecoledger demo --synthetic``) on every page that
lists runs, and on the run's own page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accounting.store import open_ledger
from accounting.synthetic import SyntheticSpec, write_synthetic
from tests.dashboard.helpers import app


@pytest.fixture(scope="module")
def synthetic_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("synthetic-dashboard") / "ledger.db"
    spec = SyntheticSpec(
        days=0.01, gpus=2, runs=2, sample_hz=0.2, flush_s=30.0, end=datetime(2026, 6, 1, tzinfo=UTC)
    )
    with open_ledger(str(path)) as ledger:
        summary = write_synthetic(ledger, spec)
    return path, summary.run_ids[0]


@pytest.mark.parametrize("page", ["overview", "runs"])
def test_pages_say_synthetic(
    page: str, synthetic_ledger: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, run_id = synthetic_ledger
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(path))
    at: Any = app(page, run_id if page == "runs" else None).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "SYNTHETIC DATA: 2 of 2 runs were made up" in warnings
    if page == "runs":
        assert "SYNTHETIC RUN" in " ".join(e.value for e in at.error)
