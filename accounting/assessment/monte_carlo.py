"""Monte Carlo over the factor ranges: mean-preserving draws, fixed seed, numpy.

Each ranged factor is drawn so that the mean of its draws is the published central value
(the audit of issue 15 found mode-based triangular draws shifted every mean upwards):

- ``pert``: a Beta-PERT on [low, high] whose mode is chosen so that its mean,
  (low + 4 mode + high) / 6, equals the value. Used for ranges that are bounds.
- ``lognormal``: a lognormal with its mean pinned at the value and its spread fitted so that
  high / low is the ratio of its 95th to its 5th percentile. Used where the source gives a
  5-95 % interval of a right-skewed quantity (the social cost of carbon).

An exact factor (low == high) is constant. Each factor has its own random stream seeded by
(seed, the factor's identity: name, value, range and source), so two assessments that use the
same factor (runs of one project, a run and the training run it amortizes) draw the same
quantiles for it: shared factors are perfectly correlated, which is how they really are (one
SCC, one price, one PUE per facility, one intensity per grid), while different factors (two
grids, two facilities) are drawn independently. A run's own energy measurement is drawn from a
stream of its own (``per_run``), so two runs' measurement errors are independent.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accounting.factors.factor import Factor

Z95 = 1.6448536269514722
"""Φ⁻¹(0.95): the 95th percentile of the standard normal."""
METHOD = "mean-preserving draws per factor (Beta-PERT or lognormal, mean = published value)"


@dataclass(frozen=True)
class Interval:
    p05: float
    p50: float
    p95: float
    draws: int
    seed: int
    method: str = METHOD
    central_percentile: float | None = None
    """Where the headline (central) value sits among the draws, 0..100."""

    def to_json(self) -> dict[str, object]:
        return {
            "p05": self.p05,
            "p50": self.p50,
            "p95": self.p95,
            "draws": self.draws,
            "seed": self.seed,
            "method": self.method,
            "central_percentile": self.central_percentile,
        }


def pert_mode(low: float, mean: float, high: float) -> float:
    """The mode that gives a Beta-PERT on [low, high] the mean ``mean`` (clamped to the range)."""
    return min(high, max(low, (6.0 * mean - low - high) / 4.0))


def draw_pert(rng: np.random.Generator, n: int, low: float, mean: float, high: float) -> np.ndarray:
    """``n`` draws of the mean-pinned Beta-PERT on [low, high]."""
    if high <= low:
        return np.full(n, low, dtype=float)
    width = high - low
    mode = pert_mode(low, mean, high)
    alpha = 1.0 + 4.0 * (mode - low) / width
    beta = 1.0 + 4.0 * (high - mode) / width
    return low + width * rng.beta(alpha, beta, n)


def lognormal_sigma(low: float, high: float) -> float:
    """σ of a lognormal whose 95th / 5th percentile ratio is high / low."""
    return math.log(high / low) / (2.0 * Z95)


def draw_lognormal(
    rng: np.random.Generator, n: int, low: float, mean: float, high: float
) -> np.ndarray:
    """``n`` draws of the mean-pinned lognormal (a PERT when low ≤ 0)."""
    if low <= 0 or mean <= 0:
        return draw_pert(rng, n, low, mean, high)
    sigma = lognormal_sigma(low, high)
    mu = math.log(mean) - sigma * sigma / 2.0
    return rng.lognormal(mu, sigma, n)


def draw_factor(factor: Factor, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of one factor from its own stream ``rng``."""
    if factor.exact:
        return np.full(n, factor.value, dtype=float)
    if factor.distribution == "lognormal":
        return draw_lognormal(rng, n, factor.low, factor.value, factor.high)
    return draw_pert(rng, n, factor.low, factor.value, factor.high)


def stream(name: str, seed: int) -> np.random.Generator:
    """The random stream of one name: the same name and seed always draw the same."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def draw(
    factors: Mapping[str, Factor],
    n: int,
    seed: int,
    *,
    per_run: frozenset[str] = frozenset(),
    run_tag: str = "",
) -> dict[str, np.ndarray]:
    """``n`` draws of every factor (constant arrays for exact factors).

    Factors named in ``per_run`` (a run's own energy measurement) draw from a stream keyed by
    ``run_tag`` as well, so two runs' measurement errors are independent, not one shared draw.
    """
    out: dict[str, np.ndarray] = {}
    for name, factor in factors.items():
        key = f"{name}@{run_tag}" if name in per_run and run_tag else stream_key(factor)
        out[name] = draw_factor(factor, stream(key, seed), n)
    return out


def stream_key(factor: Factor) -> str:
    """One random stream per distinct factor: the same factor in two runs draws the same."""
    return f"{factor.name}|{factor.value!r}|{factor.low!r}|{factor.high!r}|{factor.source}"


def interval(samples: np.ndarray, seed: int, central: float | None = None) -> Interval:
    p05, p50, p95 = np.percentile(samples, [5.0, 50.0, 95.0])
    rank = None
    if central is not None and samples.size:
        below = np.count_nonzero(samples < central)
        ties = np.count_nonzero(samples == central)
        rank = float(100.0 * (below + 0.5 * ties) / samples.size)
    return Interval(
        float(p05), float(p50), float(p95), int(samples.size), seed, central_percentile=rank
    )
