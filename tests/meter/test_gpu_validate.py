"""benchmarks/gpu_validate.py runs on the fake library, writes its page and marks what it could not
measure there."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.hooks.helpers import REPO


@pytest.mark.slow
def test_gpu_validate_on_the_fake_library_writes_its_page(tmp_path):
    page = tmp_path / "gpu-validation.md"
    out = subprocess.run(
        [sys.executable, "benchmarks/gpu_validate.py", "--fake", "--seconds", "3"]
        + ["--out", str(page)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    text = page.read_text()
    for load in ("idle 60 W", "steady matmul 300 W", "50 ms bursts", "ramp"):
        assert f"| {load} |" in text
    assert (
        "| load | counter | samples | average | power_usage | instant | CodeCarbon | Zeus |" in text
    )
    # the counter is exact on the fake, and the rows that need CUDA say so
    assert "| steady matmul 300 W | +0.00 %" in text or "| steady matmul 300 W | -0.00 %" in text
    assert text.count("not measurable on the fake library (needs CUDA kernels)") == 2
    assert "(the fake is set to 100 ms)" in text
