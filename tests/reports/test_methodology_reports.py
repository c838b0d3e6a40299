"""Issue 15 in the reports: scope-2 dual reporting, intervals, dollar year, distributions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fixtures.report_ledger import FixtureIds
from tests.reports.helpers import assess_json, read, report


def test_market_factor_zero_is_reported_beside_location_based_in_md_html_json(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds
) -> None:
    ids = report_ledger
    market = tmp_path / "market.toml"
    market.write_text("market_factor = 0.0\n", encoding="utf-8")
    expected = assess_json(capsys, ids.path, ids.train, market)
    assert expected["operational_market_kgco2e"] == 0.0
    assert expected["operational_location_kgco2e"] == expected["operational_kgco2e"] > 0
    for fmt, name in (("json", "r.json"), ("md", "r.md"), ("html", "r.html")):
        result = report(
            capsys,
            ids.path,
            ids.train,
            "--format",
            fmt,
            "--out",
            str(tmp_path / name),
            "--assumptions",
            str(market),
        )
        assert result.code == 0, result.err
    doc = json.loads(read(tmp_path / "r.json"))
    assert doc["totals"]["operational_market_kgco2e"] == 0.0
    assert doc["totals"]["operational_location_kgco2e"] == expected["operational_kgco2e"]
    assert doc["totals"]["scope2_method"] == "location-based"
    for name in ("r.md", "r.html"):
        text = read(tmp_path / name)
        assert "Scope 2, location-based (headline)" in text, name
        assert "Scope 2, market-based: 0 kgCO2e" in text, name


def test_report_prints_money_with_its_dollar_year_and_the_intervals(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path
) -> None:
    ids = report_ledger
    expected = assess_json(capsys, ids.path, ids.train, assumptions_file)
    out = tmp_path / "r.md"
    result = report(
        capsys, ids.path, ids.train, "--format", "md", "--out", str(out),
        "--assumptions", str(assumptions_file),
    )  # fmt: skip
    assert result.code == 0, result.err
    text = read(out)
    assert f"{expected['dollar_year']} USD" in text
    assert "| Operational emissions (location-based) |" in text
    assert "Beta-PERT" in text and "lognormal" in text
    doc_keys = ("energy_facility_kwh", "operational_kgco2e", "embodied_kgco2e", "water_l")
    for key in doc_keys:
        assert expected[f"{key}_p05"] <= expected[key] <= expected[f"{key}_p95"]


def test_reports_say_which_water_figures_were_used_and_that_water_is_consumption(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds
) -> None:
    ids = report_ledger
    place = tmp_path / "fra.toml"
    place.write_text('country = "FRA"\n', encoding="utf-8")
    expected = assess_json(capsys, ids.path, ids.train, place)
    assert expected["water_basis"] == "us-stand-in" and expected["water_measure"] == "consumption"
    for fmt, name in (("md", "r.md"), ("html", "r.html"), ("model-card", "card.md")):
        result = report(
            capsys, ids.path, ids.train, "--format", fmt, "--out", str(tmp_path / name),
            "--assumptions", str(place),
        )  # fmt: skip
        assert result.code == 0, result.err
        text = read(tmp_path / name)
        assert "U.S. average as a stand-in for FRA" in text, name
        assert "water consumption (not withdrawal)" in text, name
