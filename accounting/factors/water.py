"""Water factors: on-site WUE and off-site EWIF (L/kWh), and a water shadow price (USD/m³).

All water is **consumption** (water withdrawn and not returned: evaporated in cooling towers
or at power plants), not withdrawal, as Li et al. define WUE and EWIF.

The figures are chosen by the place the carbon intensity resolves to (``--country``,
``--cloud`` or the run's own), most specific first:

1. ``per-location``: a figure published for that place (Li et al.'s per-location WUE/EWIF);
2. ``national``: a figure published for the place's country;
3. ``us-stand-in``: otherwise Li et al.'s U.S. average, labelled as a stand-in.

Only what a source was read for is bundled (:data:`LOCAL_FIGURES`): today the U.S. average
of Li et al., which is the national figure for the United States (and so for a U.S. state or
a U.S. cloud region, where no per-location figure is bundled). Every other place gets the
U.S. average as a labelled stand-in.

water_onsite_l = E_it × WUE;  water_offsite_l = E_it × PUE × EWIF  (Li et al. 2023: PUE
multiplies only the off-site, electricity-generation term).
"""

from __future__ import annotations

import dataclasses
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


PER_LOCATION = "per-location"
NATIONAL = "national"
US_STAND_IN = "us-stand-in"
USER = "user"
PRESET = "preset"
MEASURE = "consumption"
"""What every water figure counts: consumption, not withdrawal."""


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

LOCAL_FIGURES: dict[str, tuple[str, WaterPreset, str]] = {
    "USA": (NATIONAL, PRESETS["water:li-2023-us-average"], "Li et al. 2023, U.S. average"),
}
"""Location key (``USA``, ``USA:IA``, ``gcp:us-central1``...) → (tier, figures, short
citation). Add a row only for a figure read in its source, with the source typed into the
factors' ``source``."""


@dataclass(frozen=True)
class WaterBasis:
    """Which water figures were used, and why: the tier, the place, and a one-line label."""

    tier: str
    place: str
    wue: Factor
    ewif: Factor
    citation: str = ""

    @property
    def stand_in(self) -> bool:
        return self.tier == US_STAND_IN

    @property
    def label(self) -> str:
        """``national figure for USA (Li et al. ...)``: what reports print next to water."""
        if self.tier == PER_LOCATION:
            what = f"per-location figure for {self.place}"
        elif self.tier == NATIONAL:
            what = f"national figure for {self.place}"
        elif self.tier == US_STAND_IN:
            what = f"U.S. average as a stand-in for {self.place} (no local figure bundled)"
        elif self.tier == USER:
            what = "user-supplied WUE/EWIF"
        else:
            what = f"preset {self.place}"
        cited = f" ({self.citation})" if self.citation else ""
        return f"{what}{cited}; water {MEASURE} (not withdrawal)"


def for_place(key: str | None, country: str | None, place: str) -> WaterBasis:
    """The water figures for a resolved location: per-location, national, else the U.S.
    average labelled as a stand-in. ``key`` is the carbon-intensity location key (``USA:CA``,
    ``gcp:us-central1``, ``FRA``), ``country`` its ISO3 country, ``place`` what to print."""
    for candidate in (key, country):
        if candidate and candidate in LOCAL_FIGURES:
            tier, found, citation = LOCAL_FIGURES[candidate]
            where = candidate if candidate == key else f"{country} ({place})"
            return WaterBasis(tier, where, found.wue, found.ewif, citation)
    fallback = PRESETS[DEFAULT_PRESET]
    suffix = f"; a stand-in for {place} (no local figure bundled)"
    return WaterBasis(
        US_STAND_IN,
        place,
        dataclasses.replace(fallback.wue, source=fallback.wue.source + suffix),
        dataclasses.replace(fallback.ewif, source=fallback.ewif.source + suffix),
        "Li et al. 2023",
    )


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
