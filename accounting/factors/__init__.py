"""Factors with provenance and uncertainty: grid intensity, PUE, price, SCC, water, embodied.

Each is a :class:`Factor` ``(value, unit, low, high, source, year)``. Named presets
(``pue:uptime-2023``, ``scc:epa-2023-2.0``, ``water:li-2023-us-average``,
``embodied:hgx-h100``...) live in one module per factor; codecarbon's data is read only by
:mod:`accounting.factors.codecarbon_data`.
"""

from accounting.factors import carbon_intensity, electricity_price, embodied, pue, scc, water
from accounting.factors.factor import Factor
from accounting.factors.intensity_series import IntensitySeries

__all__ = [
    "Factor",
    "IntensitySeries",
    "carbon_intensity",
    "electricity_price",
    "embodied",
    "pue",
    "scc",
    "water",
]
