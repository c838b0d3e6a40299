"""Every command's words in one table: the module that registers it, its one-line help,
its description and its examples.

``ecoledger --help`` is drawn from this table without importing any command module, and
each module's ``register()`` builds its parser from the same row (``common.add_command``),
so the two can never disagree. A row's key is the command as typed: ``"runs"``, or
``"benefit add"`` for an action of a command.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandText:
    module: str
    help: str
    description: str | None = None
    examples: str | None = None
    raw: bool = True
    """Print the description and examples as written; else argparse re-wraps them."""
    ledger_first: bool = False
    """``--ledger`` is the command's first option (else the module adds it where it wants)."""


COMMANDS: dict[str, CommandText] = {
    "run": CommandText(
        "ecoledger.cli.cmd_run",
        "run a command and meter it",
        "Run CMD as a child process, meter its energy, and record it in the ledger.",
        "example: ecoledger run --name tiny --project demo -- python examples/train_tiny.py",
        raw=False,
        ledger_first=True,
    ),
    "runs": CommandText(
        "ecoledger.cli.cmd_runs",
        "list runs, newest first",
        examples="example: ecoledger runs --json --limit 10",
        raw=False,
        ledger_first=True,
    ),
    "show": CommandText(
        "ecoledger.cli.cmd_runs",
        "one run: energy per device, windows, costs and benefits",
        examples="example: ecoledger show 3f2a9c1d --json",
        raw=False,
        ledger_first=True,
    ),
    "demo": CommandText(
        "ecoledger.cli.cmd_demo",
        "train and serve a small real model, metered, and report its cost and benefit",
        examples="example: ecoledger demo --seconds 10",
        raw=False,
        ledger_first=True,
    ),
    "sources": CommandText(
        "ecoledger.cli.cmd_sources",
        "show which energy sources would be used, and why",
        "Probe NVML, RAPL and the CPU/RAM estimates, and say for each candidate whether it "
        "would be used and why. Example: ecoledger sources --gpus 0,1 --json",
        raw=False,
    ),
    "assess": CommandText(
        "ecoledger.cli.cmd_assess",
        "price a run's energy, carbon, water and embodied carbon against its benefits",
        "The net-benefit assessment of one run: "
        "social + environmental − energy − carbon − secondary.",
        """example:
  ecoledger assess 1a2b3c4d --country FRA --compare-countries POL,SWE --json
  ecoledger assess 1a2b3c4d --assumptions team.toml --record
""",
    ),
    "estimate": CommandText(
        "ecoledger.cli.cmd_assess",
        "the same assessment without a measured run (hardware × hours, or kWh)",
        "Assess a planned or published job from its energy or hardware × hours.",
        """examples:
  ecoledger estimate --gpus 8 --gpu-power-w 296 --hours 84 --pue 1.59 --intensity-g-per-kwh 429
  ecoledger estimate --energy-kwh 1287000 --pue 1.0 --intensity-g-per-kwh 429 \\
      --scc scc:epa-2023-2.0 --emission-year 2020 --json
""",
    ),
    "benefit": CommandText("ecoledger.cli.cmd_benefit", "declare benefits of a run", raw=False),
    "benefit add": CommandText(
        "ecoledger.cli.cmd_benefit",
        "declare a social (USD) or environmental (avoided kgCO2e) benefit",
        examples="""example:
  ecoledger benefit add 1a2b3c4d --social 1200 --rationale "triage time saved" --source "pilot 2024"
  ecoledger benefit add 1a2b3c4d --per-request 0.002 --rationale "..." --source "..."
  ecoledger benefit add 1a2b3c4d --avoided-kgco2e 50 --rationale "route optimisation" --source "..."
""",
    ),
    "verify": CommandText(
        "ecoledger.cli.cmd_verify",
        "recompute the hash chain; exit 1 naming the first bad entry",
        "Recompute every entry's hash and its link to the previous one. Exits 0 when the "
        "ledger is intact, 1 naming the first bad seq/id when an entry was edited, removed, "
        "inserted or reordered. Removal of the newest entries needs an anchor: keep the head "
        "printed here and pass it later with --anchor.",
        """examples:
  ecoledger verify
  ecoledger verify --ledger postgresql://me@db.example/ecoledger --json
  ecoledger verify --anchor 1042:3f5a…(64 hex digits)   # the head printed by an earlier verify
  ecoledger verify --report carbon-report.json
  ecoledger verify --repair-triggers   # re-create append-only triggers dropped by hand
""",
        ledger_first=True,
    ),
    "export": CommandText(
        "ecoledger.cli.cmd_export",
        "export entries to CSV, Parquet or JSON Lines",
        "Write every entry (or one run's) with seq, id, run_id, kind, recorded_at, payload "
        "(canonical JSON), prev_hash and hash, so the file can be checked and re-imported.",
        """examples:
  ecoledger export --format jsonl --out ledger.jsonl
  ecoledger export --run 3f5a9c1e --format csv --out run.csv
  ecoledger export --format parquet --out ledger.parquet --force
""",
        ledger_first=True,
    ),
    "import": CommandText(
        "ecoledger.cli.cmd_export",
        "import a JSON Lines export that continues this ledger's chain",
        "Re-import entries from 'ecoledger export --format jsonl'. They must continue this "
        "ledger's chain (entries it already holds are skipped); otherwise nothing is written "
        "and the command exits 2. --rechain appends them after this ledger's head instead.",
        """examples:
  ecoledger import ledger.jsonl --ledger restored.db
  ecoledger import colleague-run.jsonl --rechain
""",
        ledger_first=True,
    ),
    "ledger": CommandText(
        "ecoledger.cli.cmd_ledger", "manage ledgers (copy)", "Manage ledgers.", raw=False
    ),
    "ledger copy": CommandText(
        "ecoledger.cli.cmd_ledger",
        "copy every entry to another ledger, keeping ids and hashes, and verify it",
        "Copy SRC into DST (a SQLite path or a postgresql:// URL) keeping seq, ids and "
        "hashes. SRC is verified first and DST after. DST must be empty or hold an "
        "earlier copy of SRC; an interrupted copy resumes where it stopped.",
        """examples:
  ecoledger ledger copy ecoledger.db postgresql://me@db.example/ecoledger
  ecoledger ledger copy postgresql://me@db.example/ecoledger backup.db --json
""",
    ),
    "dashboard": CommandText(
        "ecoledger.cli.cmd_dashboard",
        "open the cost dashboard (Streamlit) on a ledger",
        "Start the Streamlit cost dashboard on a ledger, on 127.0.0.1 unless --host "
        "says otherwise. It reads the ledger and writes only benefit and assumption entries.",
        "example: ecoledger dashboard --ledger runs.db --port 8502",
        raw=False,
    ),
    "report": CommandText(
        "ecoledger.cli.cmd_report",
        "write a carbon report (md, latex, html, pdf, json, model-card) of a run or project",
        "Write a carbon report of one run (with the training run it amortizes) or of every "
        "run of a project (failed ones included). Every format carries the same facts, the "
        "ledger's chain hash at the last entry used, the assumptions, the ecoledger version "
        "and the command that regenerates it; check it later with ecoledger verify --report.",
        """examples:
  ecoledger report 1a2b3c4d --format md --out report.md
  ecoledger report 1a2b3c4d --format latex --out appendix.tex --figures figures/
  ecoledger report 1a2b3c4d --format model-card --out README.md --assumptions team.toml
  ecoledger report --project paper --since 2026-01-01 --until 2026-03-31 --format pdf --out paper.pdf
  ecoledger report --schema
  ecoledger verify --report report.json
""",
    ),
}
"""In the order ``ecoledger --help`` lists the commands."""


def top_level() -> dict[str, CommandText]:
    """The commands typed first (``benefit``, not ``benefit add``)."""
    return {name: text for name, text in COMMANDS.items() if " " not in name}
