"""A run's energy read from ``energy_segments`` (summed by the database) gives the same run
view as parsing every Energy entry, with figures checked by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounting.assessment import assess_run
from accounting.entries import Correction, Energy, EntrySource, RunEnded, RunStarted
from accounting.runs import build_run_view, full_entries, load_run
from accounting.store import open_ledger

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RUN = "e" * 32


def seg(
    k: int,
    joules: float,
    device: str = "gpu:0",
    host: str = "h1",
    rank: int | None = 0,
    window: str = "run",
    method: str = "nvml_energy_counter",
    approximated: bool = False,
    count: int | None = None,
) -> Energy:
    return Energy(
        run_id=RUN,
        window=window,
        device_id=device,
        device_kind="gpu" if device.startswith("gpu") else "cpu",
        device_model="A100" if device.startswith("gpu") else "EPYC",
        method=method,
        approximated=approximated,
        joules=joules,
        start=T0 + timedelta(seconds=2 * k),
        end=T0 + timedelta(seconds=2 * k + 2),
        duration_s=2.0,
        count=count,
        recorded_at=T0 + timedelta(seconds=2 * k + 2),
        source=EntrySource(host=host, pid=7, rank=rank),
    )


def entries() -> list:
    return [
        RunStarted(
            run_id=RUN,
            name="mixed",
            started_at=T0,
            country="FRA",
            recorded_at=T0,
            source=EntrySource(host="h1", pid=7, rank=0),
        ),
        seg(0, 500.0),
        seg(0, 480.0, rank=1),
        seg(0, 60.0, device="cpu:0", method="cpu_tdp_load", approximated=True),
        seg(1, 510.0),
        seg(1, 470.0, host="h2", rank=None),
        seg(1, 1000.0, window="phase:train", count=10),
        seg(2, 505.5, method="nvml_power_sampled"),
        seg(2, 990.0, window="phase:train", count=25),
        seg(3, 1200.0, window="phase:train", count=20, host="h2", rank=None),
        seg(3, 100.0, window="phase:eval", count=None),
        RunEnded(
            run_id=RUN,
            status="completed",
            ended_at=T0 + timedelta(seconds=8),
            duration_s=8.0,
            recorded_at=T0 + timedelta(seconds=9),
            source=EntrySource(host="h1", pid=7, rank=0),
        ),
    ]


@pytest.fixture
def ledger(ledger_url):
    with open_ledger(ledger_url) as opened:
        opened.append(entries())
        yield opened


def test_the_summed_view_has_the_figures_by_hand(ledger) -> None:
    view = load_run(ledger, RUN)
    by_device = {(d.device_id, d.host, d.rank): d for d in view.devices}
    assert by_device[("gpu:0", "h1", 0)].energy_j == 500.0 + 510.0 + 505.5
    assert by_device[("gpu:0", "h1", 0)].method == "nvml_energy_counter+nvml_power_sampled"
    assert by_device[("gpu:0", "h1", 0)].metered_s == 6.0
    assert by_device[("gpu:0", "h1", 1)].energy_j == 480.0
    assert by_device[("gpu:0", "h2", None)].energy_j == 470.0
    assert by_device[("cpu:0", "h1", 0)].approximated is True
    assert view.energy_it_j == 500 + 480 + 60 + 510 + 470 + 505.5
    assert view.hosts == ("h1", "h2")
    windows = {w.key: w for w in view.windows}
    assert windows["phase:train"].energy_j == 1000 + 990 + 1200
    assert windows["phase:train"].count == 25  # h1's last count 25, h2's 20: the largest
    assert windows["phase:train"].start == T0 + timedelta(seconds=2)
    assert windows["phase:train"].end == T0 + timedelta(seconds=8)
    assert windows["phase:eval"].count is None
    assert view.last_recorded_at == T0 + timedelta(seconds=9)


def test_the_summed_view_equals_the_parsed_one(ledger) -> None:
    summed = load_run(ledger, RUN)
    parsed = build_run_view(full_entries(ledger, RUN))
    assert summed == parsed


def test_assess_run_reads_the_same_energy(ledger) -> None:
    result = assess_run(ledger, RUN)
    assert result.energy_it_kwh == pytest.approx((500 + 480 + 60 + 510 + 470 + 505.5) / 3.6e6)


def test_a_second_read_at_the_same_head_gives_the_same_view_and_an_append_is_seen(
    ledger,
) -> None:
    """``show`` reads a run twice (its view, its assessment): the second read at the same head
    is the first one's answer; one entry appended after it is in the next read."""
    first = load_run(ledger, RUN)
    assert load_run(ledger, RUN) == first
    ledger.append([seg(4, 250.0)])
    assert load_run(ledger, RUN).energy_it_j == first.energy_it_j + 250.0


def test_a_correction_sends_the_run_down_the_parsing_path(ledger) -> None:
    victim = [e for e in ledger.entries(run_id=RUN) if e.kind == "energy"][0]
    assert victim.joules == 500.0
    ledger.append(
        [
            Correction(
                run_id=RUN,
                target_id=victim.id,
                reason="double-counted",
                source=EntrySource(host="h1", pid=7, rank=0),
            )
        ]
    )
    assert ledger.summarized_entries(RUN, ["run_started", "energy"]) is None
    view = load_run(ledger, RUN)
    assert view.energy_it_j == 480 + 60 + 510 + 470 + 505.5
    assert assess_run(ledger, RUN).energy_it_kwh == pytest.approx(view.energy_it_j / 3.6e6)


@pytest.mark.postgres
def test_a_nul_in_a_text_field_is_stored_and_read_back_on_postgres(postgres_url: Any) -> None:
    """PostgreSQL text and jsonb cannot hold NUL: the derived row holds U+FFFD, the entry keeps
    the NUL, the run is read from the parsed entries (they disagree) and the ledger verifies."""
    from accounting.store import verify
    from tests.store.helpers import small_run

    with open_ledger(postgres_url()) as ledger:
        entries = small_run("d" * 32)
        energy = next(e for e in entries if e.kind == "energy")  # 10 J; the other is 20 J
        hostile = energy.model_copy(update={"method": "nvml\x00counter"})
        ledger.append([hostile if e is energy else e for e in entries])
        methods = [e.method for e in ledger.entries(run_id="d" * 32) if e.kind == "energy"]
        assert "nvml\x00counter" in methods
        view = load_run(ledger, "d" * 32)
        assert sum(d.energy_j for d in view.devices) == pytest.approx(30.0)
        assert any("nvml\x00counter" in d.method for d in view.devices)
        assert verify(ledger).ok
