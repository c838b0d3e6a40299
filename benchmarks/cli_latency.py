"""CLI latency: how long ``ecoledger runs``, ``show`` and ``--help`` take, side by side with
``python -c pass`` (the interpreter alone) and ``codecarbon --help`` (a comparable tool).

The ledger is the fixture ledger the tests use (a project of four runs with power samples,
windows and benefits). Commands are run interleaved, ``--repeat`` rounds, as fresh processes;
the table prints each one's median and p90 wall time, its median CPU time (user + sys, less
sensitive to other jobs on a shared machine), and its ratio to ``python -c pass`` measured in
the same rounds. Target: ``ecoledger runs`` under 0.35 s (median wall) on an idle machine.

usage: python benchmarks/cli_latency.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.35


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.fixtures.report_ledger import build_report_ledger

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory(prefix="ecoledger-cli-latency-") as tmp:
        ids = build_report_ledger(Path(tmp) / "ledger.db")
        ecoledger = [sys.executable, "-m", "ecoledger"]
        commands: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
        codecarbon = shutil.which("codecarbon")
        if codecarbon:
            commands["codecarbon --help"] = [codecarbon, "--help"]
        commands["ecoledger --help"] = [*ecoledger, "--help"]
        commands["ecoledger runs"] = [*ecoledger, "runs", "--ledger", str(ids.path)]
        commands["ecoledger show RUN"] = [*ecoledger, "show", ids.train, "--ledger", str(ids.path)]
        for argv in commands.values():  # warm the file cache and the bytecode
            _timed(argv, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                wall, cpu = _timed(argv, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    base = statistics.median(walls["python -c pass"])
    print(f"load average {os.getloadavg()[0]:.2f}; {args.repeat} interleaved rounds")
    print(f"{'command':<22} {'median s':>9} {'p90 s':>7} {'CPU s':>7} {'× python':>9}")
    for name in commands:
        med = statistics.median(walls[name])
        p90 = sorted(walls[name])[int(0.9 * (len(walls[name]) - 1))]
        cpu = statistics.median(cpus[name])
        print(f"{name:<22} {med:9.3f} {p90:7.3f} {cpu:7.3f} {med / base:9.2f}")
    runs = statistics.median(walls["ecoledger runs"])
    verdict = "meets" if runs < TARGET_S else "misses"
    print(f"ecoledger runs: {runs:.3f} s median, {verdict} the {TARGET_S} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
