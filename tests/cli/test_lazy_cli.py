"""The CLI imports only what the command needs: ``--help`` no store, no pydantic; ``runs`` and
``show`` no assessment engine, meter, torch or plotting. (Speed itself is measured by
benchmarks/cli_latency.py; here, which modules load, which is deterministic.)"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from ecoledger.cli.main import COMMANDS, build_parser, help_parser
from tests.cli.helpers import REPO
from tests.fixtures.report_ledger import build_report_ledger

NEVER_FOR_LISTING = ("torch", "numpy", "plotly", "streamlit", "kaleido", "meter", "train_hooks")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {c.dest: c.help or "" for c in action._choices_actions}
    return {}


def test_the_command_table_is_what_the_modules_register() -> None:
    registered = _subcommands(build_parser())
    table = {name: text.help for name, text in COMMANDS.items()}
    assert table == registered, "update ecoledger/cli/command_table.py"
    assert list(table) == list(registered)  # same order in --help
    for name in COMMANDS:  # each row names the module that registers it
        assert name in _subcommands(build_parser(name)), name


def test_top_level_help_is_the_full_parsers() -> None:
    assert help_parser().format_help() == build_parser().format_help()


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from ecoledger.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.flush()\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def _tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_loads_no_store() -> None:
    tops = _tops(_modules_after(["--help"]))
    assert not tops & {"sqlalchemy", "pydantic", *NEVER_FOR_LISTING}, tops


@pytest.mark.parametrize("command", ["runs", "show"])
def test_runs_and_show_load_no_assessment_meter_or_plotting(command: str, tmp_path: Path) -> None:
    ids = build_report_ledger(tmp_path / "ledger.db")
    argv = [command, "--ledger", str(ids.path)]
    if command == "show":
        argv.insert(1, ids.train)
    modules = _modules_after(argv)
    loaded = _tops(modules) & set(NEVER_FOR_LISTING)
    if command == "runs":
        assert not loaded, loaded
        assert "accounting.assessment" not in modules
    else:  # show prints the run's assessment: numpy, but still no meter, torch or plots
        assert not loaded - {"numpy"}, loaded


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib
    from importlib.metadata import version

    from ecoledger.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert capsys.readouterr().out.strip() == f"ecoledger {project['version']}"
    assert version("ecoledger") == project["version"]
