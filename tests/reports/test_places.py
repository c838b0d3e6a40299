"""Reports name places: "France (FRA)", not "FRA"."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounting.assessment import AssumptionSettings
from accounting.reports.content import Scope
from accounting.reports.generate import write_report
from accounting.reports.places import place_label
from accounting.store import open_ledger
from tests.fixtures.report_ledger import FixtureIds


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("FRA", "France (FRA)"),
        ("USA", "United States (USA)"),
        ("USA:CA", "California (USA:CA)"),
        ("POL", "Poland (POL)"),
        ("gcp:europe-west1", "gcp:europe-west1"),
        ("as run", "as run"),
        ("XYZ", "XYZ"),
    ],
)
def test_place_label(code: str, label: str) -> None:
    assert place_label(code) == label


def test_reports_print_country_names(report_ledger: FixtureIds, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    settings = AssumptionSettings(compare_countries=("POL", "SWE"))
    with open_ledger(str(report_ledger.path)) as ledger:
        write_report(ledger, Scope("run", run_id=report_ledger.train), "md", out, settings=settings)
    text = out.read_text(encoding="utf-8")
    assert " in France (FRA), using " in text
    assert "Location (grid): France (FRA)" in text
    assert "Poland (POL)" in text and "Sweden (SWE)" in text
    assert " in FRA" not in text
