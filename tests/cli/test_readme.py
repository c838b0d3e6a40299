"""The README documents every CLI command and option, and gives exactly two set-up commands."""

from __future__ import annotations

import argparse
import re

from ecoledger.cli.main import build_parser
from tests.cli.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    full = f"{prefix} {name}".strip()
                    found[full] = child
                    walk(child, full)

    walk(parser, "")
    return found


def test_every_command_is_in_the_readme() -> None:
    commands = _commands()
    assert {"run", "runs", "show", "demo"} <= set(commands)
    missing = [c for c in commands if f"ecoledger {c}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_option_is_in_the_readme() -> None:
    missing = []
    for name, parser in _commands().items():
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    if not re.search(re.escape(option) + r"(?![\w-])", README):
                        missing.append(f"{name} {option}")
    assert not missing, f"options missing from README.md: {missing}"


def test_readme_has_exactly_two_setup_commands() -> None:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", section, re.S)
    commands = [
        line for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert len(commands) == 2, commands
    assert "ecoledger demo" in commands[0]
    assert "scripts/test.sh" in commands[1]
