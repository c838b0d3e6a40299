"""Options shared by the commands that open a run (``run``, ``demo``)."""

from __future__ import annotations

import argparse
from typing import Any

from accounting.entries import RUN_KINDS
from ecoledger.cli.common import NumberOption, bounded_float, checked_float, whole_number
from ecoledger.cli.text import name_value, recordable
from train_hooks.supervisor import DEFAULT_KILL_AFTER_S

SAMPLE_HZ_RANGE = (0.001, 100.0)
FLUSH_INTERVAL_RANGE_S = (0.05, 60.0)
KILL_AFTER_RANGE_S = (0.0, 3600.0)


# ``ecoledger run``'s own number options: sampling, flushing, and the grace after a signal
SUPERVISION_OPTIONS: tuple[NumberOption, ...] = (
    (
        "--sample-hz",
        bounded_float("--sample-hz", *SAMPLE_HZ_RANGE, "Hz"),
        1.0,
        "HZ",
        "power timeline sampling rate, 0.001 to 100 Hz (default 1)",
    ),
    (
        "--flush-interval",
        bounded_float("--flush-interval", *FLUSH_INTERVAL_RANGE_S, "s"),
        2.0,
        "S",
        "seconds between ledger writes, 0.05 to 60 (default 2)",
    ),
    (
        "--kill-after",
        bounded_float("--kill-after", *KILL_AFTER_RANGE_S, "s", zero=True),
        DEFAULT_KILL_AFTER_S,
        "S",
        "after a forwarded signal, SIGKILL the job if it still runs S seconds later "
        "(default 10; a second Ctrl-C kills at once)",
    ),
)


pue_value = checked_float("--pue", lambda value: value >= 1.0, "≥ 1 (facility energy / IT energy)")


def add_grid_options(p: argparse.ArgumentParser, *, country_help: str, pue_help: str) -> None:
    """``--country`` and ``--pue`` of a run, with the command's own help."""
    p.add_argument("--country", default=None, metavar="ISO3", help=country_help)
    p.add_argument("--pue", type=pue_value, default=None, metavar="X", help=pue_help)


def add_run_options(p: argparse.ArgumentParser, *, kind_default: str = "other") -> None:
    p.add_argument(
        "--name", type=name_value("--name"), default=None, help="run name (default: the command)"
    )
    p.add_argument(
        "--project",
        type=name_value("--project"),
        default=None,
        help="project the run belongs to",
    )
    p.add_argument("--kind", choices=RUN_KINDS, default=kind_default, help="what the run does")
    add_grid_options(
        p,
        country_help="where the energy was used, as an ISO 3166 alpha-3 code (e.g. FRA)",
        pue_help="data-centre PUE (default 1.58, Uptime Institute 2023)",
    )
    p.add_argument(
        "--trains-from",
        default=None,
        metavar="RUN_ID",
        help="the training run this inference run amortizes",
    )
    p.add_argument(
        "--expected-uses",
        type=whole_number("--expected-uses", bound="> 0"),
        default=None,
        metavar="N",
        help="expected number of uses of the model (for amortization)",
    )
    p.add_argument(
        "--tag",
        type=name_value("--tag"),
        action="append",
        default=[],
        metavar="TAG",
        help="a tag (repeatable)",
    )


def check_country(code: str) -> str:
    """The normalized code; an unknown one raises InputError naming --country, with near matches."""
    from accounting.factors import carbon_intensity

    code = code.strip().upper()
    carbon_intensity.for_country(code, field="country")
    return code


def run_started_fields(args: argparse.Namespace, ledger: Any | None = None) -> dict[str, Any]:
    """Validated RunStarted fields from the shared options (raises on bad input)."""
    country = check_country(args.country) if args.country else None
    name = args.name or (
        " ".join(recordable(a) for a in args.cmd).strip("- ")[:120]
        if getattr(args, "cmd", None)
        else "run"
    )
    parent = None
    if args.trains_from:
        if ledger is None:
            from ecoledger.cli.common import open_cli_ledger

            ledger = open_cli_ledger(args)
        parent = ledger.resolve_run(args.trains_from)
    return {
        "name": name,
        "project": args.project,
        "run_kind": args.kind,
        "country": country,
        "pue": args.pue,
        "parent_run_id": parent,
        "expected_uses": args.expected_uses,
        "tags": tuple(args.tag),
        "ecoledger_version": _version(),
    }


def _version() -> str:
    from ecoledger import __version__

    return __version__


def live_intensity_g_per_kwh(args: argparse.Namespace) -> float | None:
    """Carbon intensity for the live line (the assessment recomputes everything at the end)."""
    from accounting.factors import carbon_intensity

    try:
        factor = (
            carbon_intensity.for_country(args.country)
            if args.country
            else carbon_intensity.world_average()
        )
    except Exception:
        return None
    return float(factor.value)
