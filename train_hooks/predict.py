"""Predict a run's total energy from the epochs (or step ranges) measured so far.

carbontracker multiplies the mean epoch energy by the number of epochs. We improve on it:

* the energy already measured (set-up, data loading, the first epoch) is taken as it is,
  and only the *remaining* units are extrapolated: ``total = measured + remaining × unit``;
* the first unit is a warm-up (allocator, caches, JIT, data-loader workers) and is left out
  of the per-unit estimate as soon as a second one exists;
* with four or more steady units, a least-squares trend is fitted and used when its slope is
  significant (|t| > 2), so a run that slows down (longer sequences, growing buffers) is
  extrapolated along its trend rather than flattened to its mean;
* the interval (≈95 %) adds the unit-to-unit spread of the remaining units and the
  uncertainty of the per-unit estimate; with a single steady unit, the warm-up difference
  stands in for the spread, never less than 5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from accounting.units import j_to_kwh

MIN_REL_SPREAD = 0.05
MAX_RANGES = 4096
"""Step ranges a run keeps for its prediction. A week of training at the default 100 steps a
range can close millions of ranges; past this many, :func:`coarsen` merges them pairwise, so
memory (and the cost of each prediction) stays bounded. The prediction is unchanged until
then."""
# two-sided 97.5 % quantiles of Student's t, by degrees of freedom (1..10); 1.96 beyond
_T975 = (12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23)


def _t975(df: int) -> float:
    if df < 1:
        return _T975[0]
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass(frozen=True)
class Unit:
    """One measured unit of work: an epoch, or a range of ``count`` steps."""

    index: int
    energy_j: float
    count: int = 1


def coarsen(units: Sequence[Unit]) -> list[Unit]:
    """Halve a list of units: the first (the warm-up) stays alone, the steady ones are merged
    two by two (energies and counts add; a last odd one stays). The per-unit rate of a merged
    unit is the count-weighted mean of its two, so the mean rate is unchanged; the spread and
    the trend are then estimated over coarser units."""
    if len(units) < 3:
        return list(units)
    merged = [units[0]]
    steady = units[1:]
    for i in range(0, len(steady), 2):
        pair = steady[i : i + 2]
        merged.append(Unit(len(merged), sum(u.energy_j for u in pair), sum(u.count for u in pair)))
    return merged


@dataclass(frozen=True)
class EnergyForecast:
    basis: str
    """``epochs`` or ``steps``."""
    done: int
    total: int
    measured_j: float
    energy_j: float
    low_j: float
    high_j: float
    method: str


def forecast(
    units: Sequence[Unit], measured_j: float, total: int, basis: str = "epochs"
) -> EnergyForecast:
    """Total energy of a run of ``total`` units, ``measured_j`` being used by the done ones."""
    if total <= 0:
        raise ValueError(f"total_{basis} must be > 0, got {total}")
    done = sum(u.count for u in units)
    if not units:
        raise ValueError(f"no {basis} measured yet: nothing to predict from")
    remaining = max(0, total - done)
    steady = list(units[1:]) if len(units) >= 2 else list(units)
    rates = [u.energy_j / u.count for u in steady]
    weights = [u.count for u in steady]
    wsum = float(sum(weights))
    mean = sum(r * w for r, w in zip(rates, weights, strict=True)) / wsum
    method = "mean of steady units (warm-up excluded)" if len(units) >= 2 else "single unit"

    if len(rates) >= 2:
        var = sum(w * (r - mean) ** 2 for r, w in zip(rates, weights, strict=True)) / wsum
        sd = math.sqrt(var * len(rates) / (len(rates) - 1))
        df = len(rates) - 1
    else:
        # one steady unit: the warm-up difference stands in for the spread (a heuristic,
        # so a normal quantile rather than Student's t with 0 degrees of freedom)
        sd = abs(units[0].energy_j / units[0].count - mean) if len(units) >= 2 else 0.0
        df = 1000
    sd = max(sd, MIN_REL_SPREAD * mean)

    extrapolated = remaining * mean
    per = wsum / len(rates)  # mean count of a unit: 1 for epochs, the range size for steps
    n_more = remaining / per  # remaining units
    if len(rates) >= 4:
        xs = [float(i) for i in range(len(rates))]
        xbar = sum(xs) / len(xs)
        sxx = sum((x - xbar) ** 2 for x in xs)
        slope = sum((x - xbar) * (r - mean) for x, r in zip(xs, rates, strict=True)) / sxx
        resid = [r - (mean + slope * (x - xbar)) for x, r in zip(xs, rates, strict=True)]
        s_res = math.sqrt(sum(e * e for e in resid) / (len(rates) - 2))
        significant = slope != 0 and (s_res == 0 or abs(slope) / (s_res / math.sqrt(sxx)) > 2.0)
        if significant:
            # the remaining units continue the trend: their mean rate is the trend's value
            # at the middle of the remaining units
            mid_x = len(rates) + (n_more - 1) / 2.0
            extrapolated = max(0.0, remaining * (mean + slope * (mid_x - xbar)))
            sd = max(s_res, MIN_REL_SPREAD * mean)
            method = "linear trend of steady units (warm-up excluded)"
            df = len(rates) - 2

    # the sum of m future units: variance = m·σ² (spread) + m²·σ²/k (estimate of the mean)
    sd_unit = sd * per
    half = _t975(df) * sd_unit * math.sqrt(n_more + n_more * n_more / len(rates))
    point = measured_j + extrapolated
    return EnergyForecast(
        basis=basis,
        done=done,
        total=total,
        measured_j=measured_j,
        energy_j=point,
        low_j=max(measured_j, point - half),
        high_j=point + half,
        method=method,
    )


@dataclass(frozen=True)
class Prediction:
    """The predicted energy and CO2e of the whole run (≈95 % interval), from ``Run.predict()``."""

    basis: str
    done: int
    total: int
    measured_kwh: float
    energy_kwh: float
    low_kwh: float
    high_kwh: float
    kgco2e: float
    low_kgco2e: float
    high_kgco2e: float
    pue: float
    intensity_g_per_kwh: float
    method: str

    @classmethod
    def of(cls, f: EnergyForecast, pue: float, g_per_kwh: float) -> Prediction:
        def kg(j: float) -> float:
            return j_to_kwh(j) * pue * g_per_kwh / 1000.0

        return cls(
            basis=f.basis,
            done=f.done,
            total=f.total,
            measured_kwh=j_to_kwh(f.measured_j),
            energy_kwh=j_to_kwh(f.energy_j),
            low_kwh=j_to_kwh(f.low_j),
            high_kwh=j_to_kwh(f.high_j),
            kgco2e=kg(f.energy_j),
            low_kgco2e=kg(f.low_j),
            high_kgco2e=kg(f.high_j),
            pue=pue,
            intensity_g_per_kwh=g_per_kwh,
            method=f.method,
        )
