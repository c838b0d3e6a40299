"""Published figures reproduced through `ecoledger estimate --json`.

Every input and expected output below is a published figure (the source is named per case);
the tolerances are what the papers' rounding allows. Nothing here is computed by ecoledger.
"""

from __future__ import annotations

import pytest

from tests.accounting.helpers import estimate_json

LB_KG = 0.45359237  # kg per pound (exact, by definition)


def test_patterson_2021_table1_transformer_big(capsys):
    # Patterson et al. 2021, Table 1: Transformer (Big), 8 × P100, 296 W, 84 h, PUE 1.59,
    # 0.429 kgCO2e/kWh → 316 kWh, 0.1357 tCO2e.
    out = estimate_json(
        capsys,
        "--gpus",
        "8",
        "--gpu-power-w",
        "296",
        "--hours",
        "84",
        "--pue",
        "1.59",
        "--intensity-g-per-kwh",
        "429",
    )
    assert out["energy_facility_kwh"] == pytest.approx(316, rel=0.005)
    assert out["operational_kgco2e"] / 1000 == pytest.approx(0.1357, rel=0.005)
    assert out["pue"] == 1.59


def test_patterson_2021_table4_gpt3_with_epa_scc(capsys):
    # Patterson et al. 2021, Table 4, GPT-3: 1,287 MWh including PUE 1.10 (so PUE 1 here),
    # US grid 0.429 kgCO2e/kWh → 552.1 tCO2e (±0.1 t); at EPA 2023 2.0 % for 2020 emissions,
    # $190/t (2020 USD) → $104,899 (tolerance: the ±0.1 t of the carbon figure × $190/t).
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "1287000",
        "--pue",
        "1.0",
        "--intensity-g-per-kwh",
        "429",
        "--scc",
        "scc:epa-2023-2.0",
        "--emission-year",
        "2020",
        "--dollar-year",
        "2020",  # the published SCC's own dollar year: no conversion
    )
    assert out["operational_kgco2e"] / 1000 == pytest.approx(552.1, abs=0.1)
    assert out["carbon_cost"] == pytest.approx(104_899, abs=0.1 * 190)
    assert out["assumptions"]["social_cost_of_carbon"]["value"] == 190
    assert out["scc_dollar_year"] == 2020
    assert out["currency"] == "USD"


def test_luccioni_2023_bloom_dynamic_energy_and_carbon(capsys):
    # Luccioni et al. 2023: 1,082,990 GPU-h × 0.4 kW, no PUE → 433,196 kWh; 57 gCO2e/kWh →
    # 24.69 tCO2e.
    out = estimate_json(
        capsys,
        "--gpu-hours",
        "1082990",
        "--gpu-power-w",
        "400",
        "--pue",
        "1",
        "--intensity-g-per-kwh",
        "57",
    )
    assert out["energy_it_kwh"] == pytest.approx(433_196, abs=0.5)
    assert out["operational_kgco2e"] / 1000 == pytest.approx(24.69, abs=0.005)


def test_luccioni_2023_bloom_embodied_gpus(capsys):
    # Luccioni et al. 2023 §4.1: 150 kgCO2e per GPU, 6 years, 85 % → 3.64 tCO2e (rel 0.5 %).
    out = estimate_json(
        capsys,
        "--gpu-hours",
        "1082990",
        "--gpu-power-w",
        "400",
        "--embodied-kg-per-gpu",
        "150",
        "--embodied-kg-per-host",
        "0",
        "--lifetime-years",
        "6",
        "--utilization",
        "0.85",
    )
    assert out["embodied_kgco2e"] / 1000 == pytest.approx(3.64, rel=0.005)


def test_luccioni_2023_bloom_embodied_gpus_and_servers(capsys):
    # Same paper: servers of 8 GPUs at 2,500 kgCO2e over server-hours; embodied total
    # (GPUs + servers) published as 11.2 tCO2e.
    out = estimate_json(
        capsys,
        "--gpu-hours",
        "1082990",
        "--gpu-power-w",
        "400",
        "--embodied-kg-per-gpu",
        "150",
        "--embodied-kg-per-host",
        "2500",
        "--gpus-per-host",
        "8",
        "--lifetime-years",
        "6",
        "--utilization",
        "0.85",
    )
    assert out["embodied_kgco2e"] / 1000 == pytest.approx(11.2, abs=0.05)


def test_li_2023_gpt3_training_water_us_average(capsys):
    # Li, Yang, Islam, Ren: GPT-3 training, US average: e = 1,287 MWh, PUE 1.170,
    # WUE 0.550 L/kWh, EWIF 3.142 L/kWh → on-site 0.708 ML, off-site 4.731 ML, total 5.439 ML.
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "1287000",
        "--pue",
        "1.17",
        "--wue-l-per-kwh",
        "0.55",
        "--ewif-l-per-kwh",
        "3.142",
    )
    assert out["water_onsite_l"] / 1e6 == pytest.approx(0.708, rel=0.001)
    assert out["water_offsite_l"] / 1e6 == pytest.approx(4.731, rel=0.001)
    assert out["water_l"] / 1e6 == pytest.approx(5.439, rel=0.001)


def test_li_2023_gpt3_inference_water_per_request_us_average(capsys):
    # Li et al. (2023 version), Table 1, GPT-3 inference at 0.004 kWh per request, US average:
    # on-site 2.2 mL, off-site 14.7 mL, total 16.9 mL per request (rounded to 0.1 mL).
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "0.004",
        "--pue",
        "1.17",
        "--wue-l-per-kwh",
        "0.55",
        "--ewif-l-per-kwh",
        "3.142",
    )
    assert out["water_onsite_l"] * 1000 == pytest.approx(2.2, abs=0.05)
    assert out["water_offsite_l"] * 1000 == pytest.approx(14.7, abs=0.05)
    assert out["water_l"] * 1000 == pytest.approx(16.9, abs=0.05)


# Strubell, Ganesh, McCallum 2019, Table 3: p_t = 1.58 × t × p / 1000 (kWh), CO2e = 0.954 × p_t
# (lbs). Columns: hours, total power (W, CPU + DRAM + GPUs), published kWh·PUE, published lbs.
STRUBELL_TABLE3 = [
    ("T2T_base", 12, 1415.78, 27, 26),
    ("T2T_big", 84, 1515.43, 201, 192),
    ("ELMo", 336, 517.66, 275, 262),
    ("BERT_base (V100x64)", 79, 12041.51, 1507, 1438),
    ("NAS (P100x8)", 274120, 1515.43, 656347, 626155),
]
STRUBELL_G_PER_KWH = 0.954 * LB_KG * 1000  # 0.954 lbs/kWh, the paper's US average


@pytest.mark.parametrize(("model", "hours", "power_w", "kwh", "lbs"), STRUBELL_TABLE3)
def test_strubell_2019_table3(capsys, model, hours, power_w, kwh, lbs):
    out = estimate_json(
        capsys,
        "--gpus",
        "1",
        "--gpu-power-w",
        str(power_w),
        "--hours",
        str(hours),
        "--pue",
        "1.58",
        "--intensity-g-per-kwh",
        str(STRUBELL_G_PER_KWH),
    )
    # published integers: allow their rounding (±0.5) or 0.5 %, whichever is larger
    assert out["energy_facility_kwh"] == pytest.approx(kwh, abs=max(0.5, 0.005 * kwh))
    assert out["operational_kgco2e"] / LB_KG == pytest.approx(lbs, abs=max(0.5, 0.005 * lbs))


# Patterson et al. 2021, Table 4 (further rows): processors, days, average W per processor,
# PUE, kgCO2e/kWh → published MWh and tCO2e (rel. tol. 0.5 %: days are rounded to 0.1).
PATTERSON_TABLE4 = [
    ("GPT-3 (V100 × 10,000)", 10_000, 14.8, 330, 1.10, 0.429, 1287, 552),
    ("Switch Transformer (TPUv3 × 1,024)", 1024, 27, 245, 1.10, 0.330, 179, 59.1),
]


@pytest.mark.parametrize(
    ("model", "chips", "days", "watts", "pue", "kg_per_kwh", "mwh", "tco2e"), PATTERSON_TABLE4
)
def test_patterson_2021_table4_rows(capsys, model, chips, days, watts, pue, kg_per_kwh, mwh, tco2e):
    out = estimate_json(
        capsys,
        "--gpus",
        str(chips),
        "--gpu-power-w",
        str(watts),
        "--hours",
        str(days * 24),
        "--pue",
        str(pue),
        "--intensity-g-per-kwh",
        str(kg_per_kwh * 1000),
    )
    assert out["energy_facility_kwh"] / 1000 == pytest.approx(mwh, rel=0.005)
    assert out["operational_kgco2e"] / 1000 == pytest.approx(tco2e, rel=0.005)


# REFERENCE.md's SCC table (USD per tCO2, 2020 dollars, by emission year); 1 tCO2e priced.
SCC_TABLE = [
    ("scc:epa-2023-2.5", 2020, 120),
    ("scc:epa-2023-2.5", 2030, 140),
    ("scc:epa-2023-2.0", 2020, 190),
    ("scc:epa-2023-2.0", 2030, 230),
    ("scc:epa-2023-1.5", 2020, 340),
    ("scc:epa-2023-1.5", 2030, 380),
    ("scc:iwg-2021-3.0", 2020, 51),
    ("scc:iwg-2021-3.0", 2030, 62),
    ("scc:rennert-2022", 2020, 185),
    ("scc:epa-2023-2.0", 2025, 210),  # halfway between 190 (2020) and 230 (2030)
]


@pytest.mark.parametrize(("preset", "year", "usd_per_t"), SCC_TABLE)
def test_scc_presets_by_emission_year(capsys, preset, year, usd_per_t):
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "1000",
        "--pue",
        "1",
        "--intensity-g-per-kwh",
        "1000",
        "--scc",
        preset,
        "--emission-year",
        str(year),
        "--dollar-year",
        "2020",  # every preset is published in 2020 USD
    )
    assert out["operational_kgco2e"] == pytest.approx(1000)
    assert out["carbon_cost"] == pytest.approx(usd_per_t)
    assert out["emission_year"] == year


def test_rennert_range_is_the_published_5_95_interval(capsys):
    out = estimate_json(
        capsys,
        "--energy-kwh",
        "1000",
        "--intensity-g-per-kwh",
        "1000",
        "--scc",
        "scc:rennert-2022",
        "--emission-year",
        "2020",
        "--dollar-year",
        "2020",
    )
    scc = out["assumptions"]["social_cost_of_carbon"]
    assert (scc["low"], scc["value"], scc["high"]) == (44, 185, 413)


def test_defaults_pue_uptime_2023_and_world_average(capsys):
    # Uptime Institute 2023: 1.58; world average 475 gCO2e/kWh (IEA 2019, via codecarbon).
    out = estimate_json(capsys, "--energy-kwh", "100")
    assert out["pue"] == 1.58
    assert out["energy_facility_kwh"] == pytest.approx(158)
    intensity = out["assumptions"]["carbon_intensity"]
    assert intensity["value"] == 475
    assert "IEA" in intensity["source"]
    assert "Uptime" in out["assumptions"]["pue"]["source"]
