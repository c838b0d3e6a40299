"""Markdown, JSON, LaTeX and model-card reports of a fixture run and a fixture project.

Expected values come from `ecoledger assess --json` run through the CLI, never from the
report code: a run report's figures equal the run's assessment; a project report's figures
equal the sum of its runs' own terms (a training share carried by an inference run is taken
out of that run's money, since the training run is in the project too).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from accounting.assessment import AssumptionSettings, aggregate, assess_run
from accounting.assessment.aggregate import ADDITIVE
from accounting.store import open_ledger
from tests.fixtures.report_ledger import FixtureIds
from tests.reports.helpers import assess_json, markdown_summary, read, report

STABLE = (
    "energy_it_kwh",
    "pue",
    "energy_facility_kwh",
    "operational_kgco2e",
    "embodied_kgco2e",
    "water_onsite_l",
    "water_offsite_l",
    "water_l",
    "energy_cost",
    "carbon_cost",
    "secondary_cost",
    "social_benefit",
    "environmental_benefit",
    "net_benefit",
    "currency",
    "net_benefit_p05",
    "net_benefit_p50",
    "net_benefit_p95",
    "break_even_uses",
)
SIG4 = 5e-4  # four significant digits, as printed


def _close(printed: float, exact: float) -> bool:
    return math.isclose(printed, exact, rel_tol=SIG4, abs_tol=1e-12)


def _project_expected(path: Path, run_ids: list[str], assumptions: Path) -> dict[str, float]:
    """The project's totals by the library's one rule (``aggregate``, tested by hand in
    tests/accounting/test_aggregate.py) over the runs' own assessments."""
    settings = AssumptionSettings.from_file(assumptions)
    with open_ledger(str(path)) as ledger:
        totals = aggregate([assess_run(ledger, r, settings) for r in run_ids], settings)
    out = {key: float(getattr(totals, key)) for key in ADDITIVE}
    out["pue"] = float(totals.pue or 0.0)
    return out


def test_run_report_json_and_markdown_equal_assess_json(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path
) -> None:
    ids = report_ledger
    expected = assess_json(capsys, ids.path, ids.serve, assumptions_file)
    for fmt, name in (("json", "r.json"), ("md", "r.md")):
        result = report(
            capsys,
            ids.path,
            ids.serve[:10],
            "--format",
            fmt,
            "--out",
            str(tmp_path / name),
            "--assumptions",
            str(assumptions_file),
        )
        assert result.code == 0, result.err
    doc = json.loads(read(tmp_path / "r.json"))
    for key in STABLE:
        assert doc["totals"][key] == expected[key], key
    assert doc["runs"][0]["assessment"]["counterfactuals"] == expected["counterfactuals"]
    assert doc["runs"][0]["assessment"]["assumptions"] == expected["assumptions"]
    # the training run it amortizes is covered too
    assert [r["role"] for r in doc["runs"]] == ["run", "training run amortized"]
    assert doc["runs"][1]["run_id"] == ids.train
    assert doc["amortization"]["parent_run_id"] == ids.train
    printed = markdown_summary(read(tmp_path / "r.md"))
    assert set(printed) == {k for k in STABLE if k not in ("currency", "break_even_uses")}
    for key, value in printed.items():
        assert _close(value, expected[key]), (key, value, expected[key])


def test_run_report_has_every_fact(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path
) -> None:
    ids = report_ledger
    out = tmp_path / "train.json"
    result = report(
        capsys,
        ids.path,
        ids.train,
        "--format",
        "json",
        "--out",
        str(out),
        "--assumptions",
        str(assumptions_file),
    )
    assert result.code == 0, result.err
    doc = json.loads(read(out))
    jsonschema.validate(doc, json.loads(_schema(capsys)))
    # hardware, location, duration, GPU-hours (2 h on one GPU)
    assert {(h["kind"], h["model"]) for h in doc["hardware"]} == {
        ("gpu", "NVIDIA A100-SXM4-40GB"),
        ("cpu", "AMD EPYC 7763"),
        ("ram", "64 GiB"),
    }
    assert doc["locations"] == ["FRA"]
    assert doc["duration_s"] == 7200.0
    assert doc["gpu_hours"] == pytest.approx(2.0)
    # methods per device and the approximated share: CPU 60 W + RAM 20 W of 330 W estimated
    methods = {d["kind"]: (d["method"], d["approximated"]) for d in doc["devices"]}
    assert methods == {
        "gpu": ("nvml_energy_counter", False),
        "cpu": ("cpu_tdp_load", True),
        "ram": ("ram_estimate", True),
    }
    assert doc["approximated_share"] == pytest.approx(80 / 330)
    # every assumption with its source
    assert doc["assumptions"] and all(a["source"] for a in doc["assumptions"])
    # counterfactuals and the lowest: Sweden's grid is cleaner than France's and Poland's
    wheres = {c["where"] for c in doc["counterfactuals"]}
    assert wheres == {"as run", "POL", "SWE"}
    assert doc["lowest_counterfactual"] == "SWE"
    # problems, equivalences with sources, references, provenance
    assert [p["code"] for p in doc["problems"]] == ["shared_gpu"]
    kg = doc["totals"]["operational_kgco2e"] + doc["totals"]["embodied_kgco2e"]
    car = next(e for e in doc["equivalences"] if e["unit"] == "km")
    assert car["amount"] == pytest.approx(kg / (0.400 / 1.609344))  # EPA: 400 g/mile
    assert "EPA" in car["source"]
    assert {r["key"] for r in doc["references"]} >= {"bommasani2021", "epa2023vehicle"}
    prov = doc["provenance"]
    assert len(prov["anchor_hash"]) == 64 and prov["anchor_seq"] > 0
    assert prov["ecoledger_version"]
    assert prov["command"].startswith(f"ecoledger report {ids.train} --format json")
    assert "--force" in prov["command"] and str(assumptions_file) in prov["command"]
    assert doc["statement"].startswith("The training run bert-pretrain of project paper-2026")


def _schema(capsys: Any) -> str:
    from tests.cli.helpers import cli

    result = cli(capsys, "report", "--schema")
    assert result.code == 0
    return result.out


def test_project_report_sums_every_run_including_failed(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path
) -> None:
    ids = report_ledger
    runs = [
        assess_json(capsys, ids.path, r, assumptions_file)
        for r in (ids.train, ids.serve, ids.sweep)
    ]
    expected = _project_expected(ids.path, [ids.train, ids.serve, ids.sweep], assumptions_file)
    for fmt, name in (("json", "p.json"), ("md", "p.md")):
        result = report(
            capsys,
            ids.path,
            "--project",
            ids.project,
            "--format",
            fmt,
            "--out",
            str(tmp_path / name),
            "--assumptions",
            str(assumptions_file),
        )
        assert result.code == 0, result.err
    doc = json.loads(read(tmp_path / "p.json"))
    assert [r["status"] for r in doc["runs"]] == ["completed", "completed", "failed"]
    assert {r["run_id"] for r in doc["runs"]} == {ids.train, ids.serve, ids.sweep}
    for key, value in expected.items():
        assert doc["totals"][key] == pytest.approx(value, rel=1e-12), key
    totals = doc["totals"]
    assert totals["net_benefit_p05"] <= totals["net_benefit"] <= totals["net_benefit_p95"]
    summed_width = sum(r["net_benefit_p95"] - r["net_benefit_p05"] for r in runs)
    assert totals["net_benefit_p95"] - totals["net_benefit_p05"] < summed_width
    assert "joint Monte Carlo" in doc["interval"]["method"]
    printed = markdown_summary(read(tmp_path / "p.md"))
    for key, value in printed.items():
        if key in expected:
            assert _close(value, expected[key]), key
    assert {p["code"] for p in doc["problems"]} == {"shared_gpu", "device_lost"}
    # --since/--until: the day after has no run
    late = report(
        capsys,
        ids.path,
        "--project",
        ids.project,
        "--since",
        "2026-03-03",
        "--format",
        "json",
        "--out",
        str(tmp_path / "late.json"),
    )
    assert late.code == 2 and "no runs in that period" in late.err
    day = report(
        capsys,
        ids.path,
        "--project",
        ids.project,
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-02",
        "--format",
        "json",
        "--out",
        str(tmp_path / "day.json"),
    )
    assert day.code == 0 and len(json.loads(read(tmp_path / "day.json"))["runs"]) == 3


def _pdflatex(folder: Path, name: str) -> subprocess.CompletedProcess[str]:
    command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", name]
    run = {"cwd": folder, "capture_output": True, "text": True, "errors": "replace", "timeout": 120}
    first = subprocess.run(command, **run)  # type: ignore[call-overload]
    assert first.returncode == 0, first.stdout[-2000:]
    return subprocess.run(command, **run)  # type: ignore[call-overload,no-any-return]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive)")
@pytest.mark.parametrize("target", ["run", "project"])
def test_latex_compiles_with_booktabs_and_bibtex(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path, target: str
) -> None:
    ids = report_ledger
    scope = [ids.serve] if target == "run" else ["--project", ids.project]
    out = tmp_path / "appendix.tex"
    result = report(
        capsys,
        ids.path,
        *scope,
        "--format",
        "latex",
        "--out",
        str(out),
        "--assumptions",
        str(assumptions_file),
    )
    assert result.code == 0, result.err
    tex = read(out)
    assert r"\usepackage{booktabs}" in tex and r"\toprule" in tex and r"\usepackage{lmodern}" in tex
    bib = read(tmp_path / "appendix.bib")
    assert "@misc{bommasani2021," in bib and "@inproceedings{strubell2019," in bib
    second = _pdflatex(tmp_path, "appendix.tex")
    assert second.returncode == 0, second.stdout[-2000:]
    log = (tmp_path / "appendix.log").read_text(encoding="latin-1")
    assert not re.search(r"Citation `[^']*' on page \d+ undefined", log)
    assert "There were undefined references" not in log
    assert (tmp_path / "appendix.pdf").read_bytes().startswith(b"%PDF")


def test_model_card_yaml_is_in_grams_with_hub_field_names(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds, assumptions_file: Path
) -> None:
    ids = report_ledger
    expected = assess_json(capsys, ids.path, ids.train, assumptions_file)
    out = tmp_path / "README.md"
    result = report(
        capsys,
        ids.path,
        ids.train,
        "--format",
        "model-card",
        "--out",
        str(out),
        "--assumptions",
        str(assumptions_file),
    )
    assert result.code == 0, result.err
    text = read(out)
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    co2 = front["co2_eq_emissions"]
    assert set(co2) == {
        "emissions",
        "source",
        "training_type",
        "geographical_location",
        "hardware_used",
    }
    assert co2["emissions"] == pytest.approx(1000 * expected["operational_kgco2e"], rel=1e-12)
    assert co2["training_type"] == "pre-training"
    assert co2["geographical_location"] == "FRA"
    assert "A100" in co2["hardware_used"]
    assert "## Environmental Impact" in text and "- **Carbon Emitted:**" in text
    # the Hub's own reader agrees
    from huggingface_hub import ModelCard

    card = ModelCard.load(out)
    assert card.data.co2_eq_emissions["emissions"] == co2["emissions"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a RUN_ID or --project"),
        (("a1a1a1a1", "--project", "x"), "not both"),
        (("a1a1a1a1", "--since", "2026-01-01"), "--since/--until"),
        (("a1a1a1a1", "--out", "x.md"), "--format is required"),
        (("a1a1a1a1", "--format", "md"), "--out is required"),
        (
            ("--project", "paper-2026", "--since", "March", "--format", "md", "--out", "x.md"),
            "--since",
        ),
        (("d4d4d4d4", "--format", "md", "--out", "x.md"), "no energy entries"),
        (("--project", "nope", "--format", "md", "--out", "x.md"), "--project 'nope'"),
        (("a1a1a1a1", "--format", "md", "--out", "no/such/dir/x.md"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: Any,
    report_ledger: FixtureIds,
    tmp_path: Path,
    monkeypatch: Any,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = report(capsys, report_ledger.path, *args)
    assert result.code == 2, result
    assert result.err.startswith("ecoledger: error: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.md").exists()


def test_out_is_never_overwritten_without_force(
    capsys: Any, tmp_path: Path, report_ledger: FixtureIds
) -> None:
    out = tmp_path / "r.md"
    out.write_text("my notes\n", encoding="utf-8")
    result = report(
        capsys, report_ledger.path, report_ledger.train, "--format", "md", "--out", str(out)
    )
    assert result.code == 2 and "--force" in result.err
    assert read(out) == "my notes\n"
    forced = report(
        capsys,
        report_ledger.path,
        report_ledger.train,
        "--format",
        "md",
        "--out",
        str(out),
        "--force",
    )
    assert forced.code == 0 and read(out).startswith("# Carbon report: run bert-pretrain")


def test_importing_accounting_reports_stays_light() -> None:
    import sys

    code = (
        "import sys, accounting, accounting.reports, accounting.reports.content\n"
        "print(','.join(m for m in ('plotly', 'kaleido', 'playwright') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
