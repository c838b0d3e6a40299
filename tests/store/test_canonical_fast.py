"""The fast canonical JSON (orjson) writes exactly the bytes of the standard library's form,
which every existing ledger holds: on every entry kind, and on JSON values chosen to hit
where orjson and ``json`` differ (small floats, NaN/±inf, huge ints, escapes, unicode)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accounting.canonical import canonical_json, canonical_json_stdlib
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
