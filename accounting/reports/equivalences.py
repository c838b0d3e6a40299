"""Carbon in familiar terms, each with its published source and stated scope.

- Car: a typical US passenger vehicle emits about 400 g CO2 per mile of tailpipe CO2
  (U.S. EPA 2023), i.e. 400 / 1.609344 = 248.5 g per km.
- Flight: one passenger's round trip New York ↔ San Francisco, 1,984 lbs CO2e
  (Strubell, Ganesh and McCallum 2019, Table 1), i.e. 1,984 × 0.45359237 = 899.9 kg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KM_PER_MILE = 1.609344
KG_PER_LB = 0.45359237
CAR_KGCO2_PER_KM = 0.400 / KM_PER_MILE
FLIGHT_NY_SF_ROUND_TRIP_KGCO2E = 1984 * KG_PER_LB


@dataclass(frozen=True)
class Equivalence:
    key: str
    label: str
    amount: float
    unit: str
    per_unit_kgco2e: float
    source: str
    reference: str
    """Key into :mod:`accounting.reports.references`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "amount": self.amount,
            "unit": self.unit,
            "per_unit_kgco2e": self.per_unit_kgco2e,
            "source": self.source,
            "reference": self.reference,
        }


COMPARISONS: tuple[tuple[str, str, str, float, str, str], ...] = (
    (
        "car_km",
        "driving a typical passenger car",
        "km",
        CAR_KGCO2_PER_KM,
        "U.S. EPA (2023): about 400 g CO2 per mile (tailpipe) for a typical "
        "passenger vehicle, i.e. 248.5 g per km",
        "epa2023vehicle",
    ),
    (
        "flights_ny_sf",
        "one passenger's round-trip flight New York – San Francisco",
        "flights",
        FLIGHT_NY_SF_ROUND_TRIP_KGCO2E,
        "Strubell et al. (2019), Table 1: 1,984 lbs CO2e (899.9 kg) per passenger, "
        "New York – San Francisco round trip",
        "strubell2019",
    ),
)
"""Each comparison: key, label, unit, kgCO2e per unit, source, reference key."""


def equivalences(kgco2e: float) -> tuple[Equivalence, ...]:
    """What ``kgco2e`` (operational + embodied) compares to."""
    return tuple(
        Equivalence(key, label, kgco2e / per_unit, unit, per_unit, source, reference)
        for key, label, unit, per_unit, source, reference in COMPARISONS
    )
