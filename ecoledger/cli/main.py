"""The ``ecoledger`` command. Each sub-command lives in its own module with ``register()``.

Only the module of the command being run is imported: ``ecoledger runs`` does not load the
assessment, the meter or the report code, and ``ecoledger --help`` loads none of them (it is
drawn from ``command_table.COMMANDS``, the table every module's ``register()`` reads too).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ecoledger.cli.command_table import top_level

EXIT_BAD_INPUT = 2  # as ecoledger.cli.common, which this module does not import until needed

COMMANDS = top_level()
COMMAND_MODULES = tuple(dict.fromkeys(text.module for text in COMMANDS.values()))


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"ecoledger: error: {message}\n")


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from ecoledger import __version__

        print(f"ecoledger {__version__}")
        parser.exit(0)


def _top_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[_Parser]]:
    parser = _Parser(
        prog="ecoledger",
        description="Meter ML jobs, price their energy, carbon and water, and weigh them against benefits.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser, sub


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI (every module imported), or only ``command``'s module when given."""
    parser, sub = _top_parser()
    modules = [COMMANDS[command].module] if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def help_parser() -> argparse.ArgumentParser:
    """``ecoledger --help`` without importing any command: its commands and their help."""
    parser, sub = _top_parser()
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text.help, add_help=False)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    return argv[0] if argv and argv[0] in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    if command is None and (not argv or argv[0] in ("-h", "--help", "--version")):
        parser = help_parser()
    else:
        parser = build_parser(command)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from ecoledger.cli.common import run_handler

    return run_handler(handler, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
