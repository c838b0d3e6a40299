"""The ``ecoledger`` command. Each sub-command lives in its own module with ``register()``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ecoledger.cli.common import EXIT_BAD_INPUT, run_handler

COMMAND_MODULES = (
    "ecoledger.cli.cmd_run",
    "ecoledger.cli.cmd_runs",
    "ecoledger.cli.cmd_demo",
    "ecoledger.cli.cmd_sources",
    "ecoledger.cli.cmd_assess",
    "ecoledger.cli.cmd_benefit",
    "ecoledger.cli.cmd_verify",
    "ecoledger.cli.cmd_export",
    "ecoledger.cli.cmd_ledger",
    "ecoledger.cli.cmd_dashboard",
    "ecoledger.cli.cmd_report",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"ecoledger: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from ecoledger import __version__

    parser = _Parser(
        prog="ecoledger",
        description="Meter ML jobs, price their energy, carbon and water, and weigh them against benefits.",
    )
    parser.add_argument("--version", action="version", version=f"ecoledger {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return run_handler(handler, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
