"""The vendors' units (mJ, mW, µJ) to joules and watts, converted once, at the meter's
boundary. Names carry their unit. (Joules to kWh: :mod:`accounting.units`.)"""

from __future__ import annotations


def mj_to_j(millijoules: float) -> float:
    return millijoules / 1000.0


def mw_to_w(milliwatts: float) -> float:
    return milliwatts / 1000.0


def uj_to_j(microjoules: float) -> float:
    return microjoules / 1e6
