"""Issue 16: DESIGN.md's import directions, read from the source (every import, lazy ones too).

meter and accounting import no other package of ours; train_hooks imports neither the CLI
(``ecoledger``) nor the dashboard; the dashboard imports neither the CLI nor the hooks; and the
report's statement is written from its facts without importing the module that gathers them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.cli.helpers import REPO

OURS = ("meter", "accounting", "train_hooks", "dashboard", "ecoledger")
ALLOWED = {
    "meter": {"meter"},
    "accounting": {"accounting"},
    "train_hooks": {"train_hooks", "meter", "accounting"},
    "dashboard": {"dashboard", "accounting"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_points_back(package: str) -> None:
    wrong = sorted(
        f"{path.relative_to(REPO)} imports {name}"
        for path in (REPO / package).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in OURS and name.split(".")[0] not in ALLOWED[package]
    )
    assert wrong == []


def test_the_statement_does_not_import_the_gathering() -> None:
    statement = _imports(REPO / "accounting" / "reports" / "statement.py")
    assert "accounting.reports.content" not in statement
    assert "accounting.reports.facts" in statement
