"""The examples the README points at run and record what they say."""

from __future__ import annotations

import subprocess
import sys

from tests.hooks.helpers import REPO, view, windows


def test_track_torch_example(tmp_path):
    ledger = tmp_path / "l.db"
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "track_torch.py"),
            "--ledger",
            str(ledger),
            "--epochs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.strip().splitlines()[-1]
    v = view(ledger, run_id)
    assert v.status == "completed" and v.energy_it_j > 0
    assert [w.key for w in windows(v, "epoch:")] == ["epoch:0", "epoch:1"]
    assert windows(v, "step:") and windows(v, "request:")
    assert v.usage.requests == 200
