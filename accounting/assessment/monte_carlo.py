"""Monte Carlo over the factor ranges: independent triangular draws, fixed seed, numpy.

Each factor is drawn from a triangular distribution (low, value, high); an exact factor
(low == high) is constant. Each factor has its own random stream seeded by (seed, factor
name), so two assessments that share a factor name (a run and the training run it
amortizes) draw the same quantiles for it, and adding a factor does not reshuffle others.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accounting.factors.factor import Factor


@dataclass(frozen=True)
class Interval:
    p05: float
    p50: float
    p95: float
    draws: int
    seed: int
    method: str = "independent triangular(low, value, high) draws per factor"

    def to_json(self) -> dict[str, object]:
        return {
            "p05": self.p05,
            "p50": self.p50,
            "p95": self.p95,
            "draws": self.draws,
            "seed": self.seed,
            "method": self.method,
        }


def triangular_from_uniform(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution, vectorized."""
    if high <= low:
        return np.full_like(u, low)
    width = high - low
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < cut, left, right)


def uniforms(name: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
    return rng.random(n)


def draw(factors: Mapping[str, Factor], n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` draws of every factor (constant arrays for exact factors)."""
    out: dict[str, np.ndarray] = {}
    for name, factor in factors.items():
        if factor.exact:
            out[name] = np.full(n, factor.value)
        else:
            out[name] = triangular_from_uniform(
                uniforms(name, n, seed), factor.low, factor.value, factor.high
            )
    return out


def interval(samples: np.ndarray, seed: int) -> Interval:
    p05, p50, p95 = np.percentile(samples, [5.0, 50.0, 95.0])
    return Interval(float(p05), float(p50), float(p95), int(samples.size), seed)
