"""A reader process for the concurrency tests: reads the ledger while writers append.

usage: python read_worker.py LEDGER BATCH STOP_FILE
Reads new rows after the last seen seq, again and again, until STOP_FILE exists. After each
read every run id must hold exactly BATCH entries (a batch is never seen in part) and seq
must have no gaps. Prints the number of reads; exits 1 with the reason on any failure.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from accounting.store import open_ledger


def main(argv: list[str]) -> int:
    location, batch, stop = argv[0], int(argv[1]), Path(argv[2])
    counts: Counter[str] = Counter()
    last_seq = 0
    reads = 0
    with open_ledger(location) as ledger:
        while True:
            finished = stop.exists()
            rows = list(ledger.stored(after_seq=last_seq))
            for row in rows:
                if row.seq != last_seq + 1:
                    print(f"gap: seq {row.seq} after {last_seq}")
                    return 1
                last_seq = row.seq
                counts[row.run_id] += 1
            partial = {run_id: n for run_id, n in counts.items() if n != batch}
            if partial:
                print(f"half-written batch seen: {sorted(partial.items())[:3]}")
                return 1
            reads += 1
            if finished:
                break
            time.sleep(0.05)
    print(reads, last_seq)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
