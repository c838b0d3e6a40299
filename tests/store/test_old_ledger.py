"""A ledger written by ecoledger before issue 17 (``data/ledger_v1.sqlite``, made by
``data/make_ledger_v1.py``) still opens, migrates and verifies, and its stored bytes are
still the canonical form of its entries: the canonical JSON did not change under it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from accounting.canonical import canonical_json
from accounting.entries import entry_from_json
from accounting.store import open_ledger, verify

DATA = Path(__file__).parent / "data" / "ledger_v1.sqlite"
HEAD = (22, "96be460ed9462b40f52c7dbbd79ff9c2b4b42805553710023a95c41948caec41")
"""The head printed when the fixture was written (see make_ledger_v1.py)."""


@pytest.fixture
def old_ledger(tmp_path: Path) -> str:
    copy = tmp_path / "old.db"
    shutil.copyfile(DATA, copy)
    return str(copy)


def test_the_old_ledger_opens_and_verifies(old_ledger: str) -> None:
    with open_ledger(old_ledger) as ledger:
        result = verify(ledger)
        assert result.ok, result.message
        assert (result.head_seq, result.head_hash) == HEAD
        assert result.checked == 22


def test_its_payloads_are_still_canonical(old_ledger: str) -> None:
    with open_ledger(old_ledger) as ledger:
        rows = list(ledger.iter_stored())
    assert len(rows) == 22
    for row in rows:
        assert canonical_json(entry_from_json(row.payload)) == row.payload, row.seq


@pytest.mark.parametrize(
    ("seq", "fragment"),
    [
        (1, '"expected_uses":1180591620717411303424'),  # 2**70: beyond 64 bits
        (1, '"--lr","1e-05"'),
        (1, '"name":"fine-tune «bert» \\"quoted\\" \\\\ back/slash\\ttab"'),
        (1, '"tags":["née","line\\nbreak","\u2028sep"]'),
        (5, '"joules":1e-05'),
        (6, '"joules":1e-07'),
        (7, '"joules":1e+16'),
        (8, '"joules":0.30000000000000004'),
        (12, '"power_w":[NaN,280.0,281.5]'),
    ],
)
def test_awkward_values_keep_their_bytes(old_ledger: str, seq: int, fragment: str) -> None:
    with open_ledger(old_ledger) as ledger:
        [row] = list(ledger.stored(after_seq=seq - 1, upto_seq=seq))
    assert fragment in row.payload
    assert canonical_json(entry_from_json(row.payload)) == row.payload


def test_the_migration_backfills_its_energy_segments(old_ledger: str) -> None:
    with open_ledger(old_ledger) as ledger:
        with ledger.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, window_key, device_id, joules, duration_s, count, writer_host, "
                "writer_rank FROM energy_segments ORDER BY seq"
            ).all()
    gpu = "GPU-0000-uuid"
    host = "fixture-host"
    assert [tuple(row) for row in rows] == [
        (3, "run", gpu, 550.0, 2.0, None, host, 0),
        (4, "run", gpu, 549.125, 2.0, None, host, 0),
        (5, "run", gpu, 1e-05, 2.0, None, host, 0),
        (6, "run", gpu, 1e-07, 2.0, None, host, 0),
        (7, "run", gpu, 1e16, 2.0, None, host, 0),
        (8, "run", gpu, 0.30000000000000004, 2.0, None, host, 0),
        (9, "run", "cpu:0", 33.3, 2.0, None, host, 0),
        (10, "phase:train", gpu, 1650.0, 2.0, 3, host, 0),
        (18, "run", gpu, 12.5, 2.0, None, host, 0),
    ]


def test_a_backfilled_segment_is_checked_by_verify(old_ledger: str) -> None:
    with open_ledger(old_ledger):
        pass  # migrates
    conn = sqlite3.connect(old_ledger)
    conn.executescript(
        "DROP TRIGGER energy_segments_no_update;"
        "UPDATE energy_segments SET joules = 5.0 WHERE seq = 18;"
    )
    conn.close()
    with open_ledger(old_ledger) as ledger:
        result = verify(ledger)
    assert not result.ok
    assert result.first_bad_seq == 18
    assert "segment edited" in result.reason
