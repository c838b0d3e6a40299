"""`import meter` and `import accounting` stay leaves: no torch, streamlit, plotly or codecarbon."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "streamlit", "plotly", "codecarbon")


@pytest.mark.parametrize("package", ["meter", "accounting", "accounting.runs", "accounting.store"])
def test_leaf_packages_do_not_import_heavy_frameworks(package: str) -> None:
    code = (
        f"import sys, {package}\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} imported {out.stdout.strip()}"
