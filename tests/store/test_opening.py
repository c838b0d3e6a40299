"""Migrations are recorded; a foreign, non-SQLite or newer database is refused untouched."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys

import psycopg
import pytest

from accounting.errors import NewerLedger, NotALedger
from accounting.store import open_ledger
from accounting.store.migrations import MIGRATIONS
from tests.store.helpers import small_run

NAMES = [name for name, _ in MIGRATIONS]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ecoledger", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrations_are_recorded_in_order(ledger_url):
    with open_ledger(ledger_url) as ledger:
        with ledger.engine.connect() as conn, conn.begin():
            rows = conn.exec_driver_sql("SELECT name, applied_at FROM ecoledger_migrations").all()
    assert [name for name, _ in rows] == [
        "0001_entries",
        "0002_append_only_triggers",
        "0003_power_batches",
        "0004_seq_positive",
        "0005_meta",
        "0006_energy_segments",
    ]
    assert all(applied for _, applied in rows)


def test_reopening_applies_nothing_and_keeps_entries(ledger_url):
    with open_ledger(ledger_url) as ledger:
        ledger.append(small_run("a" * 32))
        head = ledger.head()
    with open_ledger(ledger_url, create=False) as again:
        assert again.head() == head and again.count() == 5
        with again.engine.connect() as conn, conn.begin():
            count = conn.exec_driver_sql("SELECT count(*) FROM ecoledger_migrations").scalar()
        assert count == len(NAMES)


def test_an_older_ledger_is_migrated_and_its_samples_backfilled(tmp_path):
    path = tmp_path / "old.db"
    with open_ledger(str(path)) as ledger:
        ledger.append(small_run("a" * 32))
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER power_batches_no_delete")
    conn.execute("DROP TABLE power_batches")
    conn.execute("DELETE FROM ecoledger_migrations WHERE name = '0003_power_batches'")
    conn.commit()
    conn.close()
    with open_ledger(str(path)) as ledger:
        [series] = ledger.power_series("a" * 32)
        assert series.power_w == (100.0, 110.0, 120.0)


def _foreign_sqlite(path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    _foreign_sqlite(path)
    before = digest(path)
    with pytest.raises(NotALedger, match="not an ecoledger ledger"):
        open_ledger(str(path))
    assert digest(path) == before
    assert not (tmp_path / "notes.db-wal").exists()
    done = cli("verify", "--ledger", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"ecoledger: error: ledger: {path} is not an ecoledger ledger "
        "(a SQLite database without ecoledger_migrations)"
    )
    assert digest(path) == before


@pytest.mark.parametrize("content", [b"hello, this is a text file\n", b"\x00" * 5000])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(NotALedger, match="not a SQLite file"):
        open_ledger(str(path))
    assert path.read_bytes() == content
    done = cli("export", "--ledger", str(path), "--format", "jsonl", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "not an ecoledger ledger (not a SQLite file)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == content


def test_a_newer_sqlite_ledger_is_refused_untouched(tmp_path):
    path = tmp_path / "new.db"
    with open_ledger(str(path)) as ledger:
        ledger.append(small_run("a" * 32))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("INSERT INTO ecoledger_migrations VALUES ('0999_from_the_future', 'later')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = digest(path)
    with pytest.raises(NewerLedger, match="0999_from_the_future"):
        open_ledger(str(path))
    done = cli("verify", "--ledger", str(path))
    assert done.returncode == 2
    assert "newer ecoledger (unknown migration 0999_from_the_future)" in done.stderr
    assert digest(path) == before


@pytest.mark.postgres
def test_a_foreign_postgres_database_is_refused(postgres_url):
    url = postgres_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int)")
    with pytest.raises(NotALedger, match="not an ecoledger ledger"):
        open_ledger(url)
    with psycopg.connect(url) as conn:
        tables = {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert tables == {"notes"}


@pytest.mark.postgres
def test_a_newer_postgres_ledger_is_refused(postgres_url):
    url = postgres_url()
    open_ledger(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO ecoledger_migrations VALUES ('0999_from_the_future', 'later')")
    with pytest.raises(NewerLedger, match="0999_from_the_future"):
        open_ledger(url)
    done = cli("verify", "--ledger", url)
    assert done.returncode == 2 and "newer ecoledger" in done.stderr


def test_a_missing_ledger_is_not_created_by_readers(tmp_path):
    path = tmp_path / "absent.db"
    done = cli("verify", "--ledger", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"ecoledger: error: ledger: {path} does not exist"
    assert not path.exists()


def test_new_sqlite_ledger_and_its_wal_files_are_private(tmp_path):
    path = tmp_path / "private.db"
    old = os.umask(0o022)
    try:
        with open_ledger(str(path)) as ledger:
            ledger.append(small_run("a" * 32))
            modes = {
                suffix: (tmp_path / f"private.db{suffix}").stat().st_mode & 0o777
                for suffix in ("", "-wal", "-shm")
            }
    finally:
        os.umask(old)
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_a_password_in_a_postgres_url_never_shows(tmp_path, capsys, monkeypatch):
    from ecoledger.cli.main import main

    url = "postgresql://alice:s3cr3t-pw@127.0.0.1:1/ledger"
    done = cli("verify", "--ledger", url)
    assert done.returncode == 1
    assert "s3cr3t-pw" not in done.stdout + done.stderr
    assert done.stderr.startswith(
        "ecoledger: error: ledger: cannot use postgresql://alice:***@127.0.0.1:1/ledger"
    )
    for args in (
        ["ledger", "copy", url, str(tmp_path / "copy.db")],
        ["export", "--ledger", url, "--format", "jsonl", "--out", str(tmp_path / "x.jsonl")],
        ["import", "--ledger", url, str(tmp_path / "x.jsonl")],
    ):
        assert main(args) == 1, args
        captured = capsys.readouterr()
        assert "s3cr3t-pw" not in captured.out + captured.err
        assert captured.err.startswith(
            "ecoledger: error: ledger: cannot use postgresql://alice:***@127.0.0.1:1/ledger: "
        ), args
    monkeypatch.setenv("ECOLEDGER_LEDGER", url)
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert "s3cr3t-pw" not in captured.out + captured.err and "alice:***@" in captured.err
