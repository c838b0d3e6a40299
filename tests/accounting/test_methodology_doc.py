"""docs/methodology.md lists every preset, the methodology keys and the bundled CPI-U table."""

from __future__ import annotations

from pathlib import Path

from accounting.factors import deflator, embodied, pue, scc

DOC = (Path(__file__).resolve().parents[2] / "docs" / "methodology.md").read_text("utf-8")


def test_every_preset_is_documented():
    names = [*pue.PRESETS, *scc.PRESETS, *embodied.GPU_PRESETS]
    missing = [n for n in names if n not in DOC and n.replace("scc:epa-2023-", "") not in DOC]
    assert not [n for n in missing if n not in ("pue:none",)], missing


def test_methodology_keys_and_options_are_documented():
    for text in (
        "operational_location_kgco2e",
        "operational_market_kgco2e",
        "sci_gco2e_per_unit",
        "scc_scenarios",
        "dollar_year",
        "--market-factor",
        "--renewable-share",
        "--grid-loss",
        "--embodied-method",
        "--sensitivity-of",
        "--gpu-model",
        "--dollar-year",
        "--per",
    ):
        assert text in DOC, text


def test_the_documented_cpi_table_is_the_bundled_one():
    for year, index in deflator.CPI_U_ANNUAL.items():
        assert f"| {year} | {index:.3f} |" in DOC, year


def test_water_basis_keys_and_every_recognised_gpu_model_are_documented():
    for text in ("water_basis", "water_basis_place", "water_basis_label", "water_measure"):
        assert text in DOC, text
    for model in embodied.GPU_MODELS:
        assert model.name in DOC, model.name
