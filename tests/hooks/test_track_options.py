"""TrackOptions: the one frozen, validated set of track() arguments the callbacks share."""

from __future__ import annotations

import dataclasses

import pytest

from train_hooks.options import TrackOptions
from train_hooks.session import callback_options


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "pretraining"}, "kind must be one of"),
        ({"on_budget": "halt"}, "on_budget must be 'warn' or 'stop'"),
        ({"pue": 0.9}, "pue must be ≥ 1"),
        ({"sample_hz": float("nan")}, "sample_hz must be a finite number"),
        ({"flush_interval_s": 6.0}, "flush_interval_s must be ≤ 5"),
        ({"total_steps": 0}, "total_steps must be a whole number ≥ 1"),
        ({"shared_gpu": "split"}, "shared_gpu must be 'whole' or 'attribute'"),
        ({"name": "x" * 201}, "name must be at most 200 characters"),
    ],
)
def test_bad_values_raise_naming_the_argument(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrackOptions(**fields)


def test_options_are_frozen_and_normalised() -> None:
    options = TrackOptions(country="fra")
    assert options.country == "FRA"
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.name = "other"  # type: ignore[misc]


def test_with_changes_keeps_the_rest_and_ignores_none() -> None:
    options = TrackOptions(name="a", project="p", kind="training")
    changed = options.with_changes(kind="evaluation", name=None)
    assert (changed.name, changed.project, changed.kind) == ("a", "p", "evaluation")
    with pytest.raises(ValueError, match="kind must be one of"):
        options.with_changes(kind="nope")


def test_callbacks_take_options_or_keywords_with_their_own_default_kind() -> None:
    assert callback_options(None, {"project": "p"}, kind="fine_tuning") == TrackOptions(
        project="p", kind="fine_tuning"
    )
    given = TrackOptions(name="n")
    assert callback_options(given, {}, kind="fine_tuning") is given
    with pytest.raises(TypeError, match="TrackOptions or track"):
        callback_options(given, {"project": "p"}, kind="training")
    with pytest.raises(TypeError, match="TrackOptions or track"):
        callback_options("name", {}, kind="training")  # type: ignore[arg-type]
