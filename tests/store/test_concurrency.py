"""Many writer processes at once: nothing lost, nothing duplicated, one valid chain; a reader
alongside never fails and never sees part of a batch."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from accounting.store import open_ledger, verify

HERE = Path(__file__).parent
WRITERS = 8
PER_WRITER = 2000


def spawn(script: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE.parent.parent,
    )


def finish(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0, out
    return out


def run_writers(location: str, tmp_path: Path, count: int, batch: int, writers: int) -> str:
    open_ledger(location).close()  # create it once, as `ecoledger run` would
    stop = tmp_path / "stop"
    reader = spawn("read_worker.py", location, batch, stop)
    procs = [spawn("append_worker.py", location, count, batch, f"w{i}") for i in range(writers)]
    outputs = [finish(proc) for proc in procs]
    stop.touch()
    reads = finish(reader)
    assert all(out.strip() == str(count) for out in outputs), outputs
    assert "locked" not in "".join(outputs) + reads
    return reads


@pytest.mark.slow
def test_eight_writers_two_thousand_appends_each(ledger_url, tmp_path):
    reads = run_writers(ledger_url, tmp_path, PER_WRITER, 1, WRITERS)
    with open_ledger(ledger_url) as ledger:
        rows = list(ledger.iter_stored())
        result = verify(ledger)
    assert len(rows) == WRITERS * PER_WRITER
    assert [row.seq for row in rows] == list(range(1, WRITERS * PER_WRITER + 1))
    assert len({row.id for row in rows}) == WRITERS * PER_WRITER
    per_writer = Counter(row.run_id.split("-")[0] for row in rows)
    assert per_writer == {f"w{i}": PER_WRITER for i in range(WRITERS)}
    assert result.ok and result.checked == WRITERS * PER_WRITER, result.message
    assert int(reads.split()[0]) > 1  # the reader really read while they wrote


@pytest.mark.slow
def test_a_reader_never_sees_half_a_batch(ledger_url, tmp_path):
    run_writers(ledger_url, tmp_path, 1500, 50, 4)
    with open_ledger(ledger_url) as ledger:
        assert ledger.count() == 6000
        assert verify(ledger).ok
