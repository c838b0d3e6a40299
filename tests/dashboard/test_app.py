"""Every page under Streamlit's AppTest, on the fixture ledger, an empty ledger and a file that
is not a ledger; the numbers shown are those of ``ecoledger assess --json``."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounting.assessment import aggregate, assess_run
from accounting.entries import Energy, EntrySource
from accounting.store import open_ledger
from tests.dashboard.helpers import (
    PAGES,
    TITLES,
    app,
    assess_json,
    chart_specs,
    chart_titled,
    metric,
    number,
    shows,
)
from tests.fixtures.ledgers import GPU0, GPU1, FixtureLedger

MIN_CHARTS = {"overview": 2, "runs": 2, "cost_benefit": 4, "compare": 2, "report": 0}


@pytest.fixture
def on_ledger(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(path: Path | str) -> None:
        monkeypatch.setenv("ECOLEDGER_LEDGER", str(path))

    return use


def _texts(at: Any) -> str:
    parts = (
        [m.value for m in at.markdown] + [e.value for e in at.info] + [e.value for e in at.error]
    )
    parts += [c.value for c in at.caption] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_fixture_ledger(
    page: str, fixture_ledger: FixtureLedger, on_ledger: Any
) -> None:
    on_ledger(fixture_ledger.path)
    at = app(page, fixture_ledger.run_ids["bert-finetune"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [TITLES[page]]
    specs = chart_specs(at)
    assert len(specs) >= MIN_CHARTS[page]
    for spec in specs:
        layout = spec["layout"]
        assert layout["title"]["text"], "every chart has a title"
        for trace in spec["data"]:
            for axis in ("x", "y"):
                values = trace.get(axis)
                if isinstance(values, list):
                    assert len(values) < 5000, f"{trace.get('name')}: {len(values)} points"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_an_empty_ledger_says_how_to_record_a_first_run(
    page: str, empty_ledger: Path, on_ledger: Any
) -> None:
    on_ledger(empty_ledger)
    at = app(page).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert "No runs recorded yet" in text
    assert "ecoledger run --ledger" in text and "ecoledger demo" in text


def test_a_file_that_is_not_a_ledger_shows_a_clear_message(tmp_path: Path, on_ledger: Any) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: milk, eggs\n")
    on_ledger(notes)
    for page in PAGES:
        at = app(page).run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "is not an ecoledger ledger" in errors[0], errors
        assert "Traceback" not in _texts(at)
    assert notes.read_text() == "shopping list: milk, eggs\n", "the file was not touched"


def test_changing_the_scc_preset_gives_the_net_benefit_of_ecoledger_assess(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    on_ledger(fixture_ledger.path)
    run_id = fixture_ledger.run_ids["sweep-lr-3e-4"]
    at = app("cost_benefit", run_id).run()
    default = assess_json(capsys, fixture_ledger.path, run_id)
    assert shows(metric(at, "Net benefit"), default["net_benefit"])

    at.selectbox(key="cb_scc").set_value("scc:epa-2023-1.5").run()
    assert not at.exception
    expected = assess_json(capsys, fixture_ledger.path, run_id, "--scc", "scc:epa-2023-1.5")
    assert expected["net_benefit"] < default["net_benefit"], "a higher SCC costs more"
    assert shows(metric(at, "Net benefit"), expected["net_benefit"])
    assert shows(metric(at, "p05"), expected["net_benefit_p05"])
    assert shows(metric(at, "p95"), expected["net_benefit_p95"])
    waterfall = chart_titled(at, "Net benefit")
    ys = waterfall["data"][0]["y"]
    assert ys[-1] == pytest.approx(expected["net_benefit"], rel=1e-9)


def test_other_controls_give_the_net_benefit_of_ecoledger_assess(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    on_ledger(fixture_ledger.path)
    run_id = fixture_ledger.run_ids["bert-serve"]
    at = app("cost_benefit", run_id).run()
    at.radio(key="cb_location_mode").set_value("country").run()
    at.selectbox(key="cb_country").set_value("POL")
    at.selectbox(key="cb_pue").set_value("pue:google-2023")
    at.number_input(key="cb_price").set_value(0.25)
    at.selectbox(key="cb_scc").set_value("custom value").run()
    at.number_input(key="cb_scc_value").set_value(400.0)
    at.number_input(key="cb_expected_uses").set_value(50_000)
    at.number_input(key="cb_benefit_per_use").set_value(0.0005).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    expected = assess_json(
        capsys,
        fixture_ledger.path,
        run_id,
        "--country", "POL",
        "--pue", "pue:google-2023",
        "--price-per-kwh", "0.25",
        "--scc-usd-per-t", "400",
        "--expected-uses", "50000",
        "--benefit-per-use", "0.0005",
    )  # fmt: skip
    assert shows(metric(at, "Net benefit"), expected["net_benefit"])
    assert metric(at, "Break-even") == f"{expected['break_even_uses']:,} requests"
    curve = chart_titled(at, "Break-even")
    assert curve["layout"]["xaxis"]["title"]["text"] == "Number of uses (requests)"


def test_saving_the_assumptions_appends_one_assumptions_entry(
    fresh_fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fresh_fixture_ledger.path
    on_ledger(path)
    run_id = fresh_fixture_ledger.run_ids["sweep-lr-3e-4"]
    with open_ledger(str(path)) as ledger:
        before = ledger.count()
    at = app("cost_benefit", run_id).run()
    at.selectbox(key="cb_scc").set_value("scc:iwg-2021-3.0").run()
    shown = metric(at, "Net benefit")
    at.button(key="cb_save").click().run()
    assert not at.exception
    assert any("Saved as entry" in s.value for s in at.success)
    with open_ledger(str(path)) as ledger:
        assert ledger.count() == before + 1
        saved = ledger.entries(run_id=run_id, kinds=["assumptions"])
    assert len(saved) == 1 and saved[0].label == "dashboard"
    assert '"scc":"scc:iwg-2021-3.0"' in saved[0].settings_json
    # with no option, `ecoledger assess` now uses the recorded assumptions
    assert shows(shown, assess_json(capsys, path, run_id)["net_benefit"])


def test_a_run_page_shows_each_gpus_power_downsampled(
    fixture_ledger: FixtureLedger, on_ledger: Any
) -> None:
    on_ledger(fixture_ledger.path)
    at = app("runs", fixture_ledger.run_ids["bert-finetune"]).run()
    power = chart_titled(at, "Power per device")
    assert power["layout"]["yaxis"]["title"]["text"] == "Power (W)"
    lines = [t for t in power["data"] if t.get("mode") == "lines"]
    names = " ".join(t["name"] for t in lines)
    assert GPU0[-4:] in names and GPU1[-4:] in names
    assert all(len(t["x"]) == 2000 for t in lines), "3,600 samples → 2,000 points per GPU"
    steps = chart_titled(at, "Energy per training step")
    assert steps["layout"]["yaxis"]["title"]["text"] == "Energy per step (J)"
    energy = chart_titled(at, "Energy by device and phase")
    assert any("approximated" in t.get("name", "") for t in energy["data"])
    assert any("shared_gpu" in w.value for w in at.warning)


def test_an_inference_run_shows_requests_and_its_amortized_training(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    on_ledger(fixture_ledger.path)
    run_id = fixture_ledger.run_ids["bert-serve"]
    at = app("runs", run_id).run()
    assert metric(at, "Requests") == "20,000"
    cli = assess_json(capsys, fixture_ledger.path, run_id)
    assert shows(metric(at, "Cost per request"), cli["amortization"]["cost_per_use"])
    assert metric(at, "Training run amortized") == "2.00%"
    chart = chart_titled(at, "Inference: energy per request")
    assert chart["layout"]["yaxis"]["title"]["text"] == "Energy per request (J)"


def test_a_lost_run_shows_as_lost(fixture_ledger: FixtureLedger, on_ledger: Any) -> None:
    on_ledger(fixture_ledger.path)
    at = app("runs", fixture_ledger.run_ids["crashed-sweep"]).run()
    header = " ".join(m.value for m in at.markdown)
    assert "red-badge[lost]" in header
    errors = " ".join(e.value for e in at.error)
    assert "run_lost" in errors and "device_lost" in errors


def test_a_live_run_refreshes_in_a_fragment(
    fresh_fixture_ledger: FixtureLedger, on_ledger: Any
) -> None:
    path = fresh_fixture_ledger.path
    on_ledger(path)
    run_id = fresh_fixture_ledger.run_ids["live-train"]
    at = app("runs", run_id).run()
    assert any("Live: refreshes every" in c.value for c in at.caption)
    before = metric(at, "IT energy")
    now = datetime.now(UTC)
    with open_ledger(str(path)) as ledger:
        ledger.append(
            [
                Energy(
                    run_id=run_id,
                    source=EntrySource(host="node-a", pid=4242, rank=0, origin="fixture"),
                    window="run",
                    device_id=GPU0,
                    device_kind="gpu",
                    device_model="NVIDIA A100-SXM4-40GB",
                    method="nvml_energy_counter",
                    approximated=False,
                    joules=360_000.0,
                    start=now - timedelta(seconds=10),
                    end=now,
                    duration_s=10.0,
                )
            ]
        )
    at.run()
    after = metric(at, "IT energy")
    assert number(after) == pytest.approx(number(before) + 100.0, abs=0.05), (before, after)


def test_overview_totals_are_the_sum_of_ecoledger_assess(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    on_ledger(fixture_ledger.path)
    at = app("overview").run()
    docs = [assess_json(capsys, fixture_ledger.path, r) for r in fixture_ledger.run_ids.values()]
    it_kwh = sum(d["energy_it_kwh"] for d in docs)
    shown_energy = metric(at, "IT energy")
    assert shown_energy.endswith(" Wh")  # 0.92 kWh is shown in Wh
    assert shows(shown_energy, it_kwh * 1000)
    # amortized training shares are counted once (the library's one rule, tested by hand in
    # tests/accounting/test_aggregate.py): the net benefit is more than the runs' sum
    with open_ledger(str(fixture_ledger.path)) as ledger:
        totals = aggregate([assess_run(ledger, r) for r in fixture_ledger.run_ids.values()])
    assert totals.net_benefit > sum(d["net_benefit"] for d in docs)
    assert shows(metric(at, "Net benefit"), totals.net_benefit)
    assert shows(metric(at, "Social benefit"), sum(d["social_benefit"] for d in docs))


def test_the_report_page_offers_the_report_download(
    fixture_ledger: FixtureLedger, on_ledger: Any
) -> None:
    on_ledger(fixture_ledger.path)
    at = app("report", fixture_ledger.run_ids["bert-finetune"]).run()
    formats = at.selectbox(key="report_format").options
    assert {"Markdown", "JSON"} <= set(formats)
    at.button(key="report_generate").click().run()
    assert not at.exception and not at.error
    downloads = at.get("download_button")
    assert [d.label for d in downloads] == ["Download ecoledger-report-f1e00000.md"]


@pytest.mark.slow
def test_a_two_gpu_run_recorded_with_the_fake_nvml(
    tmp_path: Path, fake_nvml_dir: Path, on_ledger: Any
) -> None:
    from tests.fixtures.fake_nvml import run_with_fake

    ledger = tmp_path / "two-gpu.db"
    out = run_with_fake(
        ["ecoledger", "run", "--ledger", str(ledger), "--name", "two-gpu", "--project", "fake",
         "--kind", "training", "--country", "DEU", "--sample-hz", "10", "--",
         sys.executable, "-c", "import time; time.sleep(2)"],
        fake_nvml_dir,
        gpus=2,
        power_mw=[250000, 150000],
        names=["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    on_ledger(ledger)
    at = app("runs").run()
    assert not at.exception and not at.error
    devices = at.dataframe[1].value
    gpus = devices[devices["kind"] == "gpu"]
    assert len(gpus) == 2 and set(gpus["model"]) == {"NVIDIA H100 80GB HBM3"}
    power = chart_titled(at, "Power per device")
    lines = [t for t in power["data"] if t.get("mode") == "lines" and "H100" in t["name"]]
    assert [t["name"] for t in lines] == [
        "GPU-11111111 (H100 80GB HBM3)",
        "GPU-22222222 (H100 80GB HBM3)",
    ]
    means = sorted(sum(t["y"]) / len(t["y"]) for t in lines)
    assert means == [pytest.approx(150.0, rel=0.05), pytest.approx(250.0, rel=0.05)]


def test_the_report_page_says_the_browser_rules_and_a_dead_browser_is_an_error(
    fixture_ledger: FixtureLedger, on_ledger: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    dead = tmp_path / "dead-browser"
    dead.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    dead.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(dead))
    on_ledger(fixture_ledger.path)
    at = app("report", fixture_ledger.run_ids["bert-finetune"]).run()
    at.selectbox(key="report_format").set_value("pdf").run()
    assert any("never a hang" in c.value for c in at.caption)
    at.button(key="report_generate").click().run()
    assert not at.exception
    # the page shows user-influenced text Markdown-escaped (ui.plain); read it as it renders
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [
        f"--format pdf: the browser BROWSER_PATH={dead} exited with code 1 at start"
    ]
    assert at.get("download_button") == []


def test_market_factor_zero_shows_both_scope2_figures(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 15: dual reporting; location-based unchanged, market-based 0 with --market-factor 0
    on_ledger(fixture_ledger.path)
    run_id = fixture_ledger.run_ids["sweep-lr-3e-4"]
    at = app("cost_benefit", run_id).run()
    assert metric(at, "Operational, market-based") == "not reported"
    at.number_input(key="cb_market_factor").set_value(0.0).run()
    assert not at.exception
    expected = assess_json(capsys, fixture_ledger.path, run_id, "--market-factor", "0")
    assert expected["operational_market_kgco2e"] == 0.0
    assert shows(metric(at, "Operational, location-based"), expected["operational_kgco2e"])
    assert number(metric(at, "Operational, market-based")) == 0.0


def test_cost_benefit_says_which_water_figures_were_used(
    fixture_ledger: FixtureLedger, on_ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 15: the water basis (per-location, national or U.S. stand-in) and "consumption"
    on_ledger(fixture_ledger.path)
    run_id = fixture_ledger.run_ids["sweep-lr-3e-4"]
    at = app("cost_benefit", run_id).run()
    assert not at.exception
    expected = assess_json(capsys, fixture_ledger.path, run_id)
    label = expected["water_basis_label"]
    assert "consumption" in label
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]
    assert f"Water figures: {label}" in captions
