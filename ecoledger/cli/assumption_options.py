"""The assumption options shared by ``assess`` and ``estimate`` → AssumptionSettings."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from accounting.assessment import AssumptionSettings


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


def add_assumption_args(parser: argparse.ArgumentParser, *, series: bool) -> None:
    g = parser.add_argument_group("assumptions (each default is documented with its source)")
    g.add_argument("--assumptions", metavar="FILE", help="TOML or YAML assumptions file")
    g.add_argument("--country", metavar="ISO3", help="grid: country ISO3 (FRA) or region (USA:CA)")
    g.add_argument(
        "--cloud", metavar="PROVIDER:REGION", help="grid: cloud region (gcp:europe-west1)"
    )
    g.add_argument(
        "--intensity-g-per-kwh",
        type=number("--intensity-g-per-kwh"),
        metavar="G",
        help="grid carbon intensity in gCO2e/kWh",
    )
    if series:
        g.add_argument(
            "--intensity-csv",
            metavar="FILE",
            help="time series CSV (timestamp, gCO2e/kWh; hourly or finer) covering the run",
        )
    g.add_argument("--pue", metavar="X|PRESET", help="PUE (default pue:uptime-2023 = 1.58)")
    g.add_argument("--price-per-kwh", type=number("--price-per-kwh"), metavar="USD")
    scc = g.add_mutually_exclusive_group()
    scc.add_argument(
        "--scc", metavar="PRESET", help="social cost of carbon preset (scc:epa-2023-2.0)"
    )
    scc.add_argument("--scc-usd-per-t", type=number("--scc-usd-per-t"), metavar="USD")
    g.add_argument("--emission-year", type=integer("--emission-year"), metavar="YYYY")
    g.add_argument("--water", metavar="PRESET", help="water preset (water:li-2023-us-average)")
    g.add_argument("--wue-l-per-kwh", type=number("--wue-l-per-kwh"), metavar="L")
    g.add_argument("--ewif-l-per-kwh", type=number("--ewif-l-per-kwh"), metavar="L")
    g.add_argument("--water-price-per-m3", type=number("--water-price-per-m3"), metavar="USD")
    g.add_argument(
        "--embodied", metavar="PRESET", help="GPU embodied-carbon preset (embodied:hgx-h100)"
    )
    g.add_argument("--embodied-kg-per-gpu", type=number("--embodied-kg-per-gpu"), metavar="KG")
    g.add_argument("--embodied-kg-per-host", type=number("--embodied-kg-per-host"), metavar="KG")
    g.add_argument("--gpus-per-host", type=integer("--gpus-per-host"), metavar="N")
    g.add_argument("--lifetime-years", type=number("--lifetime-years"), metavar="Y")
    g.add_argument("--utilization", type=number("--utilization"), metavar="F", help="in (0, 1]")
    g.add_argument("--expected-uses", type=integer("--expected-uses"), metavar="N")
    g.add_argument("--benefit-per-use", type=number("--benefit-per-use"), metavar="USD")
    g.add_argument("--compare-countries", metavar="A,B,...", help="counterfactual countries")
    g.add_argument("--compare-clouds", metavar="A,B,...", help="counterfactual cloud regions")
    m = parser.add_argument_group("methodology (docs/methodology.md)")
    m.add_argument(
        "--dollar-year",
        type=integer("--dollar-year"),
        metavar="YYYY",
        help="express all money in this year's USD (CPI-U; default: latest in the table)",
    )
    m.add_argument(
        "--market-factor",
        type=number("--market-factor"),
        metavar="G_PER_KWH",
        help="scope 2 market-based emission factor of your contractual instruments",
    )
    m.add_argument(
        "--renewable-share",
        type=number("--renewable-share"),
        metavar="X",
        help="scope 2 market-based: share of energy covered by renewable certificates, 0..1",
    )
    m.add_argument(
        "--residual-mix",
        type=number("--residual-mix"),
        metavar="G_PER_KWH",
        help="residual-mix factor for the uncovered share (required with --renewable-share)",
    )
    m.add_argument(
        "--grid-loss",
        type=number("--grid-loss"),
        metavar="X",
        help="transmission and distribution losses as a fraction (default 0)",
    )
    m.add_argument(
        "--per",
        metavar="UNIT",
        help="SCI functional unit: request, token, sample or step",
    )
    m.add_argument(
        "--embodied-method",
        metavar="bloom|sci",
        help="embodied share: bloom (utilization-adjusted, default) or sci (time-share)",
    )
    m.add_argument(
        "--sensitivity-of",
        metavar="OUTPUT",
        help="rank sensitivity of operational_kgco2e (default), net_benefit or water_l",
    )
    m.add_argument(
        "--gpu-model",
        metavar="MODEL",
        help="GPU model for embodied carbon (H100, A100, V100, T4, L4...)",
    )
    g.add_argument(
        "--draws", type=integer("--draws"), metavar="N", help="Monte Carlo draws (10000)"
    )
    g.add_argument("--seed", type=integer("--seed"), metavar="N", help="Monte Carlo seed")
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


def settings_from_args(args: argparse.Namespace) -> AssumptionSettings:
    base = (
        AssumptionSettings.from_file(args.assumptions)
        if getattr(args, "assumptions", None)
        else AssumptionSettings()
    )
    return base.overlay(
        country=args.country,
        cloud=args.cloud,
        intensity_g_per_kwh=args.intensity_g_per_kwh,
        intensity_csv=getattr(args, "intensity_csv", None),
        price_per_kwh=args.price_per_kwh,
        scc=args.scc,
        scc_usd_per_t=args.scc_usd_per_t,
        emission_year=args.emission_year,
        water=args.water,
        wue_l_per_kwh=args.wue_l_per_kwh,
        ewif_l_per_kwh=args.ewif_l_per_kwh,
        water_price_per_m3=args.water_price_per_m3,
        embodied=args.embodied,
        embodied_kg_per_gpu=args.embodied_kg_per_gpu,
        embodied_kg_per_host=args.embodied_kg_per_host,
        gpus_per_host=args.gpus_per_host,
        lifetime_years=args.lifetime_years,
        utilization=args.utilization,
        expected_uses=args.expected_uses,
        benefit_per_use_usd=args.benefit_per_use,
        compare_countries=_split(args.compare_countries),
        compare_clouds=_split(args.compare_clouds),
        dollar_year=getattr(args, "dollar_year", None),
        market_factor=getattr(args, "market_factor", None),
        renewable_share=getattr(args, "renewable_share", None),
        residual_mix=getattr(args, "residual_mix", None),
        grid_loss=getattr(args, "grid_loss", None),
        per=getattr(args, "per", None),
        embodied_method=getattr(args, "embodied_method", None),
        sensitivity_of=getattr(args, "sensitivity_of", None),
        gpu_model=getattr(args, "gpu_model", None),
        draws=args.draws,
        seed=args.seed,
        shared_gpu=getattr(args, "shared_gpu", None),
        **_pue_option(args.pue),
    )


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())
