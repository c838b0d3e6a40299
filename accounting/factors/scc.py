"""Social cost of carbon presets: USD (of a stated dollar year) per tonne of CO2, by emission year.

A preset's value depends on the year the CO2 is emitted; years between published ones are
interpolated linearly, years outside the table take the nearest published year (and say so).

The discount rate is a value choice, not a measurement uncertainty: a preset is drawn around
its *own* discount rate's estimate (a lognormal whose mean is the published value, which EPA
and Rennert publish as a mean over their own uncertainty), never across the other rates. The
other rates of the same source are shown beside the result as scenarios (:func:`scenarios`).
EPA 2023 and IWG 2021 publish no 5-95 % interval for their headline values, so their spread
is the relative 5-95 % spread of Rennert et al. 2022 (44..413 around 185: the GIVE model, one
of EPA's three damage modules), an ecoledger assumption stated in the source text.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounting.errors import InputError
from accounting.factors.factor import Factor, by_name
from accounting.factors.suggest import unknown_message

NAME = "social_cost_of_carbon"
UNIT = "USD/tCO2e"
DEFAULT_PRESET = "scc:epa-2023-2.0"

_EPA = (
    "US EPA 2023, Report on the Social Cost of Greenhouse Gases (Supplementary Material for the "
    "Regulatory Impact Analysis, EPA-HQ-OAR-2021-0317), Table ES-1"
)
_IWG = (
    "US Interagency Working Group on Social Cost of Greenhouse Gases 2021, Technical Support "
    "Document: Social Cost of Carbon, Methane, and Nitrous Oxide, Interim Estimates, Table ES-1"
)
_RENNERT = (
    "Rennert et al. 2022, Comprehensive evidence implies a higher social cost of CO2, "
    "Nature 610, 687-692 (2 % near-term discount rate; 5-95 %: 44-413)"
)

# emission year → USD/tCO2 (2020 dollars). EPA 2023 Table ES-1 (CO2, near-term discount rates
# 2.5 %, 2.0 %, 1.5 %); IWG 2021 Table ES-1 (5 %, 3 %, 2.5 % averages); Rennert 2022 Fig. 3.
_EPA_25 = {2020: 120.0, 2030: 140.0, 2040: 170.0, 2050: 200.0}
_EPA_20 = {2020: 190.0, 2030: 230.0, 2040: 270.0, 2050: 310.0}
_EPA_15 = {2020: 340.0, 2030: 380.0, 2040: 430.0, 2050: 480.0}
_IWG_50 = {2020: 14.0, 2025: 17.0, 2030: 19.0, 2035: 22.0, 2040: 25.0, 2045: 28.0, 2050: 32.0}
_IWG_30 = {2020: 51.0, 2025: 56.0, 2030: 62.0, 2035: 67.0, 2040: 73.0, 2045: 79.0, 2050: 85.0}
_IWG_25 = {2020: 76.0, 2025: 83.0, 2030: 89.0, 2035: 96.0, 2040: 103.0, 2045: 110.0, 2050: 116.0}
_RENNERT_C = {2020: 185.0}
_RENNERT_LO = {2020: 44.0}
_RENNERT_HI = {2020: 413.0}
SPREAD_LOW = 44.0 / 185.0
SPREAD_HIGH = 413.0 / 185.0
"""Rennert et al. 2022's 5-95 % interval relative to its mean: applied to presets whose source
publishes no interval of its own (an ecoledger assumption)."""
_SPREAD_NOTE = (
    "5-95 % range: the value × 44/185..413/185, Rennert et al. 2022's relative 5-95 % spread "
    "(the source gives none for this discount rate; ecoledger assumption)"
)


@dataclass(frozen=True)
class SccPreset:
    name: str
    central: dict[int, float]
    low: dict[int, float]
    high: dict[int, float]
    discount_rate: str
    dollar_year: int
    source: str
    range_note: str
    """``low``/``high`` empty: the range is the central value × SPREAD_LOW..SPREAD_HIGH."""


PRESETS: dict[str, SccPreset] = by_name(
    SccPreset(
        "scc:epa-2023-2.5",
        _EPA_25,
        {},
        {},
        "2.5 %",
        2020,
        _EPA,
        _SPREAD_NOTE,
    ),
    SccPreset(
        "scc:epa-2023-2.0",
        _EPA_20,
        {},
        {},
        "2.0 %",
        2020,
        _EPA,
        _SPREAD_NOTE,
    ),
    SccPreset(
        "scc:epa-2023-1.5",
        _EPA_15,
        {},
        {},
        "1.5 %",
        2020,
        _EPA,
        _SPREAD_NOTE,
    ),
    SccPreset(
        "scc:iwg-2021-3.0",
        _IWG_30,
        {},
        {},
        "3 %",
        2020,
        _IWG,
        _SPREAD_NOTE,
    ),
    SccPreset(
        "scc:rennert-2022",
        _RENNERT_C,
        _RENNERT_LO,
        _RENNERT_HI,
        "2 % (Ramsey)",
        2020,
        _RENNERT,
        "5-95 % range: the paper's own interval; published for 2020 emissions only",
    ),
)


def interpolate(table: dict[int, float], year: int) -> tuple[float, str]:
    """The table's value for ``year`` (linear between published years, clamped outside)."""
    years = sorted(table)
    if year <= years[0]:
        note = "" if year == years[0] else f" (no value before {years[0]}: {years[0]}'s used)"
        return table[years[0]], note
    if year >= years[-1]:
        note = "" if year == years[-1] else f" (no value after {years[-1]}: {years[-1]}'s used)"
        return table[years[-1]], note
    for a, b in zip(years, years[1:], strict=False):
        if a <= year <= b:
            t = (year - a) / (b - a)
            note = "" if year in table else f" (interpolated between {a} and {b})"
            return table[a] + t * (table[b] - table[a]), note
    raise AssertionError("unreachable")


def preset(name: str, emission_year: int, field: str = "scc") -> Factor:
    key = name.strip().lower()
    if not key.startswith("scc:"):
        key = "scc:" + key
    found = PRESETS.get(key)
    if found is None:
        raise InputError(unknown_message(field, "SCC preset", name, PRESETS))
    value, note = interpolate(found.central, emission_year)
    if found.low and found.high:
        low, _ = interpolate(found.low, emission_year)
        high, _ = interpolate(found.high, emission_year)
    else:
        low, high = value * SPREAD_LOW, value * SPREAD_HIGH
    low, high = min(low, value), max(high, value)
    return Factor(
        NAME,
        value,
        UNIT,
        low,
        high,
        f"{found.name}: {found.source}; discount rate {found.discount_rate}; "
        f"{found.dollar_year} USD; emission year {emission_year}{note}; {found.range_note}",
        emission_year,
        distribution="lognormal",
        dollar_year=found.dollar_year,
    )


def canonical(name: str) -> str:
    key = name.strip().lower()
    return key if key.startswith("scc:") else "scc:" + key


@dataclass(frozen=True)
class Scenario:
    """One discount rate of the chosen source, shown beside the result (not drawn)."""

    preset: str
    discount_rate: str
    usd_per_t: float


def scenarios(name: str | None, emission_year: int) -> tuple[Scenario, ...]:
    """The presets that share the chosen preset's source (its other discount rates)."""
    if name is None:
        return ()
    found = PRESETS.get(canonical(name))
    if found is None:
        return ()
    return tuple(
        Scenario(p.name, p.discount_rate, interpolate(p.central, emission_year)[0])
        for p in PRESETS.values()
        if p.source == found.source
    )


def dollar_year(name: str | None) -> int | None:
    """The dollar year of a preset (``None`` for a user's own value)."""
    if name is None:
        return None
    key = name.strip().lower()
    key = key if key.startswith("scc:") else "scc:" + key
    found = PRESETS.get(key)
    return found.dollar_year if found else None


def user_value(usd_per_t: float, emission_year: int, field: str = "scc_usd_per_t") -> Factor:
    if not usd_per_t >= 0:
        raise InputError(f"`{field}`: must be ≥ 0 USD/tCO2e, got {usd_per_t}")
    return Factor(
        NAME, usd_per_t, UNIT, usd_per_t, usd_per_t, f"user-supplied ({field})", emission_year
    )
