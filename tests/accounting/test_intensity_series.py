"""A run's energy segments charged against a user's intensity time series."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounting.store import open_ledger
from tests.accounting.helpers import T0, add_run, cli, cli_json

KWH_J = 3.6e6


def _csv(path, rows):
    path.write_text("timestamp,g_per_kwh\n" + "".join(f"{t},{v}\n" for t, v in rows))
    return str(path)


def _iso(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def ledger_path(tmp_path):
    return str(tmp_path / "ledger.db")


def test_run_crossing_an_intensity_change_is_charged_piecewise(capsys, tmp_path, ledger_path):
    # 10:00-11:00 at 100 g/kWh, 11:00-12:00 at 500 g/kWh. The run draws 0.05 kWh in the first
    # hour and 0.15 kWh in the second (in 60-s segments), PUE 1.
    series = _csv(tmp_path / "ci.csv", [(_iso(0), 100), (_iso(1), 500)])
    first = [(i * 60.0, 60.0, 0.05 * KWH_J / 60) for i in range(60)]
    second = [(3600.0 + i * 60.0, 60.0, 0.15 * KWH_J / 60) for i in range(60)]
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "s" * 32, first + second)
    out = cli_json(
        capsys,
        "assess",
        "s" * 12,
        "--pue",
        "1",
        "--intensity-csv",
        series,
        "--ledger",
        ledger_path,
    )
    # piecewise: 0.05 × 100 + 0.15 × 500 = 80 g
    assert out["operational_kgco2e"] == pytest.approx(0.080)
    # the series' average (300 g/kWh) applied to 0.2 kWh would give 60 g: not what we charge
    averaged = cli_json(
        capsys,
        "assess",
        "s" * 12,
        "--pue",
        "1",
        "--intensity-g-per-kwh",
        "300",
        "--ledger",
        ledger_path,
    )
    assert averaged["operational_kgco2e"] == pytest.approx(0.060)
    assert out["operational_kgco2e"] > averaged["operational_kgco2e"]


def test_a_segment_straddling_the_change_is_split_by_overlap(capsys, tmp_path, ledger_path):
    # one 1-kWh segment from 10:30 to 11:30: half at 100, half at 500 → 300 g
    series = _csv(tmp_path / "ci.csv", [(_iso(0), 100), (_iso(1), 500)])
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "x" * 32, [(1800.0, 3600.0, KWH_J)])
    out = cli_json(
        capsys,
        "assess",
        "x" * 12,
        "--pue",
        "1",
        "--intensity-csv",
        series,
        "--ledger",
        ledger_path,
    )
    assert out["operational_kgco2e"] == pytest.approx(0.300)


def test_start_hour_counterfactuals(capsys, tmp_path, ledger_path):
    # 24 hourly values on the run's day: hour h has 100 + 10 h g/kWh; a 1-hour, 1-kWh run at
    # 10:00 is charged 200 g. Starting at 00:00 it would have been 100 g; at 23:00, 330 g.
    day0 = T0.replace(hour=0)
    rows = [((day0 + timedelta(hours=h)).isoformat(), 100 + 10 * h) for h in range(24)]
    series = _csv(tmp_path / "ci.csv", rows)
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "h" * 32, [(0.0, 3600.0, KWH_J)])
    out = cli_json(
        capsys,
        "assess",
        "h" * 12,
        "--pue",
        "1",
        "--scc-usd-per-t",
        "100",
        "--intensity-csv",
        series,
        "--ledger",
        ledger_path,
    )
    assert out["operational_kgco2e"] == pytest.approx(0.200)
    hours = {c["where"]: c for c in out["counterfactuals"] if c["kind"] == "start_hour"}
    assert hours["start 2024-05-01T00:00Z"]["operational_kgco2e"] == pytest.approx(0.100)
    assert hours["start 2024-05-01T00:00Z"]["saving_kgco2e"] == pytest.approx(0.100)
    assert hours["start 2024-05-01T00:00Z"]["carbon_cost"] == pytest.approx(0.1 / 1000 * 100)
    assert hours["start 2024-05-01T23:00Z"]["operational_kgco2e"] == pytest.approx(0.330)
    assert len(hours) == 24


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(_iso(0), 100), (_iso(1), "abc")], "line 3"),
        ([(_iso(0), 100), ("not-a-time", 200)], "line 3"),
        ([(_iso(0), 100), (_iso(1), -5)], "line 3"),
        ([(_iso(h), 100) for h in (0, 1, 2, 3, 6)], "gap of 3.00 h between line 5 and line 6"),
        ([(_iso(0), 100), (_iso(2), 200), (_iso(4), 300)], "hourly"),
        ([(_iso(1), 100), (_iso(2), 200)], "covers"),
        ([(_iso(1), 100), (_iso(0), 200)], "line 3"),
    ],
)
def test_bad_series_is_bad_input_and_writes_nothing(capsys, tmp_path, ledger_path, rows, message):
    series = _csv(tmp_path / "ci.csv", rows)
    with open_ledger(ledger_path) as ledger:
        add_run(ledger, "b" * 32, [(0.0, 1800.0, KWH_J)])
        before = ledger.head()
    code, out, err = cli(
        capsys,
        "assess",
        "b" * 12,
        "--intensity-csv",
        series,
        "--record",
        "--save-assumptions",
        str(tmp_path / "saved.toml"),
        "--ledger",
        ledger_path,
    )
    assert code == 2
    assert "--intensity-csv" in err and message in err
    assert err.count("\n") == 1 and out == ""
    assert not (tmp_path / "saved.toml").exists()
    with open_ledger(ledger_path) as ledger:
        assert ledger.head() == before


def test_estimate_has_no_series_option(capsys):
    code, _, err = cli(capsys, "estimate", "--energy-kwh", "1", "--intensity-csv", "x.csv")
    assert code == 2 and "--intensity-csv" in err
