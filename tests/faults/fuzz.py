"""Bad input, tried systematically: hypothesis strategies for the CLI's number and unit
options, assumptions files, intensity CSV files, ``import`` files and run-id prefixes, and
the one check every case must pass (shared by the tests and the fault matrix).

A case passes when the real CLI (in-process, ``main(argv)``) ends in success (exit 0) or in
ONE clean line ``ecoledger: error: ...`` with exit 2; never a traceback or an internal
error; and, when it fails, the ledger file is byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from ecoledger.cli.main import main
from tests.cli.helpers import file_digest

NUMBER_OPTIONS_ESTIMATE = (
    "--energy-kwh",
    "--gpu-power-w",
    "--hours",
    "--gpu-hours",
    "--cpu-power-w",
    "--intensity-g-per-kwh",
    "--pue",
    "--price-per-kwh",
    "--scc-usd-per-t",
    "--emission-year",
    "--wue-l-per-kwh",
    "--ewif-l-per-kwh",
    "--water-price-per-m3",
    "--embodied-kg-per-gpu",
    "--lifetime-years",
    "--utilization",
    "--gpus-per-host",
    "--social-benefit",
    "--avoided-kgco2e",
    "--country",
    "--cloud",
    "--scc",
    "--water",
    "--embodied",
)

numbers_as_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "-inf",
            "1e309",
            "-0",
            "1,5",
            "10kWh",
            "0x10",
            "1_000",
            "٣",
            "½",
            "--1",
            "pue:nope",
            "FRA",
            "USA:ZZ",
            "gcp:mars-1",
            "scc:",
            "1.58 ",
            "\x00",
            "'; DROP TABLE x;--",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def estimate_argv(draw: st.DrawFn) -> list[str]:
    argv = ["estimate", "--energy-kwh", "1"]
    for option in draw(st.lists(st.sampled_from(NUMBER_OPTIONS_ESTIMATE), min_size=1, max_size=3)):
        argv += [option, draw(numbers_as_text)]
    return argv


@st.composite
def run_option_argv(draw: st.DrawFn) -> list[str]:
    option = draw(
        st.sampled_from(
            ["--pue", "--flush-interval", "--sample-hz", "--expected-uses", "--country", "--kind"]
        )
    )
    return ["run", option, draw(numbers_as_text), "--", "true"]


toml_like = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "pue",
                    "country",
                    "price_per_kwh",
                    "scc",
                    "intensity_g_per_kwh",
                    "[factors]",
                    "utilization",
                    "x",
                ]
            ),
            st.sampled_from(["=", ":", " = ", ""]),
            numbers_as_text,
        ),
        max_size=6,
    ).map(lambda rows: "\n".join(f"{k}{sep}{v}" for k, sep, v in rows)),
)

csv_like = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["2026-03-01T12:00:00Z", "2026-13-01", "", "yesterday", "2026-03-01 12:00", "1e9"]
            ),
            numbers_as_text,
        ),
        max_size=8,
    ).map(lambda rows: "timestamp,g_per_kwh\n" + "\n".join(f"{a},{b}" for a, b in rows)),
)

prefixes = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "abcdef12",
            "abcdef1",
            "ABCDEF12",
            "abcdef12%",
            "abcdef12_",
            "%",
            "_" * 8,
            "' OR 1=1 --",
            "\x00abcdef12",
        ]
    ),
)


def import_lines(valid: list[str]) -> st.SearchStrategy[str]:
    """Text built from a valid export: lines dropped, swapped, edited, truncated, junk."""

    def mutate(draw_lines: list[str], edit: tuple[int, str, str]) -> str:
        lines = list(draw_lines)
        if lines:
            i = edit[0] % len(lines)
            if edit[1] == "cut":
                lines[i] = lines[i][: len(lines[i]) // 2]
            elif edit[1] == "field":
                try:
                    obj = json.loads(lines[i])
                    key = sorted(obj)[len(edit[2]) % len(obj)]
                    obj[key] = edit[2]
                    lines[i] = json.dumps(obj)
                except Exception:
                    lines[i] = edit[2]
            elif edit[1] == "junk":
                lines.insert(i, edit[2])
        return "\n".join(lines) + "\n"

    return st.builds(
        mutate,
        st.permutations(valid).flatmap(
            lambda p: st.lists(st.sampled_from(p), max_size=len(p)) if p else st.just([])
        ),
        st.tuples(
            st.integers(0, 50),
            st.sampled_from(["cut", "field", "junk", "none"]),
            st.text(max_size=20),
        ),
    )


@dataclass(frozen=True)
class CaseResult:
    argv: tuple[str, ...]
    code: int
    err: str
    bad: str | None
    """Why this case failed badly, or None."""


def run_case(argv: list[str], ledger: Path | None = None) -> CaseResult:
    before = file_digest(ledger) if ledger is not None else None
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code) if isinstance(exc.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 - exactly what must never happen
            return CaseResult(tuple(argv), -1, repr(exc), f"raised {exc.__class__.__name__}")
    text = err.getvalue()
    lines = [line for line in text.splitlines() if line.strip()]
    bad = None
    if "Traceback" in text or "internal error" in text:
        bad = "traceback or internal error"
    elif code not in (0, 2):
        bad = f"exit code {code}"
    elif code == 2:
        errors = [line for line in lines if line.startswith("ecoledger: error: ")]
        if len(errors) != 1:
            bad = f"not one clean error line: {lines[:3]}"
        if ledger is not None and file_digest(ledger) != before:
            bad = "the ledger changed on a failed command"
    return CaseResult(tuple(argv), code, text, bad)
