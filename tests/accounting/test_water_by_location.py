"""Water by location (issue 15): a per-location figure, else a national one, else the U.S.
average labelled as a stand-in; every water figure is consumption. Published values are typed
in here from Li, Yang, Islam, Ren 2023 ("Making AI Less Thirsty"), Table 1, U.S. average."""

from __future__ import annotations

import pytest

from tests.accounting.helpers import estimate_json

# Li et al. 2023, Table 1, U.S. average: on-site WUE 0.550 L/kWh, off-site EWIF 3.142 L/kWh.
LI_US_WUE = 0.550
LI_US_EWIF = 3.142


def _water(capsys: pytest.CaptureFixture[str], *place: str) -> dict:
    # 100 kWh IT at PUE 1: water = 100 × (WUE + 1 × EWIF)
    return estimate_json(capsys, "--energy-kwh", "100", "--pue", "1", *place)


@pytest.mark.parametrize(
    ("option", "place"),
    [("--country", "FRA"), ("--country", "SWE"), ("--cloud", "gcp:europe-west1")],
)
def test_a_place_with_no_bundled_figure_gets_the_us_average_labelled_a_stand_in(
    capsys, option, place
):
    out = _water(capsys, option, place)
    assert out["water_basis"] == "us-stand-in"
    assert out["water_basis_place"] == place
    assert "stand-in" in out["water_basis_label"] and place in out["water_basis_label"]
    assert out["water_measure"] == "consumption"
    assert out["assumptions"]["wue_onsite"]["value"] == LI_US_WUE
    assert out["assumptions"]["ewif_offsite"]["value"] == LI_US_EWIF
    assert f"a stand-in for {place}" in out["assumptions"]["ewif_offsite"]["source"]
    assert any("stand-in" in n and place in n for n in out["notes"])
    assert out["water_l"] == pytest.approx(100 * (0.550 + 3.142), rel=1e-12)


def test_the_united_states_uses_li_et_al_us_average_as_its_national_figure(capsys):
    out = _water(capsys, "--country", "USA")
    assert out["water_basis"] == "national"
    assert out["water_basis_place"] == "USA"
    assert "Li et al. 2023" in out["water_basis_label"]
    assert "consumption" in out["water_basis_label"]
    assert not any("stand-in" in n for n in out["notes"])
    assert out["water_onsite_l"] == pytest.approx(100 * 0.550, rel=1e-12)
    assert out["water_offsite_l"] == pytest.approx(100 * 3.142, rel=1e-12)


@pytest.mark.parametrize(
    ("option", "place"), [("--country", "USA:CA"), ("--cloud", "gcp:us-central1")]
)
def test_a_us_state_or_us_cloud_region_falls_back_to_the_national_figure(capsys, option, place):
    # Li et al. give per-location figures for some U.S. states; none is bundled (no source
    # read for them), so a state gets the national U.S. figure, not a stand-in.
    out = _water(capsys, option, place)
    assert out["water_basis"] == "national"
    assert out["water_basis_place"] == f"USA ({place})"
    assert not any("stand-in" in n for n in out["notes"])


def test_no_place_at_all_is_a_labelled_stand_in(capsys):
    out = _water(capsys)
    assert out["water_basis"] == "us-stand-in"
    assert out["water_basis_place"] == "world average"


def test_user_figures_and_presets_are_labelled_as_such(capsys):
    user = _water(capsys, "--country", "FRA", "--wue-l-per-kwh", "0.2", "--ewif-l-per-kwh", "1.0")
    assert user["water_basis"] == "user"
    assert "Li et al." not in user["water_basis_label"]
    assert not any("stand-in" in n for n in user["notes"])
    assert user["water_l"] == pytest.approx(100 * (0.2 + 1.0), rel=1e-12)
    none = _water(capsys, "--country", "FRA", "--water", "none")
    assert none["water_basis"] == "preset" and none["water_l"] == 0.0
