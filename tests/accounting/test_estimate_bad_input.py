"""`ecoledger estimate` bad input: one line naming the option, exit code 2."""

from __future__ import annotations

import pytest

from tests.accounting.helpers import cli


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--energy-kwh", "0"], "--energy-kwh"),
        (["--energy-kwh", "-3"], "--energy-kwh"),
        (["--gpus", "2", "--gpu-power-w", "300", "--hours", "0"], "--hours"),
        (["--gpus", "2", "--gpu-power-w", "300", "--hours", "-1"], "--hours"),
        (["--energy-kwh", "5", "--gpus", "2"], "--energy-kwh"),
        (["--energy-kwh", "5", "--pue", "0.9"], "--pue"),
        (["--energy-kwh", "5", "--pue", "0"], "--pue"),
        (["--energy-kwh", "5", "--pue", "-1.2"], "--pue"),
        (["--energy-kwh", "5", "--pue", "pue:googel-2023"], "pue:google-2023"),
        (["--energy-kwh", "5", "--utilization", "0"], "--utilization"),
        (["--energy-kwh", "5", "--utilization", "1.01"], "--utilization"),
        (["--energy-kwh", "5", "--scc", "scc:epa-2032-2.0"], "scc:epa-2023-2.0"),
        (["--energy-kwh", "5", "--country", "FRX"], "FRA"),
        (["--energy-kwh", "5", "--country", "USA:ZZ"], "--country"),
        (["--energy-kwh", "5", "--cloud", "gcp:us-central9"], "gcp:us-central1"),
        (["--energy-kwh", "5", "--cloud", "aws:us-east-1"], "--cloud"),
        (["--energy-kwh", "5", "--compare-countries", "FRA,XYZW"], "--compare-countries"),
        (["--energy-kwh", "5", "--water", "lake"], "--water"),
        (["--energy-kwh", "5", "--embodied", "h1000"], "--embodied"),
        (["--energy-kwh", "5", "--scc", "scc:epa-2023-2.0", "--scc-usd-per-t", "5"], "--scc"),
        (["--gpus", "2"], "--gpus"),
        ([], "--energy-kwh"),
        (["--energy-kwh", "abc"], "--energy-kwh"),
    ],
)
def test_bad_input(capsys, args, field):
    code, out, err = cli(capsys, "estimate", *args)
    assert code == 2
    assert out == ""
    assert err.startswith("ecoledger: error:") and err.count("\n") == 1
    assert field in err


def test_human_output_has_units(capsys):
    code, out, _ = cli(capsys, "estimate", "--gpus", "8", "--gpu-power-w", "296", "--hours", "84")
    assert code == 0
    for unit in ("kWh", "kgCO2e", " L", "USD", "gCO2e/kWh"):
        assert unit in out
    assert "Net benefit" in out
