"""A writer process for the concurrency tests and the benchmark: appends N Energy entries.

usage: python append_worker.py LEDGER COUNT BATCH TAG
Appends COUNT entries in batches of BATCH (1 = one append per entry); each batch's entries
share the run id ``TAG-<batch number>`` so a reader can tell whether it saw a whole batch.
Prints the number appended; exits 1 with the error on any failure.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from accounting.entries import Energy
from accounting.store import open_ledger


def energy(run_id: str, index: int) -> Energy:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    return Energy(
        run_id=run_id,
        window="run",
        device_id="cpu:0",
        device_kind="cpu",
        device_model="test cpu",
        method="cpu_tdp_load",
        approximated=True,
        joules=1.5 * index,
        start=start,
        end=start + timedelta(seconds=1),
        duration_s=1.0,
    )


def main(argv: list[str]) -> int:
    location, count, batch, tag = argv[0], int(argv[1]), int(argv[2]), argv[3]
    with open_ledger(location) as ledger:
        done = 0
        while done < count:
            size = min(batch, count - done)
            run_id = f"{tag}-{done // batch}"
            ledger.append([energy(run_id, done + i) for i in range(size)])
            done += size
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
