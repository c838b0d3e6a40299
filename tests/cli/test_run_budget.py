"""A carbon budget stop inside a job started by `ecoledger run` is recorded as such."""

from __future__ import annotations

import sys
from pathlib import Path

from accounting.runs import load_run
from accounting.store import open_ledger
from tests.cli.helpers import cli_process

JOB = """
import time, torch, ecoledger
param = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([param], lr=0.1)
with ecoledger.track(budget_kgco2e=1e-12, on_budget="stop") as run:
    run.watch(opt)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        param.grad = torch.ones(1)
        opt.step()
        time.sleep(0.002)
"""


def test_budget_stop_in_a_joined_job_records_budget_exceeded(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    result = cli_process("run", "--ledger", str(ledger), "--", sys.executable, "-c", JOB)
    assert result.code == 1, result.err  # the job died of the BudgetExceeded it did not catch
    assert "BudgetExceeded" in result.err
    run_id = result.out.strip().splitlines()[-1]
    with open_ledger(str(ledger)) as opened:
        view = load_run(opened, run_id)
    assert view.status == "budget_exceeded"
    assert view.error == "BudgetExceeded"
    assert view.exit_code == 1
