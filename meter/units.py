"""Unit conversions, done once, at the boundary. Names carry their unit."""

from __future__ import annotations

J_PER_KWH = 3.6e6
J_PER_WH = 3600.0


def mj_to_j(millijoules: float) -> float:
    return millijoules / 1000.0


def mw_to_w(milliwatts: float) -> float:
    return milliwatts / 1000.0


def uj_to_j(microjoules: float) -> float:
    return microjoules / 1e6


def j_to_kwh(joules: float) -> float:
    return joules / J_PER_KWH


def j_to_wh(joules: float) -> float:
    return joules / J_PER_WH


def kwh_to_j(kwh: float) -> float:
    return kwh * J_PER_KWH
