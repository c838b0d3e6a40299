"""Water factors: on-site WUE and off-site EWIF (L/kWh), and a water shadow price (USD/m³).

All water is **consumption** (water withdrawn and not returned: evaporated in cooling towers
or at power plants), not withdrawal, as Li et al. define WUE and EWIF.
Only the U.S. average of Li et al. is bundled: for any other location it is a stand-in, and
the assessment says so in its notes and in the factor's source.

water_onsite_l = E_it × WUE;  water_offsite_l = E_it × PUE × EWIF  (Li et al. 2023: PUE
multiplies only the off-site, electricity-generation term).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounting.errors import InputError
from accounting.factors.factor import Factor
from accounting.factors.suggest import unknown_message

WUE = "wue_onsite"
EWIF = "ewif_offsite"
PRICE = "water_price"
UNIT = "L/kWh"
PRICE_UNIT = "USD/m3"
DEFAULT_PRESET = "water:li-2023-us-average"

_LI = (
    "Li, Yang, Islam, Ren, Making AI Less 'Thirsty' (arXiv 2304.03271; CACM 2025), "
    "Table 1, U.S. average"
)


@dataclass(frozen=True)
class WaterPreset:
    name: str
    wue: Factor
    ewif: Factor


PRESETS: dict[str, WaterPreset] = {
    "water:li-2023-us-average": WaterPreset(
        "water:li-2023-us-average",
        Factor(
            WUE,
            0.55,
            UNIT,
            0.18,
            1.10,
            f"{_LI}: on-site WUE 0.550 L/kWh (consumption); range 0.18-1.10 (typical evaporative cooling, "
            "ecoledger assumption)",
            2023,
        ),
        Factor(
            EWIF,
            3.142,
            UNIT,
            1.80,
            4.50,
            f"{_LI}: off-site EWIF 3.142 L/kWh (consumption); range 1.8-4.5 (grid mix, ecoledger assumption)",
            2023,
        ),
    ),
    "water:none": WaterPreset(
        "water:none",
        Factor.exact_value(WUE, 0.0, UNIT, "water not counted"),
        Factor.exact_value(EWIF, 0.0, UNIT, "water not counted"),
    ),
}

DEFAULT_PRICE = Factor(
    PRICE,
    2.0,
    PRICE_UNIT,
    0.5,
    5.0,
    "shadow price of freshwater ≈ US municipal tariffs of 2023 (ecoledger assumption, range "
    "0.5-5 USD/m3, 2023 USD)",
    None,
    dollar_year=2023,
)


def preset(name: str, field: str = "water") -> WaterPreset:
    key = name.strip().lower()
    if not key.startswith("water:"):
        key = "water:" + key
    found = PRESETS.get(key)
    if found is None:
        raise InputError(unknown_message(field, "water preset", name, PRESETS))
    return found


def user_value(name: str, value: float, unit: str, field: str) -> Factor:
    if not value >= 0:
        raise InputError(f"`{field}`: must be ≥ 0 {unit}, got {value}")
    return Factor.exact_value(name, value, unit, f"user-supplied ({field})")
