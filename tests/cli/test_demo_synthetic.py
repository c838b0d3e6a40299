"""``ecoledger demo --synthetic DAYS --gpus N --runs R``: a made-up ledger written through
the normal ledger API, labelled synthetic in every output, with bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accounting.assessment import AssumptionSettings
from accounting.reports import Scope, gather
from accounting.reports.html import render_html
from accounting.reports.json_report import render_json
from accounting.reports.latex import render_latex
from accounting.reports.markdown import render_markdown
from accounting.reports.model_card import render_model_card
from accounting.runs import load_run
from accounting.store import open_ledger
from accounting.synthetic import SyntheticSpec, write_synthetic
from tests.cli.helpers import cli

END = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def training_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """2.4 hours of one 2-GPU training run, sampled every 10 s and flushed every minute."""
    path = tmp_path_factory.mktemp("synthetic") / "train.db"
    spec = SyntheticSpec(days=0.1, gpus=2, runs=1, sample_hz=0.1, flush_s=60.0, end=END)
    with open_ledger(str(path)) as ledger:
        summary = write_synthetic(ledger, spec)
    return path, summary.run_ids[0]


def test_the_cli_writes_labelled_runs_with_progress(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    made = cli(
        capsys, "demo", "--synthetic", "0.001", "--gpus", "2", "--runs", "3", "--ledger", str(path)
    )
    assert made.code == 0, made.err
    assert "SYNTHETIC" in made.out and "100 % written" in made.err
    runs = cli(capsys, "runs", "--json", "--ledger", str(path)).json()
    assert len(runs) == 3 and all(run["synthetic"] is True for run in runs)
    assert sorted(run["kind"] for run in runs) == ["inference", "inference", "training"]
    training = next(run for run in runs if run["kind"] == "training")
    text = cli(capsys, "runs", "--ledger", str(path)).out
    assert text.count("[synthetic]") == 3
    for run in runs:
        shown = cli(capsys, "show", run["run_id"], "--json", "--ledger", str(path)).json()
        assert shown["synthetic"] is True
        if run["kind"] == "inference":
            assert shown["parent_run_id"] == training["run_id"]
            assert shown["usage"]["requests"] > 0
    assert cli(capsys, "show", training["run_id"], "--ledger", str(path)).out.startswith(
        "SYNTHETIC"
    )
    assert cli(capsys, "verify", "--ledger", str(path)).code == 0


def test_a_measured_run_is_not_labelled(capsys: Any, two_run_ledger: Path) -> None:
    runs = cli(capsys, "runs", "--json", "--ledger", str(two_run_ledger)).json()
    assert runs and all("synthetic" not in run for run in runs)
    shown = cli(capsys, "show", runs[0]["run_id"], "--json", "--ledger", str(two_run_ledger))
    assert "synthetic" not in shown.json()


def test_the_training_run_holds_what_a_long_run_holds(training_ledger: tuple[Path, str]) -> None:
    path, run_id = training_ledger
    with open_ledger(str(path), create=False) as ledger:
        view = load_run(ledger, run_id)
        series = ledger.power_series(run_id)
    assert view.synthetic and view.status == "completed" and view.duration_s == 8640.0
    assert {w.key for w in view.windows} == {"phase:warmup", "phase:train", "phase:eval"}
    codes = {(p.code, p.device_id[-14:] if p.device_id else None) for p in view.problems}
    assert ("counter_reset", "0000-synthetic") in codes
    assert ("device_lost", "0001-synthetic") in codes
    gpu0, gpu1 = sorted(view.devices, key=lambda d: d.device_id)
    assert gpu0.approximated and not gpu1.approximated  # the reset segment is bridged
    assert gpu0.metered_s == 8640.0
    assert gpu1.metered_s == pytest.approx(0.7 * 8640.0, abs=60.0)  # lost at 70 %, 1 flush
    # one GPU at 615 W for 8,640 s would be 5.31 MJ; the other stops at 70 %, and the
    # warm-up, data-loading dips and evals are lower: between 0.7 and 1 of that, times 1.7
    assert 0.7 * 1.7 * 5.3136e6 < view.energy_it_j < 1.7 * 5.3136e6
    gpu1_series = next(s for s in series if s.device_id.endswith("0001-synthetic"))
    last_t = gpu1_series.t_s[-1] - END.timestamp() + 8640.0  # seconds into the run
    assert last_t <= 0.7 * 8640.0 + 60.0


def test_every_report_format_says_synthetic(training_ledger: tuple[Path, str]) -> None:
    path, run_id = training_ledger
    with open_ledger(str(path), create=False) as ledger:
        content = gather(ledger, Scope(kind="run", run_id=run_id), AssumptionSettings()).content
    assert content.title.startswith("Carbon report (SYNTHETIC, not measured)")
    assert content.statement.startswith("SYNTHETIC DATA: every figure below was made up")
    for render in (render_markdown, render_html, render_latex, render_model_card):
        assert "SYNTHETIC DATA" in render(content), render.__name__
    assert '"synthetic": true' in render_json(content)
    card = render_model_card(content)
    assert "SYNTHETIC, not measured" in card.split("---")[1]  # the metadata's source
    assert "were measured with ecoledger" not in card


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--synthetic", "0"], "--synthetic must be > 0"),
        (["--synthetic", "week"], "--synthetic must be a number"),
        (["--synthetic", "400"], "days: must be in (0, 366]"),
        (["--synthetic", "1", "--gpus", "0"], "--gpus must be ≥ 1"),
        (["--synthetic", "1", "--gpus", "100"], "gpus: must be in [1, 64]"),
        (["--synthetic", "1", "--runs", "2.5"], "--runs must be a whole number"),
        (["--synthetic", "0.0001", "--runs", "1000"], "runs: 1000 runs in 0.0001 days"),
        (["--gpus", "2"], "--gpus: only with --synthetic DAYS"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_ledger(
    capsys: Any, tmp_path: Path, argv: list[str], needle: str
) -> None:
    path = tmp_path / "never.db"
    result = cli(capsys, "demo", *argv, "--ledger", str(path))
    assert result.code == 2
    assert needle in result.err and len(result.err.strip().splitlines()) == 1
    assert not path.exists()
