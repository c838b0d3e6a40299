"""Load: 16 concurrent ``ecoledger run`` jobs on one ledger while the dashboard's read path
runs in a loop, on SQLite and on PostgreSQL. All complete, every run has exactly its
entries (20 phase windows × its devices, one start, one end), the chain verifies, and
nobody sees "database is locked"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.harness import LoadResult, load_trial


def _check(result: LoadResult) -> None:
    assert result.exit_codes == (0,) * result.jobs
    assert result.runs_complete == result.jobs, result.details
    assert result.exact_counts == result.jobs, result.details
    assert result.verify_ok
    assert result.locked_errors == 0
    assert result.reader_errors == 0 and result.reader_reads > 0


def test_16_jobs_on_sqlite_with_a_reader(tmp_path: Path) -> None:
    _check(load_trial(str(tmp_path / "ledger.db"), tmp_path, jobs=16, phase_s=1.0))


@pytest.mark.postgres
def test_16_jobs_on_postgres_with_a_reader(postgres_url: Callable[[], str], tmp_path: Path) -> None:
    _check(load_trial(postgres_url(), tmp_path, jobs=16, phase_s=1.0))
