"""``ecoledger verify``: recompute the ledger's hash chain (and, optionally, check a report)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from accounting.store import Anchor, verify
from accounting.store.checkpoint import save_mark
from accounting.store.verify import repair_triggers
from ecoledger.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_command,
    fail,
    open_cli_ledger,
    print_json,
)


def register(sub: Any) -> None:
    parser = add_command(sub, "verify")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        type=_anchor,
        default=None,
        help="also require this hash at this seq (a head recorded earlier, e.g. in a report)",
    )
    parser.add_argument(
        "--report",
        metavar="REPORT.json",
        default=None,
        help="also check that a JSON report's figures match this ledger",
    )
    parser.add_argument(
        "--repair-triggers",
        action="store_true",
        help="re-create the append-only triggers and seq constraints if they were dropped, "
        "then verify",
    )
    parser.set_defaults(handler=handle)


def _anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("`anchor`: ")) from None


def _check_report(ledger: Any, path: str) -> Any:
    if not Path(path).is_file():
        fail(f"--report: no such file: {path}")
    try:
        from accounting.reports.verify_report import verify_report
    except ImportError:
        fail("--report: report verification is not available in this version of ecoledger")
    return verify_report(ledger, path)


def handle(args: argparse.Namespace) -> int:
    with open_cli_ledger(args, create=False) as ledger:
        repaired = repair_triggers(ledger) if args.repair_triggers else []
        result = verify(ledger, anchor=args.anchor)
        if result.ok:
            save_mark(ledger, result.head_seq, result.head_hash)
        report = _check_report(ledger, args.report) if args.report else None
    ok = result.ok and (report is None or bool(report.ok))
    if args.json:
        data: dict[str, Any] = {"ledger": ledger.display, **result.as_dict()}
        if report is not None:
            data["report"] = {"path": args.report, "ok": bool(report.ok), "message": report.message}
        data["ok"] = ok
        if args.repair_triggers:
            data["repaired_triggers"] = repaired
        print_json(data)
    else:
        if args.repair_triggers:
            print(
                f"re-created: {', '.join(repaired)}"
                if repaired
                else "append-only triggers: all present, nothing to repair"
            )
        print(result.message)
        if report is not None:
            print(f"report {args.report}: {'OK' if report.ok else 'MISMATCH'}: {report.message}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED
