"""Assessments of runs in a real SQLite ledger, with hand-computed expectations."""

from __future__ import annotations

import pytest

from accounting.assessment import AssumptionSettings, assess_run
from accounting.entries import Benefit
from accounting.store import open_ledger
from tests.accounting.helpers import NEUTRAL, SOURCE, add_run, cli, cli_json

KWH_J = 3.6e6


@pytest.fixture
def ledger_path(tmp_path):
    return str(tmp_path / "ledger.db")


def _training_and_inference(path, *, per_request_usd, expected_uses=1000, requests=100):
    with open_ledger(path) as ledger:
        # training: 10 kWh in ten 1-kWh segments
        add_run(ledger, "t" * 32, [(i * 60.0, 60.0, KWH_J) for i in range(10)])
        add_run(
            ledger,
            "i" * 32,
            [(0.0, 60.0, KWH_J)],
            run_kind="inference",
            parent_run_id="t" * 32,
            expected_uses=expected_uses,
            requests=requests,
            benefits=[
                Benefit(
                    run_id="i" * 32,
                    benefit_kind="social",
                    basis="per_request",
                    usd=per_request_usd,
                    rationale="answers",
                    reference="test",
                    source=SOURCE,
                )
            ],
        )


def test_amortization_and_break_even_hand_computed(capsys, ledger_path):
    _training_and_inference(ledger_path, per_request_usd=0.01)
    out = cli_json(capsys, "assess", "i" * 12, *NEUTRAL, "--ledger", ledger_path)
    # own: 1 kWh × 0.10 = 0.10 USD; training: 10 kWh × 0.10 = 1.00 USD, share 100/1000
    assert out["energy_it_kwh"] == pytest.approx(1.0)
    assert out["energy_cost"] == pytest.approx(0.10 + 0.10)
    assert out["social_benefit"] == pytest.approx(100 * 0.01)
    assert out["net_benefit"] == pytest.approx(1.00 - 0.20)
    am = out["amortization"]
    assert am["parent_run_id"] == "t" * 32
    assert am["share"] == pytest.approx(0.1)
    assert am["training_cost"] == pytest.approx(1.00)
    assert am["training_cost_per_use"] == pytest.approx(0.001)
    assert am["own_cost_per_use"] == pytest.approx(0.001)
    assert am["cost_per_use"] == pytest.approx(0.002)
    # break-even: 1.00 / (0.01 − 0.001) = 111.1 → 112 requests
    assert out["break_even_uses"] == 112
    assert out["break_even"]["status"] == "reached"


def test_break_even_never_when_benefit_per_use_below_cost(capsys, ledger_path):
    _training_and_inference(ledger_path, per_request_usd=0.0005)
    out = cli_json(capsys, "assess", "i" * 12, *NEUTRAL, "--ledger", ledger_path)
    assert out["break_even_uses"] is None
    assert out["break_even"]["status"] == "never"


def test_expected_uses_option_overrides_the_run(capsys, ledger_path):
    _training_and_inference(ledger_path, per_request_usd=0.01)
    out = cli_json(
        capsys, "assess", "i" * 12, *NEUTRAL, "--expected-uses", "100", "--ledger", ledger_path
    )
    # the whole training cost (1.00) now falls on these 100 requests
    assert out["energy_cost"] == pytest.approx(0.10 + 1.00)
    assert out["amortization"]["training_cost_per_use"] == pytest.approx(0.01)


def test_training_run_break_even_with_benefit_per_use(capsys, ledger_path):
    _training_and_inference(ledger_path, per_request_usd=0.01)
    out = cli_json(
        capsys,
        "assess",
        "t" * 12,
        *NEUTRAL,
        "--benefit-per-use",
        "0.003",
        "--expected-uses",
        "500",
        "--ledger",
        ledger_path,
    )
    # 1.00 USD of training recovered at 0.003 USD per use → 334 uses; spread over 500 → 0.002
    assert out["break_even_uses"] == 334
    assert out["amortization"]["training_cost_per_use"] == pytest.approx(0.002)


def test_counterfactual_countries(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "c" * 32, [(0.0, 3600.0, KWH_J)], country="POL")
    out = cli_json(
        capsys,
        "assess",
        "c" * 12,
        "--pue",
        "1",
        "--scc-usd-per-t",
        "100",
        "--compare-countries",
        "FRA,SWE:SE3",
        "--compare-clouds",
        "gcp:europe-west1",
        "--ledger",
        ledger_path,
    )
    where = {c["where"]: c for c in out["counterfactuals"]}
    # codecarbon 3.3.2 data (ENVIRONMENT.md): POL 661.9, FRA 56.0 gCO2e/kWh, europe-west1 122
    assert where["POL"]["operational_kgco2e"] == pytest.approx(0.6619, rel=1e-3)
    assert where["FRA"]["operational_kgco2e"] == pytest.approx(0.056, rel=1e-3)
    assert where["FRA"]["carbon_cost"] == pytest.approx(0.056 / 1000 * 100, rel=1e-3)
    assert where["gcp:europe-west1"]["operational_kgco2e"] == pytest.approx(0.122)
    assert where["FRA"]["saving_kgco2e"] == pytest.approx(0.6619 - 0.056, rel=1e-3)
    assert out["counterfactuals"][0]["where"] == "POL"


def test_run_defaults_come_from_run_started(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "d" * 32, [(0.0, 60.0, KWH_J)], country="FRA", pue=1.2)
    out = cli_json(capsys, "assess", "d" * 12, "--ledger", ledger_path)
    assert out["pue"] == 1.2
    assert out["energy_facility_kwh"] == pytest.approx(1.2)
    assert out["location"] == "FRA"
    assert out["emission_year"] == 2024


def test_record_writes_assumptions_and_they_are_reused(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "r" * 32, [(0.0, 60.0, KWH_J)])
    first = cli_json(
        capsys,
        "assess",
        "r" * 12,
        "--scc-usd-per-t",
        "50",
        "--price-per-kwh",
        "0.2",
        "--record",
        "--ledger",
        ledger_path,
    )
    with open_ledger(ledger_path) as ledger:
        recorded = ledger.entries(run_id="r" * 32, kinds=["assumptions"])
    assert len(recorded) == 1
    names = {f.name: f.value for f in recorded[0].factors}
    assert names["social_cost_of_carbon"] == 50
    assert names["electricity_price"] == 0.2
    again = cli_json(capsys, "assess", "r" * 12, "--ledger", ledger_path)
    assert again["net_benefit"] == first["net_benefit"]
    assert again["net_benefit_p05"] == first["net_benefit_p05"]


def test_benefit_add_and_assess(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "b" * 32, [(0.0, 60.0, KWH_J)], requests=40)
    code, out, err = cli(
        capsys,
        "benefit",
        "add",
        "b" * 10,
        "--per-request",
        "0.5",
        "--rationale",
        "answers",
        "--source",
        "pilot",
        "--ledger",
        ledger_path,
    )
    assert code == 0, err
    code, _, err = cli(
        capsys,
        "benefit",
        "add",
        "b" * 10,
        "--social",
        "3",
        "--rationale",
        "x",
        "--source",
        "y",
        "--ledger",
        ledger_path,
    )
    assert code == 0, err
    code, _, err = cli(
        capsys,
        "benefit",
        "add",
        "b" * 10,
        "--avoided-kgco2e",
        "2",
        "--rationale",
        "x",
        "--source",
        "y",
        "--ledger",
        ledger_path,
    )
    assert code == 0, err
    result = cli_json(
        capsys, "assess", "b" * 12, *NEUTRAL, "--scc-usd-per-t", "100", "--ledger", ledger_path
    )
    assert result["social_benefit"] == pytest.approx(40 * 0.5 + 3)
    assert result["environmental_benefit"] == pytest.approx(2 / 1000 * 100)
    # identity, on the printed keys
    assert result["net_benefit"] == (
        result["social_benefit"]
        + result["environmental_benefit"]
        - result["energy_cost"]
        - result["carbon_cost"]
        - result["secondary_cost"]
    )


def test_benefit_add_bad_input_writes_nothing(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "e" * 32, [(0.0, 60.0, KWH_J)])
        before = ledger.head()
    for args, field in (
        (("--social", "-1"), "--social"),
        (("--per-token", "abc"), "--per-token"),
        (("--social", "1", "--per-item", "2"), "--per-item"),
    ):
        code, _, err = cli(
            capsys,
            "benefit",
            "add",
            "e" * 10,
            *args,
            "--rationale",
            "r",
            "--source",
            "s",
            "--ledger",
            ledger_path,
        )
        assert code == 2
        assert field in err and err.count("\n") == 1
    code, _, err = cli(
        capsys,
        "benefit",
        "add",
        "e" * 10,
        "--social",
        "1",
        "--rationale",
        " ",
        "--source",
        "s",
        "--ledger",
        ledger_path,
    )
    assert code == 2 and "--rationale" in err
    with open_ledger(ledger_path) as ledger:
        assert ledger.head() == before


def test_gpu_run_embodied_by_gpu_hours(ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(
            ledger,
            "g" * 32,
            [(0.0, 3600.0, KWH_J)],
            device_kind="gpu",
            device_model="NVIDIA H100 80GB HBM3",
            method="nvml_energy_counter",
        )
        a = assess_run(
            ledger,
            "g" * 32,
            AssumptionSettings(lifetime_years=1, utilization=1.0, embodied_kg_per_host=0),
        )
    # 1 GPU-hour of an H100 (164 kg, NVIDIA HGX PCF) over 8,760 h
    assert a.gpu_hours == pytest.approx(1.0)
    assert a.embodied_kgco2e == pytest.approx(164 / 8760)
    assert "baseboard" in a.boundary


def test_cpu_only_run_has_no_gpu_embodied(ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "h" * 32, [(0.0, 3600.0, KWH_J)])
        a = assess_run(
            ledger,
            "h" * 32,
            AssumptionSettings(lifetime_years=1, utilization=1.0, embodied_kg_per_host=8760),
        )
    assert a.gpu_hours == 0
    # 1 host-hour × 8,760 kg / 8,760 h
    assert a.embodied_kgco2e == pytest.approx(1.0)


def test_assess_unknown_run_is_bad_input(capsys, ledger_path):
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "u" * 32, [(0.0, 60.0, KWH_J)])
    code, _, err = cli(capsys, "assess", "zzzzzzzzzz", "--ledger", ledger_path)
    assert code == 2 and "run" in err


def test_measured_gpu_without_a_published_footprint_gets_the_stated_default(ledger_path):
    # issue 15: a T4 has no published product carbon footprint: the stated default, a wider
    # range and a note, instead of silently borrowing the A100's figure
    with open_ledger(ledger_path) as ledger:
        add_run(
            ledger,
            "t" * 32,
            [(0.0, 3600.0, KWH_J)],
            device_kind="gpu",
            device_model="Tesla T4",
            method="nvml_energy_counter",
        )
        a = assess_run(ledger, "t" * 32)
    gpu = a.factor("embodied_per_gpu")
    assert (gpu.low, gpu.value, gpu.high) == (50.0, 150.0, 400.0)
    assert a.gpu_model == "Tesla T4"
    assert any("'Tesla T4'" in note for note in a.notes)


def test_inference_run_sci_per_request_includes_the_training_share(ledger_path):
    # SCI = (E × I + M) / R; the inference run also carries R / expected uses of the
    # training run's E × I + M. Here: no embodied (hosts 0 kg, no GPU), PUE 1, 400 g/kWh.
    s = AssumptionSettings(
        pue=1.0, intensity_g_per_kwh=400.0, embodied_kg_per_host=0.0, expected_uses=1000
    )
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "p" * 32, [(0.0, 3600.0, 10 * KWH_J)])
        add_run(
            ledger,
            "i" * 32,
            [(0.0, 60.0, KWH_J)],
            run_kind="inference",
            parent_run_id="p" * 32,
            requests=100,
        )
        a = assess_run(ledger, "i" * 32, s)
    # own: 1 kWh × 400 g = 400 g; training: 10 kWh × 400 g = 4,000 g × 100 / 1,000 = 400 g
    assert a.sci.unit == "request"
    assert a.sci.gco2e_per_unit == pytest.approx((400.0 + 400.0) / 100, rel=1e-9)
