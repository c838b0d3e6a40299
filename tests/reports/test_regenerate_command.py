"""The command that regenerates a report: the library gives the fields, each command line
names them (the CLI's flags; the dashboard mirrors them), so no flag is spelled in the library."""

from __future__ import annotations

from pathlib import Path

from accounting.reports.facts import Scope
from accounting.reports.generate import ReportRequest
from dashboard.ui import cli_option
from ecoledger.cli.flags import flag


def test_a_project_report_command_names_every_field_as_the_cli_flag() -> None:
    request = ReportRequest(
        Scope("project", project="nlp", since="2026-01-01", until="2026-03-31"),
        "latex",
        Path("out dir/paper.tex"),
        "ledger.db",
        assumptions="team.toml",
        figures=Path("figs"),
        shared_gpu="attribute",
    )
    expected = (
        "ecoledger report --project nlp --since 2026-01-01 --until 2026-03-31 --format latex "
        "--assumptions team.toml --shared-gpu attribute --out 'out dir/paper.tex' "
        "--figures figs --ledger ledger.db --force"
    )
    assert request.command_line(flag) == expected
    assert request.command_line(cli_option) == expected  # the dashboard says the same


def test_a_run_report_command_has_the_run_and_only_the_fields_given() -> None:
    request = ReportRequest(Scope("run", run_id="f1e00000"), "md", Path("r.md"), "ledger.db")
    assert request.command_line(flag) == (
        "ecoledger report f1e00000 --format md --out r.md --ledger ledger.db --force"
    )
