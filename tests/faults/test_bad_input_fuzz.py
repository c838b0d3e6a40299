"""Malformed input at every door of the CLI (hypothesis): a clean one-line error with exit
code 2, or success; never a traceback, never a changed ledger. The fault matrix runs the
same strategies with many more examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.faults import fuzz
from tests.fixtures.two_runs import write_two_run_ledger

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_run_ledger(tmp_path_factory.mktemp("fuzz") / "ledger.db")


def _ok(result: fuzz.CaseResult) -> None:
    assert result.bad is None, (result.argv, result.bad, result.err[-800:])


@FAST
@given(argv=fuzz.estimate_argv())
def test_number_and_unit_options(argv: list[str]) -> None:
    _ok(fuzz.run_case(argv))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(argv=fuzz.run_option_argv())
@example(argv=["run", "--flush-interval", "5.14e+16", "--", "true"])  # found by the matrix
@example(argv=["run", "--sample-hz", "1.25e-161", "--", "true"])  # found by the matrix
def test_run_options(argv: list[str], ledger: Path) -> None:
    _ok(fuzz.run_case(argv[:1] + ["--ledger", str(ledger)] + argv[1:], ledger))


@FAST
@given(text=fuzz.toml_like, suffix=fuzz.st.sampled_from([".toml", ".yaml", ".yml", ".txt"]))
def test_assumptions_files(
    text: str, suffix: str, tmp_path_factory: pytest.TempPathFactory, ledger: Path
) -> None:
    path = tmp_path_factory.mktemp("a") / f"assumptions{suffix}"
    path.write_bytes(text.encode("utf-8", "replace"))  # lone surrogates become "?"
    _ok(fuzz.run_case(["estimate", "--energy-kwh", "1", "--assumptions", str(path)]))
    _ok(
        fuzz.run_case(
            [
                "assess",
                "abcdef12" + "0" * 22 + "a1",
                "--ledger",
                str(ledger),
                "--assumptions",
                str(path),
            ],
            ledger,
        )
    )


@FAST
@given(text=fuzz.csv_like)
def test_intensity_csv_files(
    text: str, tmp_path_factory: pytest.TempPathFactory, ledger: Path
) -> None:
    path = tmp_path_factory.mktemp("c") / "intensity.csv"
    path.write_bytes(text.encode("utf-8", "replace"))
    _ok(
        fuzz.run_case(
            [
                "assess",
                "abcdef12" + "0" * 22 + "a1",
                "--ledger",
                str(ledger),
                "--intensity-csv",
                str(path),
            ],
            ledger,
        )
    )


@FAST
@given(prefix=fuzz.prefixes)
def test_run_id_prefixes(prefix: str, ledger: Path) -> None:
    for argv in (
        ["show", prefix],
        ["assess", prefix],
        ["export", "--run", prefix, "--format", "jsonl", "--out", "-"],
    ):
        _ok(fuzz.run_case([*argv, "--ledger", str(ledger)], ledger))


def _valid_export(ledger: Path, tmp: Path) -> list[str]:
    out = tmp / "export.jsonl"
    assert (
        fuzz.run_case(
            ["export", "--ledger", str(ledger), "--format", "jsonl", "--out", str(out)]
        ).code
        == 0
    )
    return [line for line in out.read_text().splitlines() if line.strip()]


def test_import_files(ledger: Path, tmp_path: Path) -> None:
    valid = _valid_export(ledger, tmp_path)

    @FAST
    @given(text=fuzz.import_lines(valid))
    def case(text: str) -> None:
        target = tmp_path / "target.db"
        shutil.copy(ledger, target)
        path = tmp_path / "in.jsonl"
        path.write_bytes(text.encode("utf-8", "replace"))
        _ok(fuzz.run_case(["import", str(path), "--ledger", str(target)], target))
        _ok(fuzz.run_case(["import", str(path), "--rechain", "--ledger", str(target)], target))

    case()
