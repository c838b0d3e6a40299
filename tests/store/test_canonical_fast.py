"""The fast canonical JSON (orjson) writes exactly the bytes of the standard library's form,
which every existing ledger holds: on every entry kind, and on JSON values chosen to hit
where orjson and ``json`` differ (small floats, NaN/±inf, huge ints, escapes, unicode)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accounting.canonical import canonical_json, canonical_json_stdlib
from accounting.entries import Assumptions, Energy, FactorRecord, PowerSample, Problem, RunStarted
from tests.store.strategies import BY_KIND

all_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
small_floats = st.floats(min_value=-1e-3, max_value=1e-3, width=64)
all_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
awkward_text = st.sampled_from(["x,0.00001", "1e-7", "line\nbreak", '"q"\\', "\u2028", "\x7f"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | all_floats
    | small_floats
    | all_text
    | awkward_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(all_text, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(*BY_KIND.values()))
def test_every_entry_kind_keeps_its_bytes(entry: Any) -> None:
    assert canonical_json(entry) == canonical_json_stdlib(entry.model_dump(mode="json"))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(all_text, json_values, max_size=8))
def test_any_json_object_keeps_its_bytes(data: dict[str, Any]) -> None:
    assert canonical_json(data) == canonical_json_stdlib(data)


@settings(max_examples=150, deadline=None)
@given(st.lists(all_floats | small_floats, max_size=40))
def test_float_arrays_keep_their_bytes(values: list[float]) -> None:
    assert canonical_json({"power_w": values}) == canonical_json_stdlib({"power_w": values})


def test_the_forms_written_by_hand() -> None:
    nan, inf = float("nan"), float("inf")
    cases = {
        '{"a":1e-05}': {"a": 1e-05},
        '{"a":1.5e-07}': {"a": 1.5e-07},
        '{"a":0.0001}': {"a": 0.0001},
        '{"a":1e+16}': {"a": 1e16},
        '{"a":5e-324}': {"a": 5e-324},
        '{"a":-0.0}': {"a": -0.0},
        '{"a":[1.0,NaN,Infinity,-Infinity]}': {"a": [1.0, nan, inf, -inf]},
        '{"a":[{"b":NaN}]}': {"a": [{"b": nan}]},
        '{"a":1180591620717411303424}': {"a": 2**70},
        '{"a":"\ud800"}': {"a": "\ud800"},  # a lone surrogate, as json writes it
        '{"a":"é\\n\\"\\\\/\u2028\x7f","b":"\\u001f"}': {"b": "\x1f", "a": 'é\n"\\/\u2028\x7f'},
        '{"a":"x,0.00001","b":1e-07}': {"b": 1e-07, "a": "x,0.00001"},
    }
    for expected, data in cases.items():
        assert canonical_json(data) == expected


offsets = st.sampled_from([None, 0, 3600, -19800, 3723, 86340])
odd_floats = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e-5, 5e-324, -0.0, 2.5])


@settings(max_examples=120, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    offset=offsets,
    value=odd_floats,
)
def test_entries_with_any_datetime_and_odd_floats_keep_their_bytes(
    when: datetime, offset: int | None, value: float
) -> None:
    """An entry is serialized from its fields (no model_dump): datetimes naive or with any
    offset, and NaN, ±inf, tiny floats and -0.0 in every kind of float field (top level,
    a tuple, a nested model) give the standard library's bytes."""
    at = when if offset is None else when.replace(tzinfo=timezone(timedelta(seconds=offset)))
    factor = FactorRecord(name="f", value=value, unit="u", low=value, high=1.0, source="s")
    entries = [
        Energy(
            run_id="r",
            window="run",
            device_id="g",
            device_kind="gpu",
            device_model="m",
            method="nvml_energy_counter",
            approximated=False,
            joules=value if value >= 0 else 1.0,
            start=at,
            end=at,
            duration_s=1.0,
        ),
        PowerSample(
            run_id="r",
            device_id="g",
            device_kind="gpu",
            method="m",
            t_s=(1.0, value),
            power_w=(value, 2.0),
        ),
        RunStarted(run_id="r", name="n", started_at=at, pue=value),
        Assumptions(run_id="r", factors=(factor,)),
        Problem(run_id="r", code="c", message="m", at=at),
    ]
    for entry in entries:
        assert canonical_json(entry) == canonical_json_stdlib(entry.model_dump(mode="json"))
