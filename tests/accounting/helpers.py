"""Helpers for the accounting tests: run the CLI in-process; build real SQLite ledgers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from accounting.entries import (
    Benefit,
    Energy,
    EntrySource,
    RunEnded,
    RunStarted,
    Usage,
)
from ecoledger.cli.main import main

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
SOURCE = EntrySource(host="testhost", pid=1)


def cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors exit
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys: Any, *args: str) -> dict[str, Any]:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def estimate_json(capsys: Any, *args: str) -> dict[str, Any]:
    return cli_json(capsys, "estimate", *args)


def add_run(
    ledger: Any,
    run_id: str,
    segments: Sequence[tuple[float, float, float]],
    *,
    start: datetime = T0,
    device_kind: str = "cpu",
    device_model: str = "test cpu",
    method: str = "rapl",
    run_kind: str = "training",
    country: str | None = None,
    pue: float | None = None,
    parent_run_id: str | None = None,
    expected_uses: int | None = None,
    requests: int = 0,
    benefits: Sequence[Benefit] = (),
) -> None:
    """A finished run with ``run``-window segments (offset_s, duration_s, joules) of one device."""
    end_s = max((o + d for o, d, _ in segments), default=0.0)
    entries: list[Any] = [
        RunStarted(
            run_id=run_id,
            name=f"test {run_id}",
            run_kind=run_kind,  # type: ignore[arg-type]
            started_at=start,
            country=country,
            pue=pue,
            parent_run_id=parent_run_id,
            expected_uses=expected_uses,
            source=SOURCE,
            recorded_at=start,
        )
    ]
    for offset_s, duration_s, joules in segments:
        begin = start + timedelta(seconds=offset_s)
        entries.append(
            Energy(
                run_id=run_id,
                window="run",
                device_id=f"{device_kind}:0",
                device_kind=device_kind,  # type: ignore[arg-type]
                device_model=device_model,
                method=method,
                approximated=False,
                joules=joules,
                start=begin,
                end=begin + timedelta(seconds=duration_s),
                duration_s=duration_s,
                source=SOURCE,
                recorded_at=begin + timedelta(seconds=duration_s),
            )
        )
    if requests:
        entries.append(Usage(run_id=run_id, requests=requests, source=SOURCE, recorded_at=start))
    entries.extend(benefits)
    entries.append(
        RunEnded(
            run_id=run_id,
            status="completed",
            ended_at=start + timedelta(seconds=end_s),
            duration_s=end_s,
            source=SOURCE,
            recorded_at=start + timedelta(seconds=end_s),
        )
    )
    ledger.append(entries)


# a neutral assumption set: only electricity is priced, at 0.10 USD/kWh
NEUTRAL = (
    "--pue",
    "1",
    "--price-per-kwh",
    "0.1",
    "--intensity-g-per-kwh",
    "0",
    "--water",
    "none",
    "--embodied-kg-per-gpu",
    "0",
    "--embodied-kg-per-host",
    "0",
)
