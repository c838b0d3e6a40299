"""``ecoledger runs``: newest 50 by default, ``--limit N``, ``--all``; the light reader
(stdlib sqlite3, no SQLAlchemy nor pydantic) lists what the full run views list."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounting import run_list
from accounting.entries import Correction, Energy, EntrySource, RunEnded, RunStarted
from accounting.run_list import _page_of_views, list_run_page
from accounting.store import open_ledger
from tests.cli.helpers import REPO, cli
from tests.fixtures.report_ledger import build_report_ledger

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SOURCE = EntrySource(host="node-z", pid=None, origin="test")


def _run(i: int, joules: float = 3600.0, ended: bool = True, project: str = "p") -> list[Any]:
    run_id = f"{i:032x}"
    start = T0 + timedelta(hours=i)
    entries: list[Any] = [
        RunStarted(
            run_id=run_id,
            recorded_at=start,
            source=SOURCE,
            name=f"run-{i}",
            project=project,
            started_at=start,
        ),
        Energy(
            run_id=run_id,
            recorded_at=start + timedelta(seconds=60),
            source=SOURCE,
            window="run",
            device_id="gpu-0",
            device_kind="gpu",
            device_model="Fake",
            method="nvml_energy_counter",
            approximated=False,
            joules=joules,
            start=start,
            end=start + timedelta(seconds=60),
            duration_s=60.0,
        ),
    ]
    if ended:
        entries.append(
            RunEnded(
                run_id=run_id,
                recorded_at=start + timedelta(seconds=60),
                source=SOURCE,
                status="completed",
                ended_at=start + timedelta(seconds=60),
                duration_s=60.0,
            )
        )
    return entries


@pytest.fixture
def many_runs(tmp_path: Path) -> Path:
    path = tmp_path / "many.db"
    with open_ledger(str(path)) as ledger:
        ledger.append([entry for i in range(1, 56) for entry in _run(i)])
    return path


def _ids(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:] if line.startswith("0000")]


def test_newest_fifty_by_default_with_a_footer(capsys: Any, many_runs: Path) -> None:
    result = cli(capsys, "runs", "--ledger", str(many_runs))
    assert result.code == 0
    ids = _ids(result.out)
    assert len(ids) == 50
    assert "run-55" in result.out.splitlines()[1] and "run-6" in result.out.splitlines()[50]
    assert "run-5\n" not in result.out
    assert result.out.splitlines()[-1] == (
        "newest 50 of 55 runs shown: --all lists every run, --limit N the newest N"
    )


def test_all_and_limit(capsys: Any, many_runs: Path) -> None:
    every = cli(capsys, "runs", "--ledger", str(many_runs), "--all", "--json").json()
    assert [run["name"] for run in every] == [f"run-{i}" for i in range(55, 0, -1)]
    assert every[0]["energy_it_kwh"] == 0.001  # 3,600 J
    three = cli(capsys, "runs", "--ledger", str(many_runs), "--limit", "3", "--json")
    assert [run["name"] for run in three.json()] == ["run-55", "run-54", "run-53"]
    assert "newest 3 of 55 runs shown" in three.err
    text = cli(capsys, "runs", "--ledger", str(many_runs), "--limit", "60")
    assert "shown" not in text.out and len(text.out.splitlines()) == 56


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--limit", "0"], "--limit must be ≥ 1"),
        (["--limit", "ten"], "--limit must be a whole number"),
        (["--limit", "3", "--all"], "not allowed with argument"),
    ],
)
def test_bad_limit_is_one_line_exit_2(
    capsys: Any, many_runs: Path, argv: list[str], needle: str
) -> None:
    result = cli(capsys, "runs", "--ledger", str(many_runs), *argv)
    assert result.code == 2
    assert needle in result.err and len(result.err.strip().splitlines()) == 1


def test_the_light_reader_matches_the_run_views(tmp_path: Path) -> None:
    """Finished, lost, corrected and empty runs: the light page equals list_runs' page."""
    ids = build_report_ledger(tmp_path / "report.db")
    path = tmp_path / "mixed.db"
    with open_ledger(str(path)) as ledger:
        ledger.append([*_run(1, joules=7200.0), *_run(2, ended=False), *_run(3, project="q")])
    now = T0 + timedelta(days=1)
    for ledger_path in (ids.path, path):
        light = list_run_page(str(ledger_path), limit=None, now=now)
        with open_ledger(str(ledger_path), create=False) as ledger:
            full = _page_of_views(ledger, None, None, now, run_list.writer_state)
        assert light == full
    mixed = list_run_page(str(path), limit=None, now=now)
    assert [(r.name, r.status, r.duration_s) for r in mixed.runs] == [
        ("run-3", "completed", 60.0),
        ("run-2", "lost", 60.0),  # last entry 60 s after its start, silent since
        ("run-1", "completed", 60.0),
    ]
    assert mixed.runs[2].energy_it_kwh == 0.002
    only_q = list_run_page(str(path), project="q", now=now)
    assert [r.name for r in only_q.runs] == ["run-3"] and only_q.total == 1


def test_a_corrected_run_is_read_through_the_run_views(tmp_path: Path) -> None:
    path = tmp_path / "corrected.db"
    entries = _run(1, joules=7200.0)
    with open_ledger(str(path)) as ledger:
        ledger.append(entries)
        ledger.append(
            [
                Correction(
                    run_id=entries[0].run_id,
                    source=SOURCE,
                    target_id=entries[1].id,
                    reason="double counted",
                )
            ]
        )
    page = list_run_page(str(path))
    assert page.runs[0].energy_it_kwh == 0.0  # the only segment is voided


def test_runs_loads_neither_sqlalchemy_nor_pydantic(many_runs: Path) -> None:
    code = (
        "import sys; from ecoledger.cli.main import main; "
        f"main(['runs', '--ledger', {str(many_runs)!r}]); "
        "print('LOADED', sorted(m for m in ('sqlalchemy', 'pydantic') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stdout


def test_the_light_reader_knows_what_the_store_knows() -> None:
    from accounting import runs
    from accounting.store import location, migrations

    assert run_list.KNOWN_MIGRATIONS == migrations.KNOWN
    assert (run_list.LEDGER_ENV, run_list.DEFAULT_LEDGER_PATH) == (
        location.LEDGER_ENV,
        location.DEFAULT_LEDGER_PATH,
    )
    assert (
        run_list._LOST_AFTER_MIN_S,
        run_list._LOST_AFTER_FLUSHES,
        run_list._DEFAULT_FLUSH_INTERVAL_S,
    ) == (runs.LOST_AFTER_MIN_S, runs.LOST_AFTER_FLUSHES, runs.DEFAULT_FLUSH_INTERVAL_S)


@pytest.mark.postgres
def test_postgres_pages_like_sqlite(capsys: Any, postgres_url: Any) -> None:
    url = postgres_url()
    with open_ledger(url) as ledger:
        ledger.append([entry for i in range(1, 5) for entry in _run(i)])
    result = cli(capsys, "runs", "--ledger", url, "--limit", "2", "--json")
    assert result.code == 0
    assert [run["name"] for run in result.json()] == ["run-4", "run-3"]
    assert "newest 2 of 4 runs shown" in result.err
