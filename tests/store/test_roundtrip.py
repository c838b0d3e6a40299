"""Every entry kind goes in and comes back equal, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting.entries import ENTRY_KINDS, PowerSample, RunStarted
from accounting.errors import InputError
from accounting.store import open_ledger
from tests.store.strategies import BY_KIND

GENESIS = "0" * 64


@pytest.fixture
def ledger(ledger_url):
    with open_ledger(ledger_url) as opened:
        yield opened


@pytest.mark.parametrize("kind", ENTRY_KINDS)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_kind_round_trips(ledger, kind, data):
    drawn = data.draw(BY_KIND[kind])
    entry = drawn.model_copy(update={"id": uuid.uuid4().hex, "run_id": uuid.uuid4().hex})
    head_seq, head_hash = ledger.head()

    [digest] = ledger.append([entry])

    assert ledger.entry(entry.id) == entry
    assert ledger.entries(run_id=entry.run_id) == [entry]
    assert ledger.entries(run_id=entry.run_id, kinds=[kind]) == [entry]
    [row] = ledger.stored(run_id=entry.run_id)
    assert (row.seq, row.id, row.run_id, row.kind) == (head_seq + 1, entry.id, entry.run_id, kind)
    assert row.prev_hash == head_hash
    expected = hashlib.sha256((head_hash + row.payload).encode()).hexdigest()
    assert row.hash == digest == expected
    assert json.loads(row.payload) == json.loads(entry.model_dump_json())
    assert row.payload == json.dumps(
        json.loads(row.payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_first_entry_chains_from_genesis(ledger):
    entry = RunStarted(run_id="a" * 32, name="first", started_at=datetime(2024, 1, 1, tzinfo=UTC))
    [digest] = ledger.append([entry])
    [row] = ledger.stored()
    assert row.seq == 1 and row.prev_hash == GENESIS
    assert digest == hashlib.sha256((GENESIS + row.payload).encode()).hexdigest()
    assert ledger.head() == (1, digest)
    assert ledger.count() == 1 and ledger.count("run_started") == 1


def test_non_finite_power_readings_round_trip(ledger):
    entry = PowerSample(
        run_id="r" * 32,
        device_id="gpu:0",
        device_kind="gpu",
        method="nvml_power_sampled",
        t_s=(1.0, 2.0, 3.0),
        power_w=(float("nan"), float("inf"), 7.5),
    )
    ledger.append([entry])
    back = ledger.entry(entry.id)
    assert math.isnan(back.power_w[0]) and back.power_w[1] == math.inf and back.power_w[2] == 7.5
    [series] = ledger.power_series("r" * 32)
    assert series.t_s == (3.0,) and series.power_w == (7.5,)  # non-finite readings are skipped


@pytest.mark.parametrize("field", ["device_id", "method"])
def test_nul_in_a_power_column_is_refused_on_every_backend(ledger, field):
    values = {"device_id": "gpu:0", "method": "nvml_power_sampled", field: "a\x00b"}
    entry = PowerSample(run_id="r" * 32, device_kind="gpu", t_s=(1.0,), power_w=(2.0,), **values)
    with pytest.raises(InputError, match=f"entry.{field}"):
        ledger.append([entry])
    assert ledger.count() == 0


@pytest.mark.parametrize(
    ("update", "field"),
    [({"run_id": "x" * 65}, "run_id"), ({"id": ""}, "id"), ({"run_id": "a\x00b"}, "run_id")],
)
def test_ids_the_columns_cannot_hold_are_refused(ledger, update, field):
    entry = RunStarted(run_id="a" * 32, name="n", started_at=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(InputError, match=f"entry.{field}"):
        ledger.append([entry.model_copy(update=update)])
    assert ledger.count() == 0
