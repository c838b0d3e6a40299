"""Electricity price (USD/kWh)."""

from __future__ import annotations

from accounting.errors import InputError
from accounting.factors.factor import Factor

NAME = "electricity_price"
UNIT = "USD/kWh"
DEFAULT_USD_PER_KWH = 0.127
DEFAULT = Factor(
    NAME,
    DEFAULT_USD_PER_KWH,
    UNIT,
    0.08,
    0.30,
    "US EIA Electric Power Annual 2023: average retail price to commercial customers ≈12.7 ¢/kWh; "
    "range 0.08 (US industrial) to 0.30 USD/kWh (EU non-household with taxes), an ecoledger "
    "assumption",
    2023,
    dollar_year=2023,
)


def user_value(usd_per_kwh: float, field: str = "price_per_kwh") -> Factor:
    if not usd_per_kwh >= 0:
        raise InputError(f"`{field}`: must be ≥ 0 USD/kWh, got {usd_per_kwh}")
    return Factor.exact_value(NAME, usd_per_kwh, UNIT, f"user-supplied ({field})")
