"""`ecoledger benefit add RUN_ID`: declare a run's social or environmental benefit.

    ecoledger benefit add 1a2b3c4d --per-request 0.002 \
        --rationale "support tickets answered" --source "helpdesk cost study 2024"
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from accounting.assessment.settings import MAX_INPUT
from accounting.entries import Benefit
from ecoledger.cli.common import (
    EXIT_OK,
    add_command,
    add_ledger_arg,
    fail,
    open_cli_ledger,
    print_json,
)
from ecoledger.cli.text import recordable

_KINDS = {
    "social": ("social", "lump_sum", "USD"),
    "per_request": ("social", "per_request", "USD"),
    "per_token": ("social", "per_token", "USD"),
    "per_item": ("social", "per_item", "USD"),
    "avoided_kgco2e": ("environmental", "lump_sum", "kgCO2e"),
}


def register(sub: Any) -> None:
    benefit = add_command(sub, "benefit")
    actions = benefit.add_subparsers(dest="benefit_command", metavar="ACTION")
    add = add_command(actions, "benefit add")
    add.add_argument("run_id", metavar="RUN_ID", help="run id or a prefix of ≥ 8 characters")
    what = add.add_mutually_exclusive_group(required=True)
    what.add_argument("--social", metavar="USD", help="lump-sum social benefit, USD")
    what.add_argument("--per-request", metavar="USD", help="USD per request (Usage counts)")
    what.add_argument("--per-token", metavar="USD", help="USD per token (Usage counts)")
    what.add_argument("--per-item", metavar="USD", help="USD per item (Usage counts)")
    what.add_argument("--avoided-kgco2e", metavar="KG", help="avoided emissions, kgCO2e")
    add.add_argument("--rationale", required=True, metavar="TEXT", help="why this is a benefit")
    add.add_argument("--source", required=True, metavar="TEXT", help="where the figure comes from")
    add.add_argument("--json", action="store_true", help="print the recorded entry as JSON")
    add_ledger_arg(add)
    add.set_defaults(handler=_add)
    benefit.set_defaults(
        handler=lambda args: fail("benefit: give an action: benefit add RUN_ID ...")
    )


def _add(args: argparse.Namespace) -> int:
    key = next(k for k in _KINDS if getattr(args, k) is not None)
    option = "--" + key.replace("_", "-")
    try:
        amount = float(getattr(args, key))
    except ValueError:
        fail(f"{option}: must be a number, got {getattr(args, key)!r}")
    if not math.isfinite(amount) or not 0 <= amount <= MAX_INPUT:
        fail(f"{option}: must be a finite number from 0 to {MAX_INPUT:g}, got {getattr(args, key)}")
    if not args.rationale.strip():
        fail("--rationale: must not be empty")
    if not args.source.strip():
        fail("--source: must not be empty")
    benefit_kind, basis, unit = _KINDS[key]
    with open_cli_ledger(args, create=False) as ledger:
        run_id = ledger.resolve_run(args.run_id)
        entry = Benefit(
            run_id=run_id,
            benefit_kind=benefit_kind,  # type: ignore[arg-type]
            basis=basis,  # type: ignore[arg-type]
            usd=amount if unit == "USD" else None,
            avoided_kgco2e=amount if unit == "kgCO2e" else None,
            rationale=recordable(args.rationale.strip()),
            reference=recordable(args.source.strip()),
        )
        ledger.append([entry])
    if args.json:
        print_json(entry.model_dump(mode="json"))
    else:
        what = f"{amount:g} {unit}" + ("" if basis == "lump_sum" else f" {basis.replace('_', ' ')}")
        print(f"recorded {benefit_kind} benefit {what} for run {run_id}")
        print(entry.id)
    return EXIT_OK
