"""Issue 16: the library names fields; the CLI maps them to flags in one table."""

from __future__ import annotations

import pytest

from accounting.assessment import EstimateInputs, estimate
from accounting.errors import InputError
from accounting.factors import carbon_intensity, pue
from ecoledger.cli.flags import flag, with_flags
from ecoledger.cli.main import main


def test_a_field_becomes_its_flag() -> None:
    assert flag("country") == "--country"
    assert flag("scc_usd_per_t") == "--scc-usd-per-t"
    assert flag("social_benefit_usd") == "--social-benefit"  # the table's exception
    assert with_flags("`gpus`: needs `gpu_power_w` and `hours`") == (
        "--gpus: needs --gpu-power-w and --hours"
    )
    assert with_flags("run 1a2b: no energy") == "run 1a2b: no energy"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: carbon_intensity.for_country("XXX"), "`country`"),
        (lambda: pue.user_value(0.5), "`pue`"),
        (lambda: estimate(EstimateInputs(energy_kwh=-1.0)), "`energy_kwh`"),
    ],
)
def test_library_errors_name_the_field_not_a_flag(call, field) -> None:
    with pytest.raises(InputError) as caught:
        call()
    assert str(caught.value).startswith(field)
    assert "--" not in str(caught.value)


def test_the_cli_still_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["estimate", "--energy-kwh", "1", "--country", "XXX"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("ecoledger: error: --country: unknown country (ISO3 code) 'XXX'"), err
