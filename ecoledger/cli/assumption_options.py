"""The assumption options shared by ``assess`` and ``estimate`` → AssumptionSettings."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from accounting.assessment import AssumptionSettings
from ecoledger.cli.common import Option, add_options


def number(name: str) -> Callable[[str], float]:
    """A finite number; the library checks the domain and names the option."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text!r}")
        return value

    return parse


def integer(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None

    return parse


GRID: tuple[Option, ...] = (
    ("--assumptions", None, "FILE", "TOML or YAML assumptions file"),
    ("--country", None, "ISO3", "grid: country ISO3 (FRA) or region (USA:CA)"),
    ("--cloud", None, "PROVIDER:REGION", "grid: cloud region (gcp:europe-west1)"),
    ("--intensity-g-per-kwh", number, "G", "grid carbon intensity in gCO2e/kWh"),
)
SERIES: tuple[Option, ...] = (
    (
        "--intensity-csv",
        None,
        "FILE",
        "time series CSV (timestamp, gCO2e/kWh; hourly or finer) covering the run",
    ),
)
PRICE: tuple[Option, ...] = (
    ("--pue", None, "X|PRESET", "PUE (default pue:uptime-2023 = 1.58)"),
    ("--price-per-kwh", number, "USD", None),
)
SCC: tuple[Option, ...] = (
    ("--scc", None, "PRESET", "social cost of carbon preset (scc:epa-2023-2.0)"),
    ("--scc-usd-per-t", number, "USD", None),
)
FACTORS: tuple[Option, ...] = (
    ("--emission-year", integer, "YYYY", None),
    ("--water", None, "PRESET", "water preset (water:li-2023-us-average)"),
    ("--wue-l-per-kwh", number, "L", None),
    ("--ewif-l-per-kwh", number, "L", None),
    ("--water-price-per-m3", number, "USD", None),
    ("--embodied", None, "PRESET", "GPU embodied-carbon preset (embodied:hgx-h100)"),
    ("--embodied-kg-per-gpu", number, "KG", None),
    ("--embodied-kg-per-host", number, "KG", None),
    ("--gpus-per-host", integer, "N", None),
    ("--lifetime-years", number, "Y", None),
    ("--utilization", number, "F", "in (0, 1]"),
    ("--expected-uses", integer, "N", None),
    ("--benefit-per-use", number, "USD", None),
    ("--compare-countries", None, "A,B,...", "counterfactual countries"),
    ("--compare-clouds", None, "A,B,...", "counterfactual cloud regions"),
)
METHODOLOGY: tuple[Option, ...] = (
    (
        "--dollar-year",
        integer,
        "YYYY",
        "express all money in this year's USD (CPI-U; default: latest in the table)",
    ),
    (
        "--market-factor",
        number,
        "G_PER_KWH",
        "scope 2 market-based emission factor of your contractual instruments",
    ),
    (
        "--renewable-share",
        number,
        "X",
        "scope 2 market-based: share of energy covered by renewable certificates, 0..1",
    ),
    (
        "--residual-mix",
        number,
        "G_PER_KWH",
        "residual-mix factor for the uncovered share (required with --renewable-share)",
    ),
    ("--grid-loss", number, "X", "transmission and distribution losses as a fraction (default 0)"),
    ("--per", None, "UNIT", "SCI functional unit: request, token, sample or step"),
    (
        "--embodied-method",
        None,
        "bloom|sci",
        "embodied share: bloom (utilization-adjusted, default) or sci (time-share)",
    ),
    (
        "--sensitivity-of",
        None,
        "OUTPUT",
        "rank sensitivity of operational_kgco2e (default), net_benefit or water_l",
    ),
    ("--gpu-model", None, "MODEL", "GPU model for embodied carbon (H100, A100, V100, T4, L4...)"),
)
MONTE_CARLO: tuple[Option, ...] = (
    ("--draws", integer, "N", "Monte Carlo draws (10000)"),
    ("--seed", integer, "N", "Monte Carlo seed"),
)


def add_assumption_args(parser: argparse.ArgumentParser, *, series: bool) -> None:
    g = parser.add_argument_group("assumptions (each default is documented with its source)")
    add_options(g, GRID + (SERIES if series else ()) + PRICE)
    add_options(g.add_mutually_exclusive_group(), SCC)
    add_options(g, FACTORS)
    add_options(parser.add_argument_group("methodology (docs/methodology.md)"), METHODOLOGY)
    add_options(g, MONTE_CARLO)
    g.add_argument(
        "--shared-gpu",
        choices=("whole", "attribute"),
        help="a GPU other processes used: charge it whole (default) or this run's share",
    )
    g.add_argument(
        "--save-assumptions", metavar="FILE", help="write the settings used (.toml/.yaml)"
    )


def _pue_option(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        return {"pue": float(text)}
    except ValueError:
        return {"pue_preset": text}


SETTING_OF_OPTION = {"benefit_per_use": "benefit_per_use_usd"}
"""Options whose AssumptionSettings field has another name (every other: the option's dest)."""
LIST_OPTIONS = ("compare_countries", "compare_clouds")
"""Options given as comma lists."""
NOT_A_SETTING = ("assumptions", "pue")
"""--assumptions is the base file; --pue is a number or a preset (see _pue_option)."""


def settings_from_args(args: argparse.Namespace) -> AssumptionSettings:
    base = (
        AssumptionSettings.from_file(args.assumptions)
        if getattr(args, "assumptions", None)
        else AssumptionSettings()
    )
    changes: dict[str, Any] = {}
    tables = GRID + SERIES + PRICE + SCC + FACTORS + METHODOLOGY + MONTE_CARLO
    for flag in [row[0] for row in tables] + ["--shared-gpu"]:
        dest = flag[2:].replace("-", "_")
        if dest in NOT_A_SETTING:
            continue
        value = getattr(args, dest, None)
        changes[SETTING_OF_OPTION.get(dest, dest)] = (
            _split(value) if dest in LIST_OPTIONS else value
        )
    return base.overlay(**changes, **_pue_option(getattr(args, "pue", None)))


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())
