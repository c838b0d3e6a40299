"""Helpers for the dashboard tests: the app under AppTest, the CLI's own numbers, parsing
the numbers the dashboard shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from ecoledger.cli.main import main

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"
PAGES = {
    "overview": None,
    "runs": "views/runs.py",
    "cost_benefit": "views/cost_benefit.py",
    "compare": "views/compare.py",
    "report": "views/report.py",
}
TITLES = {
    "overview": "Overview",
    "runs": "Runs",
    "cost_benefit": "Cost–benefit",
    "compare": "Compare",
    "report": "Report",
}


def app(page: str = "overview", run_id: str | None = None, timeout: float = 60) -> AppTest:
    """The app on ``page`` (not yet run); the ledger comes from $ECOLEDGER_LEDGER."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if PAGES[page]:
        at.switch_page(PAGES[page])
    if run_id:
        at.query_params["run"] = run_id
    return at


def assess_json(capsys: Any, ledger: Path | str, run_id: str, *options: str) -> dict[str, Any]:
    """``ecoledger assess RUN_ID --json`` through the real CLI (in-process)."""
    capsys.readouterr()
    code = main(["assess", run_id, "--ledger", str(ledger), "--json", *options])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def number(text: str) -> float:
    """A displayed number: ``−0.06036 USD`` → -0.06036, ``1,234 kWh`` → 1234."""
    cleaned = text.replace("−", "-").replace(",", "").strip()
    match = re.match(r"^-?\d+(\.\d+)?(e[-+]?\d+)?", cleaned)
    assert match, f"not a number: {text!r}"
    return float(match.group(0))


def shows(displayed: str, expected: float, digits: int = 4) -> bool:
    """Whether ``displayed`` is ``expected`` rounded to ``digits`` significant digits."""
    value = number(displayed)
    if expected == 0:
        return value == 0
    return abs(value - expected) <= 0.5 * 10 ** (_exponent(expected) - digits + 1) * 1.0001


def _exponent(x: float) -> int:
    import math

    return math.floor(math.log10(abs(x)))


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return str(found[0])


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_titled(at: AppTest, title: str) -> dict[str, Any]:
    for spec in chart_specs(at):
        if title in spec.get("layout", {}).get("title", {}).get("text", ""):
            return spec
    raise AssertionError(f"no chart titled {title!r}")
