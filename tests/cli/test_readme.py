"""Docs that stay honest: the CLI page is generated from the parsers and documents every
command and option; the README is short, gives exactly two set-up commands, and its
quickstarts run as written; the MkDocs site builds in strict mode (a broken link fails)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ecoledger.cli.main import build_parser
from tests.cli.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CLI_PAGE = REPO / "docs" / "cli.md"
REGENERATE = "python scripts/gen_cli_docs.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> dict[str, argparse.ArgumentParser]:
    return dict(_generator().commands(build_parser()))


def test_cli_page_is_generated_from_the_parsers() -> None:
    expected = _generator().render(build_parser())
    actual = CLI_PAGE.read_text(encoding="utf-8")
    assert actual == expected, f"docs/cli.md is out of date with the parsers: run `{REGENERATE}`"


def test_every_command_and_option_is_on_the_cli_page() -> None:
    page = CLI_PAGE.read_text(encoding="utf-8")
    commands = _commands()
    assert {"run", "runs", "show", "demo", "report", "dashboard"} <= set(commands)
    missing = [c for c in commands if f"## ecoledger {c}\n" not in page]
    # each command's own section (up to the next command's heading): one command's --json
    # must not stand in for another's
    sections = dict(
        re.findall(r"^## ecoledger (.+?)\n(.*?)(?=^## ecoledger |\Z)", page, re.M | re.S)
    )
    for name, parser in commands.items():
        section = sections.get(name, "")
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    if not re.search(re.escape(option) + r"(?![\w-])", section):
                        missing.append(f"{name} {option}")
    assert not missing, f"missing from docs/cli.md (run `{REGENERATE}`): {missing}"


def test_readme_is_at_most_12_kb() -> None:
    assert len(README.encode("utf-8")) <= 12 * 1024


def test_readme_has_exactly_two_setup_commands() -> None:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", section, re.S)
    commands = [
        line for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert len(commands) == 2, commands
    assert "ecoledger demo" in commands[0]
    assert 'pip install "torch==2.13.0"' in commands[0] and "venv" in commands[0]
    assert commands[1] == "bash scripts/test.sh"


def test_readme_links_point_at_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert links
    assert [link for link in links if not (REPO / link).exists()] == []


def _quickstarts() -> list[str]:
    section = README.split("## Quickstarts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_readme_quickstart_ids_come_from_the_commands_output() -> None:
    blocks = _quickstarts()
    assert len(blocks) == 3
    text = "".join(blocks)
    assert not re.search(r"\b[0-9a-f]{8}\b", text), "a made-up run id in a quickstart"
    assert "RUN=$(ecoledger run" in blocks[0]
    (dashboard,) = blocks[1].strip().splitlines()
    args = build_parser().parse_args(shlex.split(dashboard)[1:])
    assert args.command == "dashboard"


@pytest.mark.slow
def test_readme_quickstarts_run_as_written(tmp_path: Path) -> None:
    """Quickstarts 1 and 3 in one bash session, in a folder with the repository's examples
    (the dashboard's server is tested in tests/dashboard)."""
    first, _, third = _quickstarts()
    (tmp_path / "examples").symlink_to(REPO / "examples")
    script = f'set -euo pipefail\n{first}\n{third}\necho "RUN=$RUN"\n'
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ECOLEDGER_LEDGER", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run_id = proc.stdout.strip().splitlines()[-1].removeprefix("RUN=")
    assert re.fullmatch(r"[0-9a-f]{32}", run_id), proc.stdout[-2000:]
    assert "run       tiny  [other, completed]" in proc.stdout  # what `show` printed
    assert run_id in (tmp_path / "carbon-report.md").read_text(encoding="utf-8")
    assert 'id="fig-power_timeline"' in (tmp_path / "carbon-report.html").read_text("utf-8")
    assert (tmp_path / "ecoledger.db").is_file()


@pytest.mark.slow
def test_docs_site_builds_strict(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "site" / "cli" / "index.html").is_file()
