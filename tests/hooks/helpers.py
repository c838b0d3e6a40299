"""A tiny real torch workload and ledger readers shared by the hook tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from accounting.entries import Energy
from accounting.runs import RunView, load_run
from accounting.store import open_ledger

REPO = Path(__file__).resolve().parents[2]


def mlp(seed: int = 0, width: int = 128) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(32, width), nn.ReLU(), nn.Linear(width, 1))
    return model, torch.optim.SGD(model.parameters(), lr=1e-3)


def data(n: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 32, generator=g)
    return x, x.sum(dim=1, keepdim=True)


def train_steps(model: nn.Module, opt: Any, x: torch.Tensor, y: torch.Tensor, batch: int = 64):
    for i in range(0, len(x), batch):
        opt.zero_grad()
        nn.functional.mse_loss(model(x[i : i + batch]), y[i : i + batch]).backward()
        opt.step()


def view(ledger: Path | str, run_id: str | None = None) -> RunView:
    with open_ledger(str(ledger)) as lg:
        run_id = run_id or lg.run_ids()[-1]
        return load_run(lg, run_id)


def energy_entries(ledger: Path | str, run_id: str) -> list[Energy]:
    with open_ledger(str(ledger)) as lg:
        return [e for e in lg.entries(run_id=run_id, kinds=["energy"])]


def windows(v: RunView, prefix: str) -> list[Any]:
    return [w for w in v.windows if w.key.startswith(prefix)]


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    full = dict(os.environ)
    full.pop("ECOLEDGER_RUN_ID", None)
    full.update(env or {})
    full["PYTHONPATH"] = str(REPO) + os.pathsep + full.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        cwd=REPO,
    )
