"""The one adapter that knows where codecarbon keeps its carbon-intensity data and its layout.

It reads the JSON/CSV files shipped inside the installed ``codecarbon`` package directly,
without importing codecarbon (``import codecarbon`` initialises NVML). The files are not a
documented API and move between releases, so every access is here, each loader checks the
fields it needs, and ``tests/accounting/test_codecarbon_data.py`` fails loudly when the layout
changes. Units are converted once, here: everything leaves in gCO2e/kWh.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from accounting.errors import EcoledgerError

CODECARBON_VERSION_TESTED = "3.3.2"
LBS_PER_MWH_TO_G_PER_KWH = 0.45359237
"""1 lb = 0.45359237 kg, so 1 lb/MWh = 0.45359237 g/kWh."""

GLOBAL_ENERGY_MIX = "private_infra/global_energy_mix.json"
INTENSITY_PER_SOURCE = "private_infra/carbon_intensity_per_source.json"
USA_EMISSIONS = "private_infra/2023/usa_emissions.json"
CANADA_ENERGY_MIX = "private_infra/2023/canada_energy_mix.json"
NORDIC_EMISSIONS = "private_infra/nordic_emissions.json"
CLOUD_IMPACT = "cloud/impact.csv"

# codecarbon's own fossil-source factors for provincial energy mixes (kgCO2e/kWh), from
# https://github.com/responsibleproblemsolving/energy-usage#conversion-to-co2; codecarbon
# counts only these three sources for Canadian provinces, and so do we.
_PROVINCE_FOSSIL_G_PER_KWH = {
    "coal": 995.725971,
    "petroleum": 816.6885263,
    "naturalGas": 743.8415916,
}


class CodecarbonLayoutError(EcoledgerError):
    """codecarbon's data files are missing or no longer have the layout this adapter reads."""


@dataclass(frozen=True)
class RegionIntensity:
    """A grid's average carbon intensity as codecarbon ships it."""

    key: str
    name: str
    g_per_kwh: float
    year: int | None
    source: str
    country: str | None = None
    """ISO 3166-1 alpha-3 code of the country the region lies in, where the data say."""


def data_dir() -> Path:
    """The ``codecarbon/data`` folder of the installed package, found without importing it."""
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        raise CodecarbonLayoutError(
            "codecarbon is not installed: its carbon-intensity data is needed"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    if not folder.is_dir():
        raise CodecarbonLayoutError(f"codecarbon data folder not found at {folder}")
    return folder


def _path(relative: str) -> Path:
    path = data_dir() / relative
    if not path.is_file():
        raise CodecarbonLayoutError(
            f"codecarbon data file {relative} not found (layout changed? "
            f"tested with codecarbon {CODECARBON_VERSION_TESTED})"
        )
    return path


def _json(relative: str) -> Any:
    try:
        return json.loads(_path(relative).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CodecarbonLayoutError(f"codecarbon data file {relative} is not JSON: {exc}") from exc


def _need(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise CodecarbonLayoutError(
            f"codecarbon data {where}: field {key!r} missing (layout changed)"
        )
    return mapping[key]


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CodecarbonLayoutError(f"codecarbon data {where}: {value!r} is not a number") from None


@lru_cache(maxsize=1)
def countries() -> dict[str, RegionIntensity]:
    """ISO3 → national average intensity (Our World in Data / Ember via codecarbon)."""
    data = _json(GLOBAL_ENERGY_MIX)
    if not isinstance(data, dict) or not data:
        raise CodecarbonLayoutError(f"codecarbon data {GLOBAL_ENERGY_MIX}: expected an object")
    out: dict[str, RegionIntensity] = {}
    for iso3, row in data.items():
        where = f"{GLOBAL_ENERGY_MIX}[{iso3}]"
        value = _need(row, "carbon_intensity", where)
        if value is None:
            continue
        year = row.get("year")
        out[iso3.upper()] = RegionIntensity(
            key=iso3.upper(),
            name=str(row.get("country_name", iso3)),
            g_per_kwh=_number(value, where),
            year=int(year) if year is not None else None,
            source=(
                f"codecarbon {CODECARBON_VERSION_TESTED} data/{GLOBAL_ENERGY_MIX} "
                f"(Our World in Data / Ember electricity mix, {year})"
            ),
        )
    return out


@lru_cache(maxsize=1)
def world_average() -> RegionIntensity:
    data = _json(INTENSITY_PER_SOURCE)
    value = _number(_need(data, "world_average", INTENSITY_PER_SOURCE), INTENSITY_PER_SOURCE)
    url = data.get("world_average_source", "")
    return RegionIntensity(
        key="WORLD",
        name="world average",
        g_per_kwh=value,
        year=2019,
        source=f"IEA Global Energy & CO2 Status Report 2019 ({url}), via codecarbon "
        f"{CODECARBON_VERSION_TESTED} data/{INTENSITY_PER_SOURCE}",
    )


@lru_cache(maxsize=1)
def gcp_regions() -> dict[str, RegionIntensity]:
    """GCP region → the region's grid intensity as Google publishes it."""
    path = _path(CLOUD_IMPACT)
    out: dict[str, RegionIntensity] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for column in ("provider", "region", "impact", "country_name"):
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise CodecarbonLayoutError(
                    f"codecarbon data {CLOUD_IMPACT}: column {column!r} missing (layout changed)"
                )
        for row in reader:
            if row["provider"].strip().lower() != "gcp":
                continue
            region = row["region"].strip()
            out[region] = RegionIntensity(
                key=f"gcp:{region}",
                name=f"GCP {region} ({row['country_name']})",
                g_per_kwh=_number(row["impact"], f"{CLOUD_IMPACT}[{region}]"),
                year=None,
                source=f"Google Cloud region carbon data ({row.get('source') or 'cloud.google.com'}), "
                f"via codecarbon {CODECARBON_VERSION_TESTED} data/{CLOUD_IMPACT}",
                country=(row.get("countryIsoCode") or "").strip().upper() or None,
            )
    if not out:
        raise CodecarbonLayoutError(f"codecarbon data {CLOUD_IMPACT}: no GCP region found")
    return out


@lru_cache(maxsize=1)
def us_states() -> dict[str, RegionIntensity]:
    """Two-letter state code → EPA eGRID intensity (shipped in lbs/MWh, returned in g/kWh)."""
    data = _json(USA_EMISSIONS)
    meta = data.get("_source", {}) if isinstance(data, dict) else {}
    unit = (data.get("_unit", {}) or {}).get("emissions", "lbs/MWh")
    if unit != "lbs/MWh":
        raise CodecarbonLayoutError(
            f"codecarbon data {USA_EMISSIONS}: unit {unit!r}, expected lbs/MWh"
        )
    year = meta.get("year")
    out: dict[str, RegionIntensity] = {}
    for name, row in data.items():
        if name.startswith("_"):
            continue
        where = f"{USA_EMISSIONS}[{name}]"
        code = str(_need(row, "regionCode", where)).upper()
        lbs = _number(_need(row, "emissions", where), where)
        out[code] = RegionIntensity(
            key=f"USA:{code}",
            name=name,
            g_per_kwh=lbs * LBS_PER_MWH_TO_G_PER_KWH,
            year=int(year) if year else None,
            source=f"{meta.get('name', 'EPA eGRID')} ({meta.get('url', '')}), via codecarbon "
            f"{CODECARBON_VERSION_TESTED} data/{USA_EMISSIONS}",
        )
    return out


@lru_cache(maxsize=1)
def canada_provinces() -> dict[str, RegionIntensity]:
    """Province name → intensity from its generation mix, computed as codecarbon does.

    codecarbon weights only coal, petroleum and natural gas by their share of generation
    (low-carbon sources count as zero), so these are direct-combustion figures.
    """
    data = _json(CANADA_ENERGY_MIX)
    out: dict[str, RegionIntensity] = {}
    for name, mix in data.items():
        where = f"{CANADA_ENERGY_MIX}[{name}]"
        total = _number(_need(mix, "total", where), where)
        g = sum(
            _number(_need(mix, fuel, where), where) / total * factor
            for fuel, factor in _PROVINCE_FOSSIL_G_PER_KWH.items()
        )
        out[name.lower()] = RegionIntensity(
            key=f"CAN:{name.lower()}",
            name=name,
            g_per_kwh=g,
            year=2023,
            source=f"provincial generation mix × fossil factors, as codecarbon computes it "
            f"(codecarbon {CODECARBON_VERSION_TESTED} data/{CANADA_ENERGY_MIX})",
        )
    return out


@lru_cache(maxsize=1)
def nordic_zones() -> dict[str, RegionIntensity]:
    """Nordic bidding zone (SE1..SE4, NO1..NO5, FI) → intensity."""
    data = _json(NORDIC_EMISSIONS)
    zones = _need(data, "data", NORDIC_EMISSIONS)
    source = (data.get("metadata", {}) or {}).get("source", "ENTSO-E")
    out: dict[str, RegionIntensity] = {}
    for zone, row in zones.items():
        where = f"{NORDIC_EMISSIONS}[{zone}]"
        year = row.get("year")
        out[zone.upper()] = RegionIntensity(
            key=zone.upper(),
            name=str(row.get("description", zone)),
            g_per_kwh=_number(_need(row, "emission_factor", where), where),
            year=int(year) if year else None,
            source=f"{source}, via codecarbon {CODECARBON_VERSION_TESTED} data/{NORDIC_EMISSIONS}",
        )
    return out
