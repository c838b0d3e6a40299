"""The two factors the hooks need live (for budgets and predictions): intensity and PUE.

The assessment (``ecoledger show``, reports) recomputes everything from the ledger with its
full assumptions; these are only for deciding, during the run, whether a budget is spent.
"""

from __future__ import annotations

from accounting.units import j_to_kwh

DEFAULT_PUE = 1.58
"""Uptime Institute Global Data Center Survey 2023: industry average PUE."""


def intensity_g_per_kwh(country: str | None) -> float:
    """Grid carbon intensity (gCO2e/kWh) of a country, or the world average (codecarbon data)."""
    from accounting.factors import carbon_intensity

    factor = carbon_intensity.for_country(country) if country else carbon_intensity.world_average()
    return float(factor.value)


def check_country(country: str) -> str:
    """The normalized code, or ValueError naming ``country`` when it is unknown."""
    from accounting.errors import InputError

    try:
        intensity_g_per_kwh(country)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return country.strip().upper()


def kgco2e(energy_j: float, pue: float, g_per_kwh: float) -> float:
    return j_to_kwh(energy_j) * pue * g_per_kwh / 1000.0
