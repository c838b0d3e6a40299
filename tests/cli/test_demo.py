"""`ecoledger demo`: a real training run and a real inference run, a benefit, a report."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounting.runs import list_runs
from accounting.store import open_ledger
from tests.cli.helpers import cli_process


@pytest.mark.slow
def test_demo_trains_serves_and_reports(tmp_path: Path) -> None:
    ledger = tmp_path / "demo.db"
    result = cli_process("demo", "--seconds", "4", "--ledger", str(ledger), "--country", "FRA")
    assert result.code == 0, result.err
    assert "epoch" in result.out and "served" in result.out

    with open_ledger(str(ledger)) as opened:
        runs = {v.run_kind: v for v in list_runs(opened)}
    train, serve = runs["training"], runs["inference"]
    assert train.status == serve.status == "completed"
    assert train.energy_it_j > 0 and serve.energy_it_j > 0
    assert any(w.key.startswith("epoch:") for w in train.windows)
    assert any(w.key.startswith("step:") and (w.count or 0) > 0 for w in train.windows)
    assert serve.parent_run_id == train.run_id
    assert serve.usage.requests > 0
    assert [b.basis for b in serve.benefits] == ["per_request"]
    assert train.country == "FRA"

    report = tmp_path / f"ecoledger-report-{serve.run_id[:8]}.md"
    text = report.read_text(encoding="utf-8")
    assert "# Carbon report" in text
    assert "FRA" in text or "France" in text
    assert serve.run_id in result.out and train.run_id in result.out
    # issue 15: the inference run shows its SCI in gCO2e per request by default
    assert "gCO2e per request" in result.out
    assert "SCI (ISO/IEC 21031:2024)" in text and "gCO2e per request" in text


def test_demo_refuses_an_unknown_country_before_training(tmp_path: Path) -> None:
    ledger = tmp_path / "demo.db"
    result = cli_process("demo", "--seconds", "2", "--ledger", str(ledger), "--country", "ATLANTIS")
    assert result.code == 2
    assert result.err.startswith("ecoledger: error: ") and "--country" in result.err
    assert "epoch" not in result.out
    assert not ledger.exists()
