"""Every read-only command run on the fixture ledger, for the golden-file test.

A case is one command line. :func:`record` runs it in-process in a working folder that holds
the fixture ledger as ``ledger.db`` (relative paths only, so the recorded commands and paths
are the same in every folder) and returns one text: the exit code, stdout, stderr, and every
file the command wrote.

Only what is truly not deterministic is normalised (:func:`normalise`):

- the report's generation time (``generated_at``, "Generated at:" and inside the base64
  provenance comment, which is shown decoded);
- the wall time of ``ecoledger report`` on stderr ("... in 0.3 s").

The fixture ledger itself is deterministic: fixed entry ids and times, so its hashes are fixed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ecoledger.cli.main import main
from tests.fixtures.ledgers import build_fixture_ledger

GOLDEN_DIR = Path(__file__).resolve().parent / "outputs"
LEDGER = "ledger.db"
TRAIN, SERVE, FAILED, LOST, CPU = "f1e00000", "5e7e0000", "5eeb0000", "c7a50000", "e7a10000"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    digest_files: bool = False
    """Record a SHA-256 of each written file instead of its text (large exports)."""


def _case(name: str, line: str, *, digest_files: bool = False) -> Case:
    return Case(name, (*shlex.split(line), "--ledger", LEDGER), digest_files)


CASES: tuple[Case, ...] = (
    _case("runs", "runs"),
    _case("runs_json", "runs --json"),
    _case("runs_project", "runs --project nlp"),
    _case("runs_project_json", "runs --project vision --json"),
    *(_case(f"show_{run}", f"show {run}") for run in (TRAIN, SERVE, FAILED, LOST, CPU)),
    *(_case(f"show_{run}_json", f"show {run} --json") for run in (TRAIN, SERVE, LOST)),
    *(_case(f"assess_{run}", f"assess {run}") for run in (TRAIN, SERVE, CPU)),
    *(_case(f"assess_{run}_json", f"assess {run} --json") for run in (TRAIN, SERVE, FAILED)),
    *(
        _case(f"report_{fmt}", f"report {SERVE} --format {fmt} --out serve.{fmt}")
        for fmt in ("md", "json", "latex", "model-card")
    ),
    *(
        _case(f"report_project_{fmt}", f"report --project nlp --format {fmt} --out nlp.{fmt}")
        for fmt in ("md", "json", "latex", "model-card")
    ),
    _case(
        "report_project_since_md",
        "report --project vision --since 2026-03-03 --until 2026-03-03 --format md --out v.md",
    ),
    _case("verify", "verify"),
    _case("verify_json", "verify --json"),
    _case("export_run_csv", f"export --run {CPU} --format csv --out cpu.csv"),
    _case("export_run_jsonl", f"export --run {LOST} --format jsonl --out lost.jsonl --json"),
    _case("export_all_jsonl", "export --format jsonl --out all.jsonl --json", digest_files=True),
    _case("export_all_csv", "export --format csv --out all.csv", digest_files=True),
)

_B64 = re.compile(r"ecoledger-report:v1 ([A-Za-z0-9+/=]+)")
_GENERATED = (
    (re.compile(r'("generated_at": ?)"[^"]*"'), r'\1"<generated_at>"'),
    (re.compile(r"(Generated at: )\S+"), r"\1<generated_at>"),
    (re.compile(r"(\) in )\d+(\.\d+)? s$", re.M), r"\1<seconds> s"),
)


def normalise(text: str) -> str:
    def decoded(match: re.Match[str]) -> str:
        payload = base64.b64decode(match.group(1)).decode("utf-8")
        return f"ecoledger-report:v1 <base64 of {payload}>"

    text = _B64.sub(decoded, text)
    for pattern, replacement in _GENERATED:
        text = pattern.sub(replacement, text)
    return text


def build_workdir(folder: Path) -> Path:
    """The fixture ledger as ``folder/ledger.db``."""
    folder.mkdir(parents=True, exist_ok=True)
    build_fixture_ledger(folder / LEDGER)
    return folder


def record(case: Case, workdir: Path) -> str:
    """Run ``case`` in ``workdir`` (made the current folder for the call) and return its text."""
    before = {p.name for p in workdir.iterdir()}
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(workdir),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(case.argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    parts = [
        f"$ ecoledger {shlex.join(case.argv)}",
        f"exit {code}",
        "--- stdout",
        out.getvalue(),
        "--- stderr",
        err.getvalue(),
    ]
    for name in sorted({p.name for p in workdir.iterdir()} - before):
        data = (workdir / name).read_bytes()
        if case.digest_files:
            parts += [f"--- file {name} ({len(data)} bytes)", hashlib.sha256(data).hexdigest()]
        else:
            parts += [f"--- file {name}", data.decode("utf-8")]
        (workdir / name).unlink()
    return normalise("\n".join(parts) + "\n")


def golden_path(case: Case) -> Path:
    return GOLDEN_DIR / f"{case.name}.txt"
