"""Helpers for the report tests: run the CLI, parse the Markdown summary table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.helpers import Result, cli

# The Markdown summary rows and the `assess --json` keys they show (written here by hand).
MARKDOWN_ROWS = {
    "IT energy (measured at the devices)": "energy_it_kwh",
    "PUE": "pue",
    "Facility energy (IT × PUE)": "energy_facility_kwh",
    "Operational emissions": "operational_kgco2e",
    "Embodied emissions (hardware)": "embodied_kgco2e",
    "Water, on-site": "water_onsite_l",
    "Water, off-site (electricity)": "water_offsite_l",
    "Water, total": "water_l",
    "Social benefit": "social_benefit",
    "Environmental benefit": "environmental_benefit",
    "− Energy cost": "energy_cost",
    "− Carbon cost": "carbon_cost",
    "− Secondary cost (embodied carbon, water)": "secondary_cost",
    "= Net benefit": "net_benefit",
    "Net benefit, p05 (Monte Carlo)": "net_benefit_p05",
    "Net benefit, p50 (Monte Carlo)": "net_benefit_p50",
    "Net benefit, p95 (Monte Carlo)": "net_benefit_p95",
}


def report(capsys: Any, ledger: Path, *args: str) -> Result:
    return cli(capsys, "report", *args, "--ledger", str(ledger))


def assess_json(capsys: Any, ledger: Path, run_id: str, assumptions: Path) -> dict[str, Any]:
    result = cli(
        capsys,
        "assess",
        run_id,
        "--json",
        "--assumptions",
        str(assumptions),
        "--ledger",
        str(ledger),
    )
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def markdown_summary(text: str) -> dict[str, float]:
    """{key: value} from the Markdown summary table (values as printed)."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in MARKDOWN_ROWS:
            values[MARKDOWN_ROWS[cells[0]]] = float(cells[1].replace(",", ""))
    return values


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
