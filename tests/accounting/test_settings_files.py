"""Assumption files: TOML and YAML round trips, CLI overlay, bad files."""

from __future__ import annotations

import pytest

from accounting.assessment import AssumptionSettings
from accounting.errors import InputError
from tests.accounting.helpers import cli, estimate_json


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_round_trip(tmp_path, suffix):
    settings = AssumptionSettings(
        country="FRA",
        pue=1.2,
        scc="scc:iwg-2021-3.0",
        emission_year=2022,
        utilization=0.5,
        compare_countries=("POL", "SWE"),
        expected_uses=1000,
    )
    path = settings.to_file(tmp_path / f"a{suffix}")
    assert AssumptionSettings.from_file(path) == settings


def test_cli_options_override_the_file(capsys, tmp_path):
    (tmp_path / "a.toml").write_text('scc_usd_per_t = 100.0\npue = 1.5\ncountry = "FRA"\n')
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "1000",
        "--assumptions",
        str(tmp_path / "a.toml"),
        "--scc",
        "scc:epa-2023-2.0",
        "--emission-year",
        "2020",
        "--dollar-year",
        "2020",
    )
    assert out["pue"] == 1.5
    assert out["location"] == "FRA"
    assert out["assumptions"]["social_cost_of_carbon"]["value"] == 190


def test_save_assumptions_then_reuse(capsys, tmp_path):
    saved = tmp_path / "saved.yaml"
    first = estimate_json(
        capsys,
        "--energy-kwh",
        "10",
        "--country",
        "POL",
        "--pue",
        "1.3",
        "--save-assumptions",
        str(saved),
    )
    again = estimate_json(capsys, "--energy-kwh", "10", "--assumptions", str(saved))
    assert again["net_benefit"] == first["net_benefit"]
    assert again["net_benefit_p05"] == first["net_benefit_p05"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("pue = 0.8\n", "`pue`"),
        ("utilization = 0\n", "`utilization`"),
        ("colour = 'red'\n", "`colour`"),
        ("pue = [\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_field(tmp_path, text, field):
    (tmp_path / "a.toml").write_text(text)
    with pytest.raises(InputError, match=field):
        AssumptionSettings.from_file(tmp_path / "a.toml")


def test_bad_assumptions_file_via_cli(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text("scc: scc:epa-2023-9\n")
    code, _, err = cli(
        capsys, "estimate", "--energy-kwh", "1", "--assumptions", str(tmp_path / "a.yaml")
    )
    assert code == 2 and "--scc" in err and "scc:epa-2023-2.0" in err
