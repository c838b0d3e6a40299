"""`ecoledger assess RUN_ID` and `ecoledger estimate`: the net-benefit assessment.

    ecoledger assess 1a2b3c4d --country FRA --scc scc:epa-2023-2.0 --json
    ecoledger estimate --gpus 8 --gpu-power-w 296 --hours 84 --pue 1.59 \
        --intensity-g-per-kwh 429 --json
"""

from __future__ import annotations

import argparse
from typing import Any

from accounting.assessment import Assessment, EstimateInputs, assess_run, estimate
from ecoledger.cli.assessment_text import render
from ecoledger.cli.assumption_options import (
    add_assumption_args,
    integer,
    number,
    settings_from_args,
)
from ecoledger.cli.common import (
    EXIT_OK,
    add_command,
    add_ledger_arg,
    open_cli_ledger,
    print_json,
    warn_if_unverified,
)


def register(sub: Any) -> None:
    assess = add_command(sub, "assess")
    assess.add_argument("run_id", metavar="RUN_ID", help="run id or a prefix of ≥ 8 characters")
    add_assumption_args(assess, series=True)
    assess.add_argument(
        "--record",
        action="store_true",
        help="record the assumption set used as an Assumptions entry of the run",
    )
    assess.add_argument("--json", action="store_true", help="print the stable JSON keys")
    add_ledger_arg(assess)
    assess.set_defaults(handler=_assess)

    est = add_command(sub, "estimate")
    e = est.add_argument_group(
        "energy (give --energy-kwh, or --gpus/--gpu-power-w/--hours, or --gpu-hours/--gpu-power-w)"
    )
    e.add_argument("--energy-kwh", type=number("--energy-kwh"), metavar="E", help="IT energy, kWh")
    e.add_argument("--gpus", type=integer("--gpus"), metavar="N")
    e.add_argument(
        "--gpu-power-w", type=number("--gpu-power-w"), metavar="W", help="average power per GPU, W"
    )
    e.add_argument("--hours", type=number("--hours"), metavar="H", help="wall-clock hours")
    e.add_argument("--gpu-hours", type=number("--gpu-hours"), metavar="GH")
    e.add_argument("--cpu-power-w", type=number("--cpu-power-w"), metavar="W")
    e.add_argument("--ram-power-w", type=number("--ram-power-w"), metavar="W")
    b = est.add_argument_group("benefits")
    b.add_argument("--social-benefit", type=number("--social-benefit"), metavar="USD")
    b.add_argument("--avoided-kgco2e", type=number("--avoided-kgco2e"), metavar="KG")
    add_assumption_args(est, series=False)
    est.add_argument("--json", action="store_true", help="print the stable JSON keys")
    est.set_defaults(handler=_estimate)


def _show(assessment: Assessment, as_json: bool) -> None:
    if as_json:
        print_json(assessment.to_json())
    else:
        print(render(assessment))


def _assess(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    with open_cli_ledger(args, create=False) as ledger:
        assessment = assess_run(ledger, args.run_id, settings)
        if args.save_assumptions:
            assessment.settings.to_file(args.save_assumptions)
        if args.record:
            assert assessment.run_id is not None
            ledger.append([assessment.to_assumptions_entry(assessment.run_id)])
        warn_if_unverified(
            ledger, [assessment.run_id, assessment.amortization.parent_run_id]
        )  # last: a command that failed leaves the ledger untouched
    _show(assessment, args.json)
    return EXIT_OK


def _estimate(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    inputs = EstimateInputs(
        energy_kwh=args.energy_kwh,
        gpus=args.gpus,
        gpu_power_w=args.gpu_power_w,
        hours=args.hours,
        gpu_hours=args.gpu_hours,
        cpu_power_w=args.cpu_power_w,
        ram_power_w=args.ram_power_w,
        social_benefit_usd=args.social_benefit or 0.0,
        avoided_kgco2e=args.avoided_kgco2e or 0.0,
    )
    assessment = estimate(inputs, settings)
    if args.save_assumptions:
        assessment.settings.to_file(args.save_assumptions)
    _show(assessment, args.json)
    return EXIT_OK
