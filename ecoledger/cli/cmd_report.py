"""``ecoledger report``: a carbon report of a run or a project, for a paper or a model card.

ecoledger report 1a2b3c4d --format latex --out appendix.tex --figures figs/
ecoledger report --project paper --since 2026-01-01 --format json --out paper.json
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from accounting.reports import FORMATS
from ecoledger.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_command,
    add_ledger_arg,
    fail,
    open_cli_ledger,
)
from ecoledger.cli.flags import flag


def register(sub: Any) -> None:
    p = add_command(sub, "report")
    p.add_argument(
        "run_id", nargs="?", metavar="RUN_ID", help="run id or a prefix of ≥ 8 characters"
    )
    p.add_argument("--project", metavar="P", default=None, help="report every run of project P")
    p.add_argument(
        "--since", metavar="DATE", default=None, help="project runs started on or after DATE"
    )
    p.add_argument(
        "--until", metavar="DATE", default=None, help="project runs started on or before DATE"
    )
    p.add_argument("--format", choices=FORMATS, default=None, help="report format")
    p.add_argument(
        "--assumptions",
        metavar="FILE",
        default=None,
        help="assumption settings (.toml, .yaml), as for ecoledger assess",
    )
    p.add_argument("--out", metavar="PATH", default=None, help="the report file to write")
    p.add_argument(
        "--figures",
        metavar="DIR",
        default=None,
        help="also write the figures as SVG, PDF and PNG into DIR",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="write the report even when the ledger does not verify (it then says so on its "
        "first page)",
    )
    p.add_argument(
        "--shared-gpu",
        choices=("whole", "attribute"),
        default=None,
        help="a GPU other processes used: charge it whole (default) or this run's estimated "
        "share, as for ecoledger assess",
    )
    p.add_argument("--schema", action="store_true", help="print the JSON report's schema and exit")
    add_ledger_arg(p)
    p.set_defaults(handler=handle)


def _check_args(args: argparse.Namespace) -> None:
    if args.run_id and args.project:
        fail("give RUN_ID or --project, not both")
    if not args.run_id and not args.project:
        fail("give a RUN_ID or --project P (or --schema)")
    if (args.since or args.until) and not args.project:
        fail("--since/--until select the runs of a --project")
    if args.format is None:
        fail(f"--format is required ({', '.join(FORMATS)})")
    if args.out is None:
        fail("--out is required: the report file to write")


class _Progress:
    """Progress lines on stderr (reports with figures): what is being done, and when."""

    def __init__(self, show: bool) -> None:
        self.start = time.monotonic()
        self.show = show

    def __call__(self, message: str) -> None:
        if self.show:
            elapsed = time.monotonic() - self.start
            print(f"  [{elapsed:5.1f} s] {message}", file=sys.stderr, flush=True)


def _scope_runs(ledger: Any, args: argparse.Namespace) -> list[str]:
    """The runs a report may show, whose every row the chain check reads: the run and the
    training run it amortizes, or every run of the project."""
    if args.run_id:
        run_id = ledger.resolve_run(args.run_id)
        parents = [e.parent_run_id for e in ledger.entries(run_id=run_id, kinds=["run_started"])]
        return [run_id, *(p for p in parents if p)]
    return [row.run_id for row in ledger.runs_index() if row.project == args.project]


def handle(args: argparse.Namespace) -> int:
    if args.schema:
        from accounting.reports.json_report import schema_text

        sys.stdout.write(schema_text())
        return EXIT_OK
    _check_args(args)
    from accounting.assessment import AssumptionSettings
    from accounting.reports.content import parse_when
    from accounting.reports.facts import Scope
    from accounting.reports.generate import write_report

    settings = (
        AssumptionSettings.from_file(args.assumptions) if args.assumptions else AssumptionSettings()
    )
    if args.shared_gpu:
        settings = settings.model_copy(update={"shared_gpu": args.shared_gpu})
    parse_when(args.since, "since", end_of_day=False)
    parse_when(args.until, "until", end_of_day=True)
    progress = _Progress(show=args.format in ("html", "pdf") or args.figures is not None)
    with open_cli_ledger(args, create=False) as ledger:
        from accounting.store.checkpoint import check_chain, save_mark

        chain = check_chain(ledger, _scope_runs(ledger, args), save=False)  # mark: once written
        unverified = None if chain.ok else chain.message.removeprefix("ledger BROKEN ")
        if unverified and not args.allow_unverified:
            fail(
                f"report: the ledger does not verify ({unverified}); run `ecoledger verify`, "
                "or pass --allow-unverified for a report that says so",
                EXIT_CHECK_FAILED,
            )
        if unverified:
            print(f"ecoledger: warning: the ledger does not verify ({unverified})", file=sys.stderr)
        if args.run_id:
            scope = Scope("run", run_id=ledger.resolve_run(args.run_id))
        else:
            scope = Scope("project", project=args.project, since=args.since, until=args.until)
        result = write_report(
            ledger,
            scope,
            args.format,
            args.out,
            settings=settings,
            assumptions_file=args.assumptions,
            figures_dir=args.figures,
            force=args.force,
            say=progress,
            unverified=unverified,
            cli_option=flag,
        )
        if chain.ok:
            save_mark(ledger, chain.head_seq, chain.head_hash)
    content = result.gathered.content
    print(
        f"wrote {result.paths[0]} ({args.format}; {len(content.runs)} run(s); chain hash "
        f"{content.provenance.anchor_hash[:16]} at seq {content.provenance.anchor_seq}) "
        f"in {time.monotonic() - progress.start:.1f} s"
    )
    for extra in result.paths[1:]:
        print(f"wrote {extra}")
    return EXIT_OK
