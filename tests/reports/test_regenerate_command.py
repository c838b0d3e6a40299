"""The command that regenerates a report: the library lists the fields, the caller's command
line names them (the CLI's flags; the dashboard mirrors them), so no flag is spelled in the
library."""

from __future__ import annotations

from pathlib import Path

from accounting.reports.facts import Scope
from accounting.reports.generate import regenerate_command
from dashboard.ui import cli_option
from ecoledger.cli.flags import flag


def test_a_project_report_command_names_every_field_as_the_cli_flag() -> None:
    scope = Scope("project", project="nlp", since="2026-01-01", until="2026-03-31")
    out, figures = Path("out dir/paper.tex"), Path("figs")
    fields = (scope, "latex", out, "ledger.db", "team.toml", figures, "attribute")
    expected = (
        "ecoledger report --project nlp --since 2026-01-01 --until 2026-03-31 --format latex "
        "--assumptions team.toml --shared-gpu attribute --out 'out dir/paper.tex' "
        "--figures figs --ledger ledger.db --force"
    )
    assert regenerate_command(*fields, option=flag) == expected
    assert regenerate_command(*fields, option=cli_option) == expected  # the dashboard agrees


def test_a_run_report_command_has_the_run_and_only_the_fields_given() -> None:
    scope = Scope("run", run_id="f1e00000")
    assert regenerate_command(scope, "md", Path("r.md"), "ledger.db", option=flag) == (
        "ecoledger report f1e00000 --format md --out r.md --ledger ledger.db --force"
    )
