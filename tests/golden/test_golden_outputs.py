"""Every command's output on the fixture ledger is byte-identical to the committed golden file.

The goldens in ``tests/golden/outputs`` were made from the code before the issue-16 refactor;
``python -m tests.golden.regenerate --update`` rewrites them when an output is meant to change.
Normalised (not deterministic): the report's generation time and the report command's wall
time on stderr (see :mod:`tests.golden.cases`). Not covered: ``report --format html/pdf``
(figures drawn by chromium), ``sources`` (depends on the machine), ``run`` and ``demo`` (they
meter real processes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.cases import CASES, GOLDEN_DIR, Case, build_workdir, golden_path, record


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workdir(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_output_matches_golden(case: Case, workdir: Path) -> None:
    expected = golden_path(case).read_bytes().decode("utf-8")
    actual = record(case, workdir)
    assert actual == expected, (
        f"{case.name}: output changed; if meant, run python -m tests.golden.regenerate --update"
    )


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.txt")} == {c.name for c in CASES}


def test_normalisation_keeps_the_figures() -> None:
    """The normalised text still carries numbers and hashes: only times are replaced."""
    verify = next(case for case in CASES if case.name == "verify")
    text = golden_path(verify).read_text(encoding="utf-8")
    assert "152 entries checked" in text
    assert "head 152:08c61886e6d05caab02bf1f469b47756f2e4f57a2ad5aaa9e41ad5f7e9e3f026" in text
