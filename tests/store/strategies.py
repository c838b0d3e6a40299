"""Hypothesis strategies: one for every entry kind in ``accounting.entries.ENTRY_TYPES``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from accounting import entries as e

ids = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
texts = st.text(max_size=40)
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
non_negative = st.floats(min_value=0, allow_infinity=False, width=64)
when = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
maybe_text = st.none() | texts
sources = st.builds(
    e.EntrySource,
    host=texts,
    pid=st.none() | st.integers(0, 2**31),
    rank=st.none() | st.integers(0, 4096),
    origin=texts,
)


def _common() -> dict[str, Any]:
    return {"id": ids, "run_id": ids, "recorded_at": when, "source": sources}


def _samples(draw: Any) -> e.PowerSample:
    n = draw(st.integers(0, 50))
    return e.PowerSample(
        **{name: draw(value) for name, value in _common().items()},
        device_id=draw(names),
        device_kind=draw(st.sampled_from(["gpu", "cpu", "ram"])),
        method=draw(names),
        t_s=tuple(draw(st.lists(floats, min_size=n, max_size=n))),
        power_w=tuple(draw(st.lists(floats, min_size=n, max_size=n))),
    )


factors = st.builds(
    e.FactorRecord,
    name=texts,
    value=floats,
    unit=texts,
    low=floats,
    high=floats,
    source=texts,
    year=st.none() | st.integers(1900, 2200),
)

BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "run_started": st.builds(
        e.RunStarted,
        **_common(),
        name=texts,
        project=maybe_text,
        run_kind=st.sampled_from(e.RUN_KINDS),
        started_at=when,
        command=st.none() | st.lists(texts, max_size=4).map(tuple),
        country=maybe_text,
        cloud=maybe_text,
        pue=st.none() | floats,
        parent_run_id=st.none() | ids,
        expected_uses=st.none() | st.integers(0, 10**12),
        tags=st.lists(texts, max_size=3).map(tuple),
        ecoledger_version=texts,
        flush_interval_s=st.none() | non_negative,
    ),
    "run_ended": st.builds(
        e.RunEnded,
        **_common(),
        status=st.sampled_from(["completed", "failed", "interrupted", "lost", "budget_exceeded"]),
        ended_at=when,
        duration_s=non_negative,
        exit_code=st.none() | st.integers(-255, 255),
        error=maybe_text,
        meter_cpu_s=st.none() | non_negative,
    ),
    "energy": st.builds(
        e.Energy,
        **_common(),
        window=texts,
        device_id=texts,
        device_kind=st.sampled_from(["gpu", "cpu", "ram"]),
        device_model=texts,
        method=texts,
        approximated=st.booleans(),
        joules=non_negative,
        start=when,
        end=when,
        duration_s=non_negative,
        count=st.none() | st.integers(0, 10**9),
    ),
    "power_samples": st.composite(lambda draw: _samples(draw))(),
    "usage": st.builds(
        e.Usage,
        **_common(),
        requests=st.integers(0, 10**12),
        tokens=st.integers(0, 10**15),
        items=st.integers(0, 10**12),
        window=maybe_text,
        joules=st.none() | non_negative,
        start=st.none() | when,
        end=st.none() | when,
    ),
    "benefit": st.builds(
        e.Benefit,
        **_common(),
        benefit_kind=st.sampled_from(["social", "environmental"]),
        basis=st.sampled_from(["lump_sum", "per_request", "per_token", "per_item"]),
        usd=st.none() | floats,
        avoided_kgco2e=st.none() | non_negative,
        rationale=texts,
        reference=texts,
    ),
    "assumptions": st.builds(
        e.Assumptions,
        **_common(),
        label=texts,
        factors=st.lists(factors, max_size=3).map(tuple),
        settings_json=texts,
    ),
    "problem": st.builds(
        e.Problem,
        **_common(),
        code=texts,
        severity=st.sampled_from(["info", "warning", "error"]),
        message=texts,
        device_id=maybe_text,
        at=st.none() | when,
    ),
    "device": st.builds(
        e.DeviceFacts,
        **_common(),
        device_id=texts,
        device_kind=st.sampled_from(["gpu", "cpu", "ram"]),
        model=texts,
        power_limit_w=st.none() | non_negative,
        driver_version=maybe_text,
        memory_total_mib=st.none() | non_negative,
        mig_enabled=st.none() | st.booleans(),
        shared_share=st.none() | st.floats(0.0, 1.0),
        attribution_method=maybe_text,
    ),
    "correction": st.builds(
        e.Correction,
        **_common(),
        target_id=ids,
        reason=texts,
        replacement_json=maybe_text,
    ),
}
