"""``ecoledger run [options] -- CMD [ARGS...]``: run a command as a child and meter it.
Parsing and printing only: the supervision is :func:`train_hooks.supervised_run.run_supervised`.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from accounting.store.location import mask_url
from ecoledger.cli.common import (
    add_command,
    add_gpus_arg,
    add_number_options,
    fail,
    open_cli_ledger,
)
from ecoledger.cli.live import LiveLine, print_summary
from ecoledger.cli.redact import redact_command
from ecoledger.cli.run_options import (
    SUPERVISION_OPTIONS,
    add_run_options,
    live_intensity_g_per_kwh,
    run_started_fields,
)
from ecoledger.cli.text import recordable, term


def register(sub: Any) -> None:
    p = add_command(sub, "run")
    add_run_options(p)
    add_gpus_arg(p)
    add_number_options(p, SUPERVISION_OPTIONS)
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    p.set_defaults(handler=handle)


def _warn(message: str) -> None:
    print(f"ecoledger: warning: {message}", file=sys.stderr)


def _on_unreachable(exc: Exception) -> None:
    """A PostgreSQL server down now does not stop the job (bad input still fails first)."""
    _warn(
        f"{mask_url(str(exc))}; the job runs, and its record is kept locally until the "
        "ledger can be written"
    )


def handle(args: argparse.Namespace) -> int:
    from train_hooks.supervised_run import CommandNotStarted, SupervisedRunOptions, run_supervised

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        fail("run: no command given (usage: ecoledger run [options] -- CMD [ARGS...])")
    command = redact_command([recordable(a) for a in cmd])
    if args.name is None:
        # the default name is the command: never its secrets
        args.name = " ".join(command).strip("- ")[:120] or "run"
    options = SupervisedRunOptions(
        cmd=tuple(cmd),
        command=tuple(command),
        fields=run_started_fields(args),
        gpus=args.gpus,
        sample_hz=args.sample_hz,
        flush_interval_s=args.flush_interval,
        kill_after_s=args.kill_after,
    )
    ledger = open_cli_ledger(args, on_unreachable=_on_unreachable)
    try:
        result = run_supervised(
            ledger,
            options,
            warn=_warn,
            live=lambda recorder: LiveLine(recorder, live_intensity_g_per_kwh(args)),
            printable=term,
        )
    except CommandNotStarted as exc:
        ledger.close()
        fail(f"run: cannot start {cmd[0]!r}: {exc}")
    if not result.started:
        name = signal.Signals(result.exit_code - 128).name
        print(f"ecoledger: interrupted ({name}) before the job started", file=sys.stderr)
    if result.pending or not result.started:  # the ledger may not be readable: the id only
        print(result.run_id)
    else:
        print_summary(ledger, result.run_id)
    ledger.close()
    return result.exit_code
