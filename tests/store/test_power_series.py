"""Power samples read back per device, in a time range, downsampled to at most N points."""

from __future__ import annotations

import pytest

from accounting.errors import InputError
from accounting.store import open_ledger
from tests.store.helpers import run_started, samples

RUN = "p" * 32


@pytest.fixture
def ledger(ledger_url):
    with open_ledger(ledger_url) as opened:
        opened.append([run_started(RUN)])
        yield opened


def step_profile(ledger, batch: int = 100) -> None:
    """4000 s at 1 Hz: 100 W for t < 2000 s, 300 W after; written in batches, newest first."""
    t = [float(second) for second in range(4000)]
    p = [100.0 if second < 2000 else 300.0 for second in range(4000)]
    starts = list(range(0, 4000, batch))[::-1]
    ledger.append([samples(RUN, t[s : s + batch], p[s : s + batch]) for s in starts])


def test_bucket_means_keep_a_step_in_power(ledger):
    step_profile(ledger)
    [series] = ledger.power_series(RUN, max_points=4)
    assert series.downsampled and series.samples == 4000
    assert series.t_s == (499.5, 1499.5, 2499.5, 3499.5)
    assert series.power_w == (100.0, 100.0, 300.0, 300.0)
    assert series.power_min_w == (100.0, 100.0, 300.0, 300.0)
    assert series.power_max_w == (100.0, 100.0, 300.0, 300.0)
    assert (series.device_id, series.device_kind, series.method) == (
        "gpu:0",
        "gpu",
        "nvml_power_sampled",
    )


def test_a_spike_survives_downsampling_in_the_max(ledger):
    ledger.append(
        [samples(RUN, [float(s) for s in range(1000)], [50.0] * 500 + [950.0] + [50.0] * 499)]
    )
    [series] = ledger.power_series(RUN, max_points=10)
    assert len(series.t_s) == 10
    assert max(series.power_max_w) == 950.0
    assert series.power_max_w[5] == 950.0 and series.power_min_w[5] == 50.0
    assert series.power_w[5] == pytest.approx(50.0 + 900.0 / 100)


def test_a_time_range_returns_raw_samples_when_few(ledger):
    step_profile(ledger)
    [series] = ledger.power_series(RUN, start_s=1995.0, end_s=2004.0)
    assert not series.downsampled and series.samples == 10
    assert series.t_s == tuple(float(s) for s in range(1995, 2005))
    assert series.power_w == (100.0,) * 5 + (300.0,) * 5


def test_devices_are_separate_series_and_can_be_chosen(ledger):
    ledger.append(
        [
            samples(RUN, [1.0, 2.0], [10.0, 20.0], device_id="gpu:1"),
            samples(RUN, [1.0, 2.0], [30.0, 40.0], device_id="gpu:0"),
        ]
    )
    both = ledger.power_series(RUN)
    assert [s.device_id for s in both] == ["gpu:0", "gpu:1"]
    assert [s.power_w for s in both] == [(30.0, 40.0), (10.0, 20.0)]
    [one] = ledger.power_series(RUN, device_id="gpu:1")
    assert one.power_w == (10.0, 20.0)
    assert ledger.power_series("q" * 32) == ()


def test_max_points_must_be_positive(ledger):
    with pytest.raises(InputError, match="max_points"):
        ledger.power_series(RUN, max_points=0)


def test_runs_index_lists_runs_newest_first_with_status(ledger):
    from tests.store.helpers import run_ended, small_run

    ledger.append(small_run("n" * 32))
    ledger.append([run_started("o" * 32, name="open")])
    ledger.append([run_ended(RUN, status="failed")])
    index = ledger.runs_index()
    assert [row.run_id for row in index] == ["o" * 32, "n" * 32, RUN]
    assert [row.status for row in index] == [None, "completed", "failed"]
    assert [row.entries for row in index] == [1, 5, 2]
    assert index[1].name == "job" and index[0].name == "open" and index[1].duration_s == 3600.0
