"""``ecoledger ledger copy SRC DST``: move a ledger (e.g. a laptop's SQLite file into the
team's PostgreSQL), keeping seq, ids and hashes, verifying both sides."""

from __future__ import annotations

import argparse
from typing import Any

from accounting.store import mask_url, open_ledger
from accounting.store.location import ledger_location, sqlalchemy_url
from accounting.store.transfer import copy_ledger
from ecoledger.cli.common import EXIT_OK, add_command, fail, print_json


def register(sub: Any) -> None:
    ledger = add_command(sub, "ledger")
    actions = ledger.add_subparsers(dest="ledger_command", metavar="ACTION")
    copy = add_command(actions, "ledger copy")
    copy.add_argument("source", metavar="SRC_URL", help="the ledger to copy from")
    copy.add_argument("destination", metavar="DST_URL", help="the ledger to copy into")
    copy.add_argument("--json", action="store_true", help="print a JSON summary")
    copy.set_defaults(handler=handle_copy)
    ledger.set_defaults(handler=lambda _args: fail("ledger: give an action, e.g. 'ledger copy'"))


def handle_copy(args: argparse.Namespace) -> int:
    src, dst = ledger_location(args.source), args.destination
    if sqlalchemy_url(src) == sqlalchemy_url(dst):
        fail("ledger copy: SRC and DST are the same ledger")
    with open_ledger(src, create=False) as source, open_ledger(dst) as destination:
        result = copy_ledger(source, destination)
        shown_src, shown_dst = source.display, destination.display
    if args.json:
        print_json(
            {
                "source": shown_src,
                "destination": mask_url(shown_dst),
                "copied": result.copied,
                "skipped": result.skipped,
                "head_seq": result.destination.head_seq,
                "head_hash": result.destination.head_hash,
                "verified": result.destination.ok,
            }
        )
    else:
        print(
            f"copied {result.copied} entries ({result.skipped} already there) from {shown_src} "
            f"to {shown_dst}; destination verified: head "
            f"{result.destination.head_seq}:{result.destination.head_hash}"
        )
    return EXIT_OK
