"""``ecoledger demo``: the product's main job, for real, on this machine.

1. trains a small torch MLP on synthetic data on the CPU for about ``--seconds``, metered
   with per-epoch windows and per-step energy (``ecoledger.track`` + ``Run.watch``);
2. serves a batch of single-sample inference requests, metered per request, as an inference
   run that amortizes the training run over the expected uses;
3. records a declared, illustrative benefit per request;
4. prints the cost–benefit summary and writes a Markdown report beside the ledger.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from accounting.entries import Benefit
from accounting.units import j_to_kwh
from ecoledger.cli.common import (
    NumberOption,
    add_command,
    add_number_options,
    fail,
    open_cli_ledger,
    positive_float,
    whole_number,
)
from ecoledger.cli.live import print_summary
from ecoledger.cli.run_options import add_grid_options, check_country

PROJECT = "ecoledger-demo"
SERVE_SHARE = 0.2
EXPECTED_USES = 1_000_000
BENEFIT_PER_REQUEST_USD = 0.0005
BENEFIT_RATIONALE = (
    "Illustrative value of one prediction, declared for the demo (not measured): "
    "replace it with your model's own benefit and its evidence."
)


OPTIONS: tuple[NumberOption, ...] = (
    (
        "--seconds",
        positive_float("--seconds"),
        30.0,
        "N",
        "about how long to train and serve (default 30)",
    ),
    (
        "--synthetic",
        positive_float("--synthetic"),
        None,
        "DAYS",
        "instead of training, write a made-up ledger spanning DAYS (0.001 is about 86 s): "
        "labelled synthetic in every output, never a measurement",
    ),
    (
        "--gpus",
        whole_number("--gpus"),
        None,
        "N",
        "with --synthetic: GPUs per training run (default 1)",
    ),
    (
        "--runs",
        whole_number("--runs"),
        None,
        "R",
        "with --synthetic: runs, every fifth a training run, the others serving it (default 3)",
    ),
)


def register(sub: Any) -> None:
    p = add_command(sub, "demo")
    add_number_options(p, OPTIONS[:1])
    add_grid_options(
        p,
        country_help="grid location of this machine (default: world average)",
        pue_help="data-centre PUE (default 1.58)",
    )
    add_number_options(p, OPTIONS[1:])
    p.set_defaults(handler=handle)


def _say(message: str) -> None:
    print(message, flush=True)


def _train(run: Any, seconds: float) -> Any:
    import torch
    from torch import nn

    torch.manual_seed(0)
    x = torch.randn(8192, 64)
    y = (x @ torch.randn(64, 1)).tanh() + 0.05 * torch.randn(8192, 1)
    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    run.watch(optimizer)
    t0 = time.monotonic()
    epoch = 0
    while time.monotonic() - t0 < seconds:
        with run.phase(f"epoch:{epoch}"):
            total = 0.0
            for i in range(0, len(x), 128):
                optimizer.zero_grad()
                loss = loss_fn(model(x[i : i + 128]), y[i : i + 128])
                loss.backward()
                optimizer.step()
                total += loss.item() * 128
        _say(
            f"  epoch {epoch:3d}  loss {total / len(x):.4f}  "
            f"{time.monotonic() - t0:5.1f} s  {run.energy_j / 3600:8.3f} Wh so far"
        )
        epoch += 1
    return model


def _serve(model: Any, run: Any, seconds: float) -> int:
    import torch

    import ecoledger

    requests = torch.randn(4096, 64)
    served = 0
    t0 = time.monotonic()
    # serve for the time announced, cycling through the request pool
    with ecoledger.meter_inference(model, run=run), torch.inference_mode():
        while time.monotonic() - t0 < seconds:
            i = served % len(requests)
            model(requests[i : i + 1])
            served += 1
    return served


TORCH_HINT = (
    "ecoledger demo trains a small torch model and torch is not installed: "
    'pip install "torch==2.13.0" (or your platform\'s build from pytorch.org), then rerun'
)


def handle(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    import ecoledger

    if args.synthetic is not None:
        return handle_synthetic(args)
    for option in ("gpus", "runs"):
        if getattr(args, option) is not None:
            fail(f"--{option}: only with --synthetic DAYS")
    if find_spec("torch") is None:
        fail(TORCH_HINT)
    # bad input is one line and exit 2, before any work (and before a new ledger is created)
    country = check_country(args.country) if args.country else None
    with open_cli_ledger(args) as ledger:
        location = ledger.location
    train_s = args.seconds * (1 - SERVE_SHARE)
    common = {"project": PROJECT, "ledger": location, "country": country, "pue": args.pue}

    _say(f"ecoledger demo: training a small MLP on synthetic data for ~{train_s:.0f} s (CPU)")
    with ecoledger.track(name="demo: train MLP", kind="training", **common) as train:
        model = _train(train, train_s)
    _say(f"ecoledger demo: serving single-sample requests for ~{args.seconds - train_s:.0f} s")
    with ecoledger.track(
        name="demo: serve MLP",
        kind="inference",
        parent_run_id=train.run_id,
        expected_uses=EXPECTED_USES,
        **common,
    ) as serve:
        served = _serve(model, serve, args.seconds - train_s)
    _say(f"  served {served} requests")

    with open_cli_ledger(args) as ledger:
        ledger.append(
            [
                Benefit(
                    run_id=serve.run_id,
                    benefit_kind="social",
                    basis="per_request",
                    usd=BENEFIT_PER_REQUEST_USD,
                    rationale=BENEFIT_RATIONALE,
                    reference="ecoledger demo (declared example)",
                )
            ]
        )
        _say("\n== training run ==")
        print_summary(ledger, train.run_id)
        _say(f"\n== inference run (training amortized over {EXPECTED_USES:,} expected uses) ==")
        print_summary(ledger, serve.run_id)
        report = _write_report(ledger, serve.run_id, location)
    if report is not None:
        _say(f"\nreport: {report}")
    return 0


def _write_report(ledger: Any, run_id: str, location: str) -> Path | None:
    from accounting.reports import Scope, write_report
    from accounting.store.location import sqlite_path
    from ecoledger.cli.flags import flag

    db = sqlite_path(location)
    folder = db.parent if db is not None else Path.cwd()
    out = folder / f"ecoledger-report-{run_id[:8]}.md"
    try:
        scope = Scope(kind="run", run_id=run_id)
        write_report(ledger, scope, "md", out, force=True, cli_option=flag)
    except Exception as exc:  # the demo's measurements are recorded; say what failed
        print(f"ecoledger: warning: could not write the report: {exc}", file=sys.stderr)
        return None
    return out


def handle_synthetic(args: argparse.Namespace) -> int:
    """``demo --synthetic``: a made-up ledger written through ``Ledger.append``, with progress."""
    from accounting.synthetic import SyntheticSpec, write_synthetic

    spec = SyntheticSpec(
        days=args.synthetic,
        gpus=args.gpus or 1,
        runs=args.runs or 3,
        country=check_country(args.country) if args.country else None,
        pue=args.pue,
    )
    spec.check()  # bad input: one line, exit 2, before a new ledger is created
    shown = [-1]

    def progress(done: float) -> None:
        percent = int(done * 100)
        if percent // 5 > shown[0]:
            shown[0] = percent // 5
            print(f"  {percent:3d} % written", file=sys.stderr, flush=True)

    _say(
        f"ecoledger demo: writing a SYNTHETIC ledger ({spec.days:g} days, {spec.runs} runs, "
        f"{spec.gpus} GPU(s) per training run): made up, not measured"
    )
    started = time.monotonic()
    with open_cli_ledger(args) as ledger:
        summary = write_synthetic(ledger, spec, progress)
        location = ledger.display
    _say(
        f"wrote {summary.runs} synthetic runs ({summary.training_runs} training), "
        f"{summary.entries:,} entries, {summary.power_samples:,} power samples, "
        f"{j_to_kwh(summary.energy_j):,.3f} kWh (made up) in {time.monotonic() - started:.1f} s "
        f"to {location}"
    )
    _say("next: ecoledger runs, ecoledger show RUN_ID, ecoledger dashboard")
    return 0
