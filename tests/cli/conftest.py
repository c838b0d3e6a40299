from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.two_runs import write_two_run_ledger


@pytest.fixture
def two_run_ledger(tmp_path: Path) -> Path:
    """A real SQLite ledger with two finished runs whose ids share the prefix ``abcdef12``."""
    return write_two_run_ledger(tmp_path / "ledger.db")
