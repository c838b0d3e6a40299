"""Code health is part of the test command: ruff (lint and format), mypy on every package
(strict about ``Any`` generics and returns in the leaves, ``meter`` and ``accounting``), and
vulture (dead code; its settings are in pyproject.toml, its whitelist tests/vulture_whitelist.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.helpers import REPO


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_check() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


PACKAGES = ("meter", "accounting", "train_hooks", "dashboard", "ecoledger")


def test_mypy_on_every_package() -> None:
    result = _run(sys.executable, "-m", "mypy", *PACKAGES)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_dead_code() -> None:
    result = _run(sys.executable, "-m", "vulture")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
