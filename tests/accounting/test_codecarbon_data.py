"""The codecarbon adapter: fails loudly when codecarbon's data layout changes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from accounting.factors import codecarbon_data as cc
from accounting.factors.codecarbon_data import CodecarbonLayoutError


def test_layout_files_exist_where_the_adapter_reads_them():
    folder = cc.data_dir()
    for relative in (
        cc.GLOBAL_ENERGY_MIX,
        cc.INTENSITY_PER_SOURCE,
        cc.USA_EMISSIONS,
        cc.CANADA_ENERGY_MIX,
        cc.NORDIC_EMISSIONS,
        cc.CLOUD_IMPACT,
    ):
        assert (folder / relative).is_file(), f"codecarbon layout changed: {relative} is gone"


def test_known_values_of_codecarbon_3_3_2():
    # values measured on codecarbon 3.3.2 (ENVIRONMENT.md)
    countries = cc.countries()
    assert countries["FRA"].g_per_kwh == pytest.approx(56.0, abs=0.1)
    assert countries["USA"].g_per_kwh == pytest.approx(369.5, abs=0.1)
    assert countries["POL"].g_per_kwh == pytest.approx(661.9, abs=0.1)
    assert cc.gcp_regions()["europe-west1"].g_per_kwh == 122
    assert cc.world_average().g_per_kwh == 475
    assert len(countries) > 150
    assert {"CA", "TX", "NY"} <= set(cc.us_states())
    assert {"ontario", "quebec", "alberta"} <= set(cc.canada_provinces())
    assert {"SE3", "NO1", "FI"} <= set(cc.nordic_zones())


def test_us_states_are_converted_from_lbs_per_mwh():
    raw = json.loads((cc.data_dir() / cc.USA_EMISSIONS).read_text())
    lbs = raw["california"]["emissions"]
    assert cc.us_states()["CA"].g_per_kwh == pytest.approx(lbs * 0.45359237)


def test_a_changed_layout_raises(tmp_path, monkeypatch):
    (tmp_path / "private_infra").mkdir()
    (tmp_path / cc.GLOBAL_ENERGY_MIX).write_text(json.dumps({"FRA": {"intensity": 56}}))
    monkeypatch.setattr(cc, "data_dir", lambda: tmp_path)
    cc.countries.cache_clear()
    try:
        with pytest.raises(CodecarbonLayoutError, match="carbon_intensity"):
            cc.countries()
        with pytest.raises(CodecarbonLayoutError, match="not found"):
            cc.gcp_regions.__wrapped__()
    finally:
        cc.countries.cache_clear()


def test_accounting_never_imports_codecarbon_torch_or_streamlit():
    code = (
        "import sys, accounting, accounting.assessment, accounting.factors\n"
        "from accounting.assessment import estimate, EstimateInputs\n"
        "estimate(EstimateInputs(energy_kwh=1.0))\n"
        "bad = [m for m in ('codecarbon', 'torch', 'streamlit', 'plotly') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
