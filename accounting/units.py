"""Energy and time units for accounting, reports, the dashboard and the CLI: names carry units.

(``meter.units`` converts the vendors' units, mJ, mW and µJ, at the meter's boundary; from there
on energy is in joules, and this module turns joules into the kWh that factors are priced in.)
"""

from __future__ import annotations

J_PER_KWH = 3.6e6
J_PER_WH = 3600.0
S_PER_H = 3600.0


def j_to_kwh(joules: float) -> float:
    return joules / J_PER_KWH


def j_to_wh(joules: float) -> float:
    return joules / J_PER_WH


def s_to_h(seconds: float) -> float:
    return seconds / S_PER_H
