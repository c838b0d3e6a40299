"""The batching writer under real ledger write failures (in-process, real SQLite files).

Faults: the database full (``PRAGMA max_page_count`` on the writer's connections), the file
read-only (``chattr +i``, which stops even root), the write lock held by another process,
a lost commit acknowledgement, a journal left by a writer that died. Each time: ``put``
never blocks, one warning, memory bounded, the spill journal is 0600, and once the store is
back every entry is in the ledger exactly once and the chain verifies.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from accounting.entries import Problem, RunStarted
from accounting.store import open_ledger, verify
from accounting.store.journal import journal_dirs
from accounting.store.writer import BufferedWriter

RUN = "f" * 32


def _entries(n: int, tag: str) -> list[Any]:
    return [
        Problem(run_id=RUN, code="t", severity="info", message=f"{tag}-{i}", at=datetime.now(UTC))
        for i in range(n)
    ]


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    led = open_ledger(str(tmp_path / "ledger.db"))
    led.append([RunStarted(run_id=RUN, name="faults", started_at=datetime.now(UTC))])
    yield led
    led.close()


class Full:
    """Cap the database at its current size on the writer's connections (SQLITE_FULL)."""

    def __init__(self, led: Any) -> None:
        self.led, self.on = led, False
        event.listen(led.engine, "connect", self._connect)

    def _connect(self, dbapi: Any, _record: Any) -> None:
        if self.on:
            pages = dbapi.execute("PRAGMA page_count").fetchone()[0]
            dbapi.execute(f"PRAGMA max_page_count={pages}")

    def set(self, on: bool) -> None:
        self.on = on
        self.led.engine.dispose()


def _assert_exactly_once(led: Any, wanted: list[Any]) -> None:
    ids = [row.id for row in led.stored()]
    assert len(ids) == len(set(ids)), "an entry was written twice"
    missing = {e.id for e in wanted} - set(ids)
    assert not missing, f"{len(missing)} entries never reached the ledger"
    assert verify(led).ok


def _journal_files(led: Any) -> list[Path]:
    return [p for d in journal_dirs(led.location) if d.is_dir() for p in d.glob("*.jsonl")]


def test_disk_full_spills_to_a_private_journal_then_writes_everything_once(ledger: Any) -> None:
    warnings: list[str] = []
    writer = BufferedWriter(ledger, flush_interval_s=0.05, warn=warnings.append, max_buffered=50)
    full = Full(ledger)
    written: list[Any] = []
    full.set(True)
    for i in range(8):
        batch = _entries(40, f"full{i}")
        written += batch
        t0 = time.perf_counter()
        writer.put_many(batch)
        assert time.perf_counter() - t0 < 0.05, "put blocked"
        assert writer.flush() is False
        assert writer.buffered <= 50, "memory is not bounded"
    assert writer.spilled >= 8 * 40 - 50
    journal = Path(writer.journal_path or "")
    assert journal.exists() and stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.parent.stat().st_mode) == 0o700
    assert len(warnings) == 1 and "full" in warnings[0], warnings
    full.set(False)
    assert writer.close() is True
    _assert_exactly_once(ledger, written)
    assert not journal.exists(), "an emptied journal is removed"
    assert len(warnings) == 1


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("chattr"), reason="chattr +i needs root and chattr"
)
def test_read_only_ledger_file_keeps_entries_and_writes_them_once_it_is_writable(
    ledger: Any, tmp_path: Path
) -> None:
    files = [str(tmp_path / "ledger.db"), str(tmp_path / "ledger.db-wal")]
    warnings: list[str] = []
    writer = BufferedWriter(ledger, flush_interval_s=0.05, warn=warnings.append, max_buffered=20)
    ran = subprocess.run(["chattr", "+i", *files], capture_output=True)
    if ran.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {ran.stderr.decode().strip()}")
    written: list[Any] = []
    try:
        for i in range(5):
            batch = _entries(10, f"ro{i}")
            written += batch
            writer.put_many(batch)
            assert writer.flush() is False
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    assert len(warnings) == 1
    assert writer.close() is True
    _assert_exactly_once(ledger, written)


def test_lock_held_by_another_process_never_blocks_the_job(ledger: Any, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(3)\n"
            "c.execute('COMMIT')\n",
            str(tmp_path / "ledger.db"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    writer = BufferedWriter(ledger, flush_interval_s=0.1).start()
    written: list[Any] = []
    slowest = 0.0
    t_end = time.monotonic() + 3.5
    while time.monotonic() < t_end:  # the "job": puts entries every 10 ms
        batch = _entries(2, "lock")
        written += batch
        t0 = time.perf_counter()
        writer.put_many(batch)
        slowest = max(slowest, time.perf_counter() - t0)
        time.sleep(0.01)
    holder.wait(timeout=10)
    assert slowest < 0.05, f"put blocked {slowest:.3f} s while the ledger was locked"
    assert writer.close() is True
    _assert_exactly_once(ledger, written)


def test_lost_commit_acknowledgement_is_not_written_twice(ledger: Any) -> None:
    """The commit happens, then the connection dies before the answer (a retry follows)."""
    real_append = ledger.append
    calls = {"n": 0}

    def append_then_lose_ack(entries: Any, **kw: Any) -> Any:
        result = real_append(entries, **kw)
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("connection lost after commit")
        return result

    ledger.append = append_then_lose_ack
    writer = BufferedWriter(ledger, flush_interval_s=0.05, warn=lambda m: None)
    batch = _entries(30, "ack")
    writer.put_many(batch)
    assert writer.flush() is False
    assert writer.flush() is True
    _assert_exactly_once(ledger, batch)
    assert ledger.count("problem") == 30


def test_backoff_spaces_retries_during_an_outage(ledger: Any) -> None:
    full = Full(ledger)
    full.set(True)
    writer = BufferedWriter(ledger, flush_interval_s=0.05, warn=lambda m: None, max_backoff_s=0.8)
    writer.put_many(_entries(300, "b"))
    writer.start()
    time.sleep(2.0)
    attempts = writer.failed_attempts
    full.set(False)
    assert writer.close() is True
    # without backoff 40 attempts in 2 s; with it 0.05, 0.1, 0.2, 0.4, 0.8, 0.8 ... ≈ 6
    assert 2 <= attempts <= 10, attempts


def test_store_still_down_at_close_keeps_entries_in_the_journal_for_the_next_writer(
    ledger: Any, tmp_path: Path
) -> None:
    full = Full(ledger)
    full.set(True)
    warnings: list[str] = []
    writer = BufferedWriter(
        ledger, flush_interval_s=0.05, warn=warnings.append, close_timeout_s=0.5
    )
    batch = _entries(25, "down")
    writer.put_many(batch)
    t0 = time.monotonic()
    assert writer.close() is False
    assert time.monotonic() - t0 < 3.0, "close is bounded"
    journals = _journal_files(ledger)
    assert len(journals) == 1 and stat.S_IMODE(journals[0].stat().st_mode) == 0o600
    assert any(str(journals[0]) in w for w in warnings)
    full.set(False)
    # "restart": a new writer on the same ledger replays the journal when it starts
    later = BufferedWriter(ledger, flush_interval_s=0.05).start()
    assert later.close() is True
    assert later.replayed == 25
    _assert_exactly_once(ledger, batch)
    assert not _journal_files(ledger)


def test_journal_of_a_killed_writer_is_replayed_once_and_a_live_ones_is_left_alone(
    ledger: Any, tmp_path: Path
) -> None:
    """A writer process spills, then is SIGKILLed; its journal has a torn last line."""
    script = (
        "import os, signal, sys\n"
        "from datetime import UTC, datetime\n"
        "from accounting.entries import Problem\n"
        "from accounting.store import open_ledger\n"
        "from accounting.store.journal import Journal\n"
        "led = open_ledger(sys.argv[1])\n"
        "j = Journal(led.location)\n"
        "es = [Problem(run_id='f'*32, code='t', severity='info', message=f'k{i}',\n"
        "              at=datetime.now(UTC)) for i in range(40)]\n"
        "led.append(es[:10])  # some were written before the crash\n"
        "j.append(es)\n"
        'os.write(j._fd, b\'{"kind": "probl\')  # torn by the kill\n'
        "print(j.path, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]}
    done = subprocess.run(
        [sys.executable, "-c", script, ledger.location],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == -9, done.stderr
    journal = Path(done.stdout.strip())
    assert journal.exists()
    live = BufferedWriter(ledger, flush_interval_s=0.05, warn=lambda m: None)
    full = Full(ledger)
    full.set(True)
    live.put_many(_entries(5, "live"))
    live.flush()
    live._spill_all()  # a live writer's journal, under its lock
    full.set(False)
    other = BufferedWriter(ledger, flush_interval_s=0.05)
    assert other.replay_leftovers() == 40
    assert not journal.exists()
    assert Path(live.journal_path or "").exists(), "a live writer's journal was taken"
    assert ledger.count("problem") == 40
    assert live.close() is True
    assert ledger.count("problem") == 45
    ids = [row.id for row in ledger.stored()]
    assert len(ids) == len(set(ids))
    assert verify(ledger).ok


def test_put_from_many_threads_during_an_outage_loses_nothing(ledger: Any) -> None:
    full = Full(ledger)
    full.set(True)
    writer = BufferedWriter(ledger, flush_interval_s=0.02, warn=lambda m: None, max_buffered=30)
    writer.start()
    made: list[list[Any]] = [[] for _ in range(4)]

    def produce(k: int) -> None:
        for i in range(20):
            batch = _entries(3, f"t{k}-{i}")
            made[k] += batch
            writer.put_many(batch)
            time.sleep(0.005)

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.2)
    full.set(False)
    assert writer.close() is True
    _assert_exactly_once(ledger, [e for part in made for e in part])
    assert ledger.count("problem") == 4 * 20 * 3
