"""``ecoledger export`` and ``ecoledger import``: entries out to CSV/Parquet/JSON Lines, and a
JSON Lines export back in (only when it continues the ledger's chain)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accounting.store.transfer import EXPORT_FORMATS, export_entries, import_jsonl
from ecoledger.cli.common import EXIT_OK, add_command, open_cli_ledger, print_json


def register(sub: Any) -> None:
    export = add_command(sub, "export")
    export.add_argument(
        "--run", metavar="RUN_ID", default=None, help="only this run (id or prefix)"
    )
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True, help="file format")
    export.add_argument(
        "--out", metavar="PATH", required=True, help="output file ('-': stdout, csv/jsonl only)"
    )
    export.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    export.add_argument("--json", action="store_true", help="print a JSON summary")
    export.set_defaults(handler=handle_export)

    imp = add_command(sub, "import")
    imp.add_argument("file", metavar="FILE.jsonl", help="a JSON Lines export")
    imp.add_argument(
        "--rechain",
        action="store_true",
        help="append the entries after this ledger's head with new hashes (keeps their ids)",
    )
    imp.add_argument("--json", action="store_true", help="print a JSON summary")
    imp.set_defaults(handler=handle_import)


def handle_export(args: argparse.Namespace) -> int:
    with open_cli_ledger(args, create=False) as ledger:
        run_id = ledger.resolve_run(args.run) if args.run else None
        result = export_entries(ledger, args.out, args.format, run_id=run_id, force=args.force)
    summary = {"out": result.path, "format": result.format, "entries": result.entries}
    summary["run_id"] = result.run_id
    if args.json and args.out != "-":
        print_json(summary)
    else:
        where = "stdout" if args.out == "-" else args.out
        print(f"exported {result.entries} entries to {where} ({result.format})", file=sys.stderr)
    return EXIT_OK


def handle_import(args: argparse.Namespace) -> int:
    with open_cli_ledger(args) as ledger:
        result = import_jsonl(ledger, args.file, rechain=args.rechain)
        shown = ledger.display
    if args.json:
        print_json(
            {
                "ledger": shown,
                "read": result.read,
                "written": result.written,
                "skipped": result.skipped,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
            }
        )
    else:
        print(
            f"imported {result.written} entries into {shown} ({result.skipped} already there); "
            f"head {result.head_seq}:{result.head_hash}"
        )
    return EXIT_OK
