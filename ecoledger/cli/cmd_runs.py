"""``ecoledger runs`` (newest first) and ``ecoledger show RUN_ID``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accounting.run_list import DEFAULT_PAGE, list_run_page
from ecoledger.cli.common import (
    add_command,
    open_cli_ledger,
    print_json,
    warn_if_unverified,
    whole_number,
)
from ecoledger.cli.text import term


def register(sub: Any) -> None:
    p = add_command(sub, "runs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--project", default=None, help="only runs of this project")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--limit",
        metavar="N",
        type=whole_number("--limit"),
        default=DEFAULT_PAGE,
        help=f"show the newest N runs (default {DEFAULT_PAGE})",
    )
    shown.add_argument("--all", action="store_true", help="show every run")
    p.set_defaults(handler=handle_runs)

    s = add_command(sub, "show")
    s.add_argument("run_id", metavar="RUN_ID", help="run id, or a prefix of 8+ characters")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(handler=handle_show)


def handle_runs(args: argparse.Namespace) -> int:
    page = list_run_page(args.ledger, project=args.project, limit=None if args.all else args.limit)
    views = page.runs
    more = page.total - len(views)
    footer = (
        f"newest {len(views)} of {page.total} runs shown: --all lists every run, --limit N the newest N"
        if more > 0
        else ""
    )
    if args.json:
        print_json(
            [
                {
                    "run_id": v.run_id,
                    "name": v.name,
                    "project": v.project,
                    "kind": v.run_kind,
                    "status": v.status,
                    "started_at": v.started_at.isoformat(),
                    "duration_s": round(v.duration_s, 3),
                    "energy_it_kwh": v.energy_it_kwh,
                    **({"synthetic": True} if v.synthetic else {}),
                }
                for v in views
            ]
        )
        if footer:
            print(f"ecoledger: {footer}", file=sys.stderr)
        return 0
    if not views:
        print("no runs yet: try `ecoledger demo` or `ecoledger run -- python train.py`")
        return 0
    print(f"{'RUN ID':<10} {'STARTED':<20} {'STATUS':<15} {'KIND':<11} {'ENERGY Wh':>10}  NAME")
    for v in views:
        print(
            f"{v.run_id[:8]:<10} {v.started_at.strftime('%Y-%m-%d %H:%M:%S'):<20} {v.status:<15} "
            f"{v.run_kind:<11} {v.energy_it_kwh * 1000:10.3f}  {term(v.name)}"
            + ("  [synthetic]" if v.synthetic else "")
        )
    if footer:
        print(footer)
    return 0


def handle_show(args: argparse.Namespace) -> int:
    from ecoledger.cli.render import render_run_text, run_report

    with open_cli_ledger(args, create=False) as ledger:
        report = run_report(ledger, args.run_id)
        warn_if_unverified(ledger, [report["run_id"], report.get("parent_run_id")])
    if args.json:
        print_json(report)
    else:
        print(render_run_text(report), end="")
    return 0
