"""``ecoledger run`` while its ledger fails under it: SQLite locked, full, read-only;
PostgreSQL restarted or down. The job keeps running and exits 0, one warning is printed,
and once the store is back every entry is written exactly once (the chain verifies, no
duplicate id or segment, no gap in the energy beyond one flush). The fault matrix holds
the 30 s versions; these are shorter.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import (
    ChattrReadOnly,
    FaultTrial,
    PgControl,
    SqliteLockHolder,
    TmpfsFull,
    fault_trial,
)

FLUSH_S = 1.0


def _survived(trial: FaultTrial, *, warned: bool | None = True) -> None:
    """``warned``: True → exactly one warning; False → none; None → at most one."""
    o = trial.outcome
    assert trial.exit_code == 0, trial.stderr
    assert o.status == "completed", trial.stderr
    assert o.verify_ok, o.verify_message
    assert o.duplicate_ids == 0 and o.duplicate_segments == 0
    assert o.torn_flushes == 0
    assert o.devices >= 1
    assert o.unrecorded_s <= FLUSH_S, o
    assert "Traceback" not in trial.stderr
    if warned is None:
        assert trial.write_warnings <= 1, trial.stderr
    elif warned:
        assert trial.write_warnings == 1, trial.stderr
    else:
        assert trial.write_warnings == 0, trial.stderr


def test_sqlite_locked_by_another_process(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    holder = SqliteLockHolder(ledger)
    trial = fault_trial(ledger, tmp_path, holder.inject, holder.restore, hold_s=4.0)
    # the 60 s busy timeout rides out a lock held for seconds: no failure, no warning
    _survived(trial, warned=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_sqlite_disk_full(tmp_path: Path) -> None:
    disk = TmpfsFull(tmp_path / "small")
    if not disk.mount():
        pytest.skip("cannot mount a tmpfs here")
    try:
        ledger = str(disk.mountpoint / "ledger.db")
        trial = fault_trial(
            ledger,
            tmp_path,
            disk.inject,
            disk.restore,
            hold_s=4.0,
            env={"ECOLEDGER_JOURNAL_DIR": str(tmp_path / "journal")},
        )
        _survived(trial)
        assert "full" in trial.stderr
    finally:
        disk.unmount()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chattr"), reason="chattr +i needs root")
def test_sqlite_read_only(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    ro = ChattrReadOnly(ledger)
    try:
        trial = fault_trial(ledger, tmp_path, ro.inject, ro.restore, hold_s=4.0)
    finally:
        try:
            ro.restore()
        except Exception:
            pass
    _survived(trial)


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["restart", "down"])
def test_postgres_restarted_or_down(
    fault: str, postgres_server: Any, postgres_url: Callable[[], str], tmp_path: Path
) -> None:
    url = postgres_url()
    pg = PgControl(postgres_server)
    if fault == "restart":
        # a fast restart is often absorbed by the pool's pre-ping: at most one warning
        _survived(fault_trial(url, tmp_path, pg.restart, lambda: None, hold_s=1.0), warned=None)
    else:
        _survived(fault_trial(url, tmp_path, pg.stop, pg.start, hold_s=5.0))


@pytest.mark.postgres
def test_postgres_down_when_the_job_starts(
    postgres_server: Any, postgres_url: Callable[[], str], tmp_path: Path
) -> None:
    """The job runs anyway; its record waits in the local journal; the next run on the
    ledger, once the server is back, writes it (exactly once)."""
    import sys

    from tests.cli.helpers import cli_process
    from tests.faults.harness import analyse

    url = postgres_url()
    from accounting.store import open_ledger

    open_ledger(url).close()  # the ledger exists
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    pg = PgControl(postgres_server)
    pg.stop()
    try:
        done = cli_process(
            "run", "--ledger", url, "--", sys.executable, "-c", "print('job ran')", env=env
        )
    finally:
        pg.start()
    assert done.code == 0 and "job ran" in done.out, done.err
    assert "Traceback" not in done.err
    run_id = done.out.strip().splitlines()[-1]
    journals = list((tmp_path / "state").rglob("*.jsonl"))
    assert len(journals) == 1 and oct(journals[0].stat().st_mode)[-3:] == "600"
    again = cli_process("run", "--ledger", url, "--", "true", env=env)
    assert again.code == 0, again.err
    first = analyse(url, run_id)
    assert first.status == "completed" and first.verify_ok and first.duplicate_ids == 0
    assert not list((tmp_path / "state").rglob("*.jsonl"))
