"""Huge numbers: every input is bounded (exit 2 naming it), no output carries NaN or
Infinity, and a ledger that already holds an out-of-range benefit still reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accounting.entries import Benefit, EntrySource
from accounting.store import open_ledger
from tests.cli.helpers import cli_process, file_digest


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--energy-kwh", "1e308"], "--energy-kwh"),
        (["--energy-kwh", "1", "--scc-usd-per-t", "1e308"], "--scc-usd-per-t"),
        (["--energy-kwh", "1", "--price-per-kwh", "1e300"], "--price-per-kwh"),
        (["--energy-kwh", "1", "--social-benefit", "1e308"], "--social-benefit"),
        (["--gpus", "1", "--gpu-power-w", "1e308", "--hours", "1"], "--gpu-power-w"),
        (["--energy-kwh", "1", "--seed", "-1"], "--seed"),
        (["--energy-kwh", "1", "--seed", "4294967296"], "--seed"),
        (["--energy-kwh", "1", "--pue", "1e308"], "--pue"),
    ],
)
def test_estimate_refuses_out_of_range_inputs_naming_them(argv: list[str], option: str) -> None:
    done = cli_process("estimate", *argv, "--json")
    assert done.code == 2, (done.out, done.err)
    assert done.err.count("\n") == 1 and option in done.err, done.err
    assert "internal error" not in done.err


def test_the_largest_inputs_give_finite_json() -> None:
    done = cli_process(
        "estimate",
        "--energy-kwh", "1e15", "--intensity-g-per-kwh", "1e15", "--scc-usd-per-t", "1e15",
        "--price-per-kwh", "1e15", "--social-benefit", "1e15", "--seed", "4294967295", "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    doc = strict_json(done.out)
    assert doc["energy_it_kwh"] == 1e15


@pytest.fixture
def ledger_with_a_run(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "ledger.db"
    done = cli_process("run", "--ledger", str(path), "--", "true")
    assert done.code == 0, done.err
    return path, done.out.strip().splitlines()[-1]


def test_benefit_add_refuses_a_huge_amount_and_records_nothing(
    ledger_with_a_run: tuple[Path, str],
) -> None:
    path, run_id = ledger_with_a_run
    before = file_digest(path)
    args = ["--ledger", str(path), "--rationale", "r", "--source", "s"]
    done = cli_process("benefit", "add", run_id, "--social", "1e308", *args)
    assert done.code == 2 and "--social" in done.err, done.err
    assert file_digest(path) == before


def test_a_ledger_holding_overflowing_benefits_still_reports(
    ledger_with_a_run: tuple[Path, str], tmp_path: Path
) -> None:
    """Two benefits of 1e308 USD (as an older version accepted) add up to inf: every report
    failed for good. Now they are left out of the sums, with a note naming them."""
    path, run_id = ledger_with_a_run
    source = EntrySource(host="h", pid=1, origin="older ecoledger")
    with open_ledger(str(path)) as led:
        led.append(
            [
                Benefit(run_id=run_id, source=source, benefit_kind="social", usd=1e308,
                        rationale="r", reference="s")
                for _ in range(2)
            ]
        )  # fmt: skip
    out = tmp_path / "r.json"
    done = cli_process(
        "report", run_id, "--ledger", str(path), "--format", "json", "--out", str(out)
    )
    assert done.code == 0, done.err
    strict_json(out.read_text())
    assessed = cli_process("assess", run_id, "--ledger", str(path), "--json")
    assert assessed.code == 0, assessed.err
    doc = strict_json(assessed.out)
    assert doc["social_benefit"] == 0.0
    assert sum("left out" in note for note in doc["notes"]) == 2
    shown = cli_process("show", run_id, "--ledger", str(path), "--json")
    assert shown.code == 0
    strict_json(shown.out)
