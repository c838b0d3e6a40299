"""Shared pieces of the CLI: the --ledger option, opening the store, errors → exit codes.

Each command opens the store, calls one or two library functions, and turns library
errors into one clean line on stderr: exit 2 for bad input, 1 for a failed check.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from accounting.errors import EcoledgerError, InputError, LedgerError
from ecoledger.cli.command_table import COMMANDS

if TYPE_CHECKING:
    from accounting.store import Ledger

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

Handler = Callable[[argparse.Namespace], int]

Option = tuple[str, Callable[[str], Callable[[str], Any]] | None, str, str | None]
"""An option as a table row: flag, type factory (given the flag, so errors name it), metavar,
help."""


def add_options(group: Any, options: Sequence[Option]) -> None:
    """Add each table row to an argparse parser, group or mutually exclusive group."""
    for flag, kind, metavar, help_text in options:
        group.add_argument(flag, type=kind(flag) if kind else None, metavar=metavar, help=help_text)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    raise CliError(message, code)


def add_command(sub: Any, name: str) -> argparse.ArgumentParser:
    """The parser of command NAME (a key of ``command_table.COMMANDS``: ``"runs"``, or
    ``"benefit add"`` under ``benefit``), with its help, description and examples from that
    row; its first option is ``--ledger`` when the row says so."""
    text = COMMANDS[name]
    parser: argparse.ArgumentParser = sub.add_parser(
        name.rsplit(" ", 1)[-1],
        help=text.help,
        description=text.description,
        epilog=text.examples,
        formatter_class=argparse.RawDescriptionHelpFormatter
        if text.raw
        else argparse.HelpFormatter,
    )
    if text.ledger_first:
        add_ledger_arg(parser)
    return parser


NumberOption = tuple[str, Callable[[str], Any], Any, str, str]
"""A number option as a table row: flag, parser, default, metavar, help."""


def add_number_options(parser: argparse.ArgumentParser, options: Sequence[NumberOption]) -> None:
    for flag, parse, default, metavar, help_text in options:
        parser.add_argument(flag, type=parse, default=default, metavar=metavar, help=help_text)


def add_ledger_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="URL_OR_PATH",
        default=None,
        help="ledger file or postgresql:// URL (default: $ECOLEDGER_LEDGER, else ./ecoledger.db)",
    )


def add_gpus_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gpus",
        default=None,
        metavar="LIST",
        help="GPUs to meter, as NVML indices or UUIDs, e.g. 0,2 (default: CUDA_VISIBLE_DEVICES)",
    )


def open_cli_ledger(
    args: argparse.Namespace,
    *,
    create: bool = True,
    on_unreachable: Callable[[LedgerError], None] | None = None,
) -> Ledger:
    from accounting.store import open_ledger  # SQLAlchemy: only for commands that open one

    return open_ledger(getattr(args, "ledger", None), create=create, on_unreachable=on_unreachable)


def warn_if_unverified(ledger: Ledger, run_ids: Sequence[str | None] = ()) -> str | None:
    """One warning line on stderr when the ledger's chain does not verify (an incremental,
    cheap check, plus every row of the runs shown); returns it (None when intact)."""
    from accounting.store.checkpoint import chain_warning

    warning = chain_warning(ledger, [run_id for run_id in run_ids if run_id])
    if warning:
        print(f"ecoledger: warning: {warning}", file=sys.stderr)
    return warning


def checked_float(name: str, ok: Callable[[float], bool], rule: str) -> Callable[[str], float]:
    """An argparse type: a finite number for which ``ok`` holds, else an error that names the
    option and states ``rule`` (``> 0``, ``≥ 0``...)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or not ok(value):
            raise argparse.ArgumentTypeError(f"{name} must be {rule}, got {text!r}")
        return value

    return parse


def positive_float(name: str) -> Callable[[str], float]:
    """An argparse type: a finite number > 0, with an error that names the option."""
    return checked_float(name, lambda value: value > 0, "> 0")


def bounded_float(
    name: str, low: float, high: float, unit: str, *, zero: bool = False
) -> Callable[[str], float]:
    """An argparse type: a number in [low, high] (> 0, or ≥ 0 with ``zero``), with an error
    naming the option."""
    parse_number = (non_negative_float if zero else positive_float)(name)

    def parse(text: str) -> float:
        value = parse_number(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low:g} and {high:g} {unit}, got {text!r}"
            )
        return value

    return parse


def whole_number(name: str, *, bound: str = "≥ 1") -> Callable[[str], int]:
    """An argparse type: a whole number ≥ 1, with an error that names the option (``bound``:
    how that error states the limit)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be {bound}, got {text!r}")
        return value

    return parse


def non_negative_float(name: str) -> Callable[[str], float]:
    return checked_float(name, lambda value: value >= 0, "≥ 0")


def print_json(data: Any) -> None:
    """JSON on stdout; never NaN or Infinity (they are not JSON): a clear error instead."""
    try:
        text = json.dumps(data, indent=2, sort_keys=False, default=str, allow_nan=False)
    except ValueError:
        fail("the result is not a finite number: an input is too large (see --help for bounds)")
    sys.stdout.write(text + "\n")


def error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    from accounting.store.masking import (
        mask_url,
    )  # not at import: accounting.store loads SQLAlchemy
    from ecoledger.cli.flags import with_flags
    from ecoledger.cli.text import term

    return term(with_flags(mask_url(text)))


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except CliError as exc:
        print(f"ecoledger: error: {error_line(exc)}", file=sys.stderr)
        return exc.code
    except InputError as exc:
        print(f"ecoledger: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EcoledgerError as exc:
        print(f"ecoledger: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("ecoledger: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("ECOLEDGER_DEBUG"):
            raise
        print(
            f"ecoledger: internal error: {exc.__class__.__name__}: {error_line(exc)} "
            "(set ECOLEDGER_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
