"""A factor: a value with its unit, a low/high range, a source and a year.

Every number the assessment multiplies by comes in as a :class:`Factor`, so every figure
can be traced to where it came from and how sure we are of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from accounting.entries import FactorRecord
from accounting.errors import InputError

DISTRIBUTIONS = ("pert", "lognormal")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=_Named)


def by_name(*items: NamedT) -> dict[str, NamedT]:
    """A table of presets keyed by each one's name, in the order given."""
    return {item.name: item for item in items}


@dataclass(frozen=True)
class Factor:
    """``value`` in ``unit``; ``low``..``high`` is the range the Monte Carlo samples from.

    ``low == high == value`` means the value is taken as exact (a user's own figure).
    """

    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    year: int | None = None
    distribution: str = "pert"
    """How the Monte Carlo draws it, with ``value`` as the mean: ``pert`` (low..high are
    bounds) or ``lognormal`` (low..high are the 5th..95th percentiles). Exact factors are
    constant whatever this says."""
    boundary: str | None = None
    """For carbon intensities: ``lifecycle``, ``direct_combustion`` or ``unknown``."""
    dollar_year: int | None = None
    """For money factors: the year whose US dollars ``value`` is in."""

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(
                f"{self.name}: distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                f"got {self.distribution!r}"
            )
        for label, number in (("value", self.value), ("low", self.low), ("high", self.high)):
            if not math.isfinite(number):
                raise InputError(f"{self.name}: {label} must be a finite number, got {number}")
        if not self.low <= self.value <= self.high:
            raise InputError(
                f"{self.name}: value {self.value} must lie within its range "
                f"[{self.low}, {self.high}]"
            )

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def distribution_text(self) -> str:
        """How it is drawn, for an assumptions table."""
        if self.exact:
            return "constant"
        if self.distribution == "lognormal":
            return "lognormal, mean = value, p05..p95 ≈ low..high"
        return "Beta-PERT on low..high, mean = value"

    @classmethod
    def exact_value(cls, name: str, value: float, unit: str, source: str) -> Factor:
        return cls(name, value, unit, value, value, source)

    @classmethod
    def relative(
        cls,
        name: str,
        value: float,
        unit: str,
        rel: float,
        source: str,
        year: int | None = None,
    ) -> Factor:
        """A factor known to ±``rel`` (a fraction) of its value."""
        low, high = sorted((value * (1 - rel), value * (1 + rel)))
        return cls(name, value, unit, low, high, source, year)

    def with_range(self, low: float, high: float) -> Factor:
        return replace(self, low=low, high=high)

    def to_record(self) -> FactorRecord:
        return FactorRecord(
            name=self.name,
            value=self.value,
            unit=self.unit,
            low=self.low,
            high=self.high,
            source=self.source,
            year=self.year,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "low": self.low,
            "high": self.high,
            "source": self.source,
            "year": self.year,
            "distribution": self.distribution_text,
            "boundary": self.boundary,
            "dollar_year": self.dollar_year,
        }
