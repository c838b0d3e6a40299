"""Power samples: their compact stored form and server-side downsampling for charts.

A ``power_samples`` entry (a batch of one device's readings) is also kept as one row of
``power_batches`` with its times and watts packed as little-endian float64, so that a chart
can read a million samples without parsing JSON. Downsampling averages the samples in equal
time buckets (mean power keeps the energy under the curve) and keeps each bucket's minimum
and maximum, so spikes stay visible.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_POINTS = 2000


@dataclass(frozen=True)
class PowerSeries:
    """One device's power over time. ``t_s`` are Unix seconds (UTC), ``power_w`` watts.

    When ``downsampled`` is true each point is a time bucket: ``t_s`` the mean time of its
    samples, ``power_w`` their mean power, ``power_min_w``/``power_max_w`` their extremes.
    ``samples`` counts the raw samples in the requested range.
    """

    run_id: str
    device_id: str
    device_kind: str
    method: str
    t_s: tuple[float, ...]
    power_w: tuple[float, ...]
    power_min_w: tuple[float, ...]
    power_max_w: tuple[float, ...]
    samples: int
    downsampled: bool


def pack_f64le(values: Sequence[float]) -> bytes:
    packed = array("d", values)
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines only here
        packed.byteswap()
    return packed.tobytes()


def batch_row(seq: int, data: Any) -> dict[str, Any]:
    """The ``power_batches`` row of a power_samples entry (a model or its payload dict)."""

    def get(name: str) -> Any:
        return data[name] if isinstance(data, dict) else getattr(data, name)

    t_s = [float(value) for value in get("t_s")]
    power_w = [float(value) for value in get("power_w")]
    finite = [value for value in t_s if value == value]
    return {
        "seq": seq,
        "run_id": get("run_id"),
        "device_id": get("device_id"),
        "device_kind": get("device_kind"),
        "method": get("method"),
        "samples": len(t_s),
        "t_first_s": min(finite) if finite else 0.0,
        "t_last_s": max(finite) if finite else 0.0,
        "t_s_f64le": pack_f64le(t_s),
        "power_w_f64le": pack_f64le(power_w),
    }


def downsample(
    run_id: str,
    device_id: str,
    device_kind: str,
    method: str,
    blobs: Iterable[tuple[bytes, bytes]],
    start_s: float | None,
    end_s: float | None,
    max_points: int,
) -> PowerSeries:
    """Concatenate a device's batches, keep [start_s, end_s], and bucket to ≤ max_points."""
    import numpy as np

    pairs = list(blobs)
    t = np.concatenate([np.frombuffer(tb, dtype="<f8") for tb, _ in pairs]) if pairs else None
    p = np.concatenate([np.frombuffer(pb, dtype="<f8") for _, pb in pairs]) if pairs else None
    if t is None or p is None:
        t = p = np.empty(0)
    keep = np.isfinite(t) & np.isfinite(p)
    if start_s is not None:
        keep &= t >= start_s
    if end_s is not None:
        keep &= t <= end_s
    t, p = t[keep], p[keep]
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, p = t[order], p[order]
    n = int(t.size)
    if n <= max_points:
        points = tuple(t.tolist()), tuple(p.tolist())
        return PowerSeries(
            run_id, device_id, device_kind, method, *points, points[1], points[1], n, False
        )
    lo, hi = float(t[0]), float(t[-1])
    width = (hi - lo) / max_points or 1.0
    bucket = np.minimum(((t - lo) / width).astype(np.int64), max_points - 1)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    counts = np.diff(np.r_[starts, n])
    mean_t = np.add.reduceat(t, starts) / counts
    mean_p = np.add.reduceat(p, starts) / counts
    return PowerSeries(
        run_id,
        device_id,
        device_kind,
        method,
        tuple(mean_t.tolist()),
        tuple(mean_p.tolist()),
        tuple(np.minimum.reduceat(p, starts).tolist()),
        tuple(np.maximum.reduceat(p, starts).tolist()),
        n,
        True,
    )
