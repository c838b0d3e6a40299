"""Fixtures for the report tests: a real SQLite ledger (tests/fixtures/report_ledger.py), an
assumptions file, and the report CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.report_ledger import INJECTION, FixtureIds, build_report_ledger

ASSUMPTIONS_TOML = 'compare_countries = ["POL", "SWE"]\n'


@pytest.fixture(scope="session")
def assumptions_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("assumptions") / "team.toml"
    path.write_text(ASSUMPTIONS_TOML, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def report_ledger(tmp_path_factory: pytest.TempPathFactory) -> FixtureIds:
    """Shared by tests that only read it."""
    return build_report_ledger(tmp_path_factory.mktemp("ledger") / "ledger.db")


@pytest.fixture(scope="session")
def injection_ledger(tmp_path_factory: pytest.TempPathFactory) -> FixtureIds:
    """The training run is named with HTML, LaTeX and Markdown specials."""
    return build_report_ledger(tmp_path_factory.mktemp("inject") / "ledger.db", INJECTION)


@pytest.fixture
def own_ledger(tmp_path: Path) -> FixtureIds:
    """A fresh ledger per test, for tests that change it."""
    return build_report_ledger(tmp_path / "ledger.db")
