"""Check (default) or rewrite (``--update``) the golden outputs in ``tests/golden/outputs``.

    python -m tests.golden.regenerate            # list the cases whose output changed
    python -m tests.golden.regenerate --update   # write today's outputs as the new goldens

Only update after reading the diff: a golden file changes only when a command's output is
meant to change.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.golden.cases import CASES, GOLDEN_DIR, build_workdir, golden_path, record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = parser.parse_args(argv)
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = build_workdir(Path(tmp))
        GOLDEN_DIR.mkdir(exist_ok=True)
        for case in CASES:
            text = record(case, workdir)
            path = golden_path(case)
            if not path.exists() or path.read_bytes().decode("utf-8") != text:
                changed.append(case.name)
                if args.update:
                    path.write_bytes(text.encode("utf-8"))
    stale = {p.stem for p in GOLDEN_DIR.glob("*.txt")} - {c.name for c in CASES}
    for name in sorted(stale):
        print(f"stale golden file (no such case): {name}.txt")
        if args.update:
            (GOLDEN_DIR / f"{name}.txt").unlink()
    verb = "updated" if args.update else "differ"
    for name in changed:
        print(f"{verb}: {name}")
    return 0 if args.update or not (changed or stale) else 1


if __name__ == "__main__":
    sys.exit(main())
