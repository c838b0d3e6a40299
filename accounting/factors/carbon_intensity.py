"""Grid carbon intensity (gCO2e/kWh) by country, sub-national region or cloud region.

Country codes are ISO 3166-1 alpha-3 (``FRA``). Sub-national regions are written
``ISO3:REGION``: US states by two-letter code (``USA:CA``), Canadian provinces by name
(``CAN:ontario``), Nordic bidding zones (``SWE:SE3``, ``NOR:NO1``, or just ``SE3``).
Cloud regions are ``PROVIDER:REGION``; codecarbon ships Google Cloud's (``gcp:europe-west1``).
"""

from __future__ import annotations

from accounting.errors import InputError
from accounting.factors import codecarbon_data
from accounting.factors.factor import Factor
from accounting.factors.suggest import unknown_message

NAME = "carbon_intensity"
UNIT = "gCO2e/kWh"
ANNUAL_AVERAGE_REL_RANGE = 0.15
"""±15 %: ecoledger's assumed spread of an annual grid average against the hours a job
actually runs in (hourly intensities of most grids swing more; marginal factors differ too)."""

_NORDIC_COUNTRIES = {"SWE": "SE", "NOR": "NO", "FIN": "FI"}


LIFECYCLE = "lifecycle"
DIRECT = "direct_combustion"
UNKNOWN = "unknown"


def boundary_of(key: str) -> tuple[str, str]:
    """The emission boundary of a bundled intensity, and why (from each source's definition).

    - countries: Our World in Data / Ember carbon intensity of electricity, lifecycle
      emission factors (IPCC AR5 median lifecycle factors per source);
    - world average: IEA 2019, CO2 from fuel combustion at the power plant;
    - US states: EPA eGRID output emission rates, combustion at the plant only;
    - Canadian provinces: generation mix × combustion factors of three fossil fuels;
    - GCP regions and Nordic zones: the data do not state a boundary.
    """
    if key == "WORLD":
        return DIRECT, "IEA: CO2 from combustion at the plant"
    if key.startswith("USA:"):
        return DIRECT, "eGRID output emission rates: combustion at the plant only"
    if key.startswith("CAN:"):
        return DIRECT, "combustion factors of coal, gas and oil only"
    if key.startswith("gcp:") or key in codecarbon_data.nordic_zones():
        return UNKNOWN, "the source does not state its boundary"
    return LIFECYCLE, "Ember / Our World in Data: lifecycle emission factors"


def _factor(region: codecarbon_data.RegionIntensity) -> Factor:
    boundary, why = boundary_of(region.key)
    year = f"{region.year}" if region.year else "year not stated by the source"
    return Factor(
        NAME,
        region.g_per_kwh,
        UNIT,
        region.g_per_kwh * (1 - ANNUAL_AVERAGE_REL_RANGE),
        region.g_per_kwh * (1 + ANNUAL_AVERAGE_REL_RANGE),
        f"{region.name}: {region.source}; range ±15 % (ecoledger assumption); boundary: "
        f"{boundary} ({why}); data year: {year}",
        region.year,
        boundary=boundary,
    )


def world_average() -> Factor:
    return _factor(codecarbon_data.world_average())


def known_locations() -> list[str]:
    names = list(codecarbon_data.countries())
    names += [f"USA:{code}" for code in codecarbon_data.us_states()]
    names += [f"CAN:{name}" for name in codecarbon_data.canada_provinces()]
    names += list(codecarbon_data.nordic_zones())
    return names


def for_country(code: str, field: str = "country") -> Factor:
    """The intensity of a country (ISO3) or of a region within it (``ISO3:REGION``)."""
    return _factor(region_for_country(code, field))


def region_for_country(code: str, field: str = "country") -> codecarbon_data.RegionIntensity:
    text = code.strip()
    for sep in ("/", "-"):
        text = text.replace(sep, ":")
    country, _, region = text.partition(":")
    country = country.upper()
    nordic = codecarbon_data.nordic_zones()
    if not region and country in nordic:
        return nordic[country]
    if region:
        if country == "USA":
            states = codecarbon_data.us_states()
            by_name = {r.name.lower(): r for r in states.values()}
            hit = states.get(region.upper()) or by_name.get(region.lower())
            if hit:
                return hit
        elif country == "CAN":
            provinces = codecarbon_data.canada_provinces()
            hit = provinces.get(region.lower())
            if hit:
                return hit
        elif country in _NORDIC_COUNTRIES and region.upper() in nordic:
            return nordic[region.upper()]
        raise InputError(unknown_message(field, "region", code, known_locations()))
    countries = codecarbon_data.countries()
    if country in countries:
        return countries[country]
    by_name = {r.name.lower(): r for r in countries.values()}
    if code.strip().lower() in by_name:
        return by_name[code.strip().lower()]
    raise InputError(
        unknown_message(field, "country (ISO3 code)", code, list(countries) + list(by_name))
    )


def country_of(key: str) -> str | None:
    """The ISO3 country a resolved location key lies in (``USA:CA`` → ``USA``, ``SE3`` →
    ``SWE``, ``gcp:europe-west1`` → ``BEL``); ``None`` for the world average or an unknown key."""
    if key == "WORLD":
        return None
    if key.startswith("gcp:"):
        region = codecarbon_data.gcp_regions().get(key.partition(":")[2])
        return region.country if region else None
    if ":" in key:
        return key.partition(":")[0].upper()
    if key in codecarbon_data.nordic_zones():
        by_prefix = {prefix: iso3 for iso3, prefix in _NORDIC_COUNTRIES.items()}
        return by_prefix.get(key[:2].upper())
    return key.upper()


def for_cloud(name: str, field: str = "cloud") -> Factor:
    """The intensity of a cloud region, ``gcp:europe-west1``."""
    return _factor(region_for_cloud(name, field))


def region_for_cloud(name: str, field: str = "cloud") -> codecarbon_data.RegionIntensity:
    provider, sep, region = name.strip().partition(":")
    if not sep:
        provider, region = "gcp", provider
    regions = codecarbon_data.gcp_regions()
    known = [f"gcp:{r}" for r in regions]
    if provider.lower() != "gcp":
        raise InputError(
            f"`{field}`: unknown cloud provider {provider!r}; codecarbon ships region data "
            f"for gcp only (e.g. gcp:europe-west1)"
        )
    hit = regions.get(region.lower())
    if hit is None:
        raise InputError(unknown_message(field, "cloud region", name, known))
    return hit


def user_value(g_per_kwh: float, field: str = "intensity_g_per_kwh") -> Factor:
    if not g_per_kwh >= 0:
        raise InputError(f"`{field}`: must be ≥ 0 gCO2e/kWh, got {g_per_kwh}")
    return Factor(
        NAME,
        g_per_kwh,
        UNIT,
        g_per_kwh,
        g_per_kwh,
        f"user-supplied ({field}); boundary: unknown (say which in your report)",
        boundary=UNKNOWN,
    )
