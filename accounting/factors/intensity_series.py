"""A user's carbon-intensity time series: a CSV of ``timestamp, gCO2e/kWh`` rows.

Each row's intensity holds from its timestamp until the next row's (the last row holds for
one nominal step). Rows must be hourly or finer, strictly increasing, without gaps (a step
longer than 1.5 × the series' median step), and must cover the whole run.

Timestamps are ISO 8601 (``2024-05-01T13:00:00Z``; a timestamp without a zone is UTC) or
Unix seconds. A header row is optional.

Operational carbon integrates each energy segment against the series: a segment's energy is
spread evenly over its duration and charged at each interval's intensity for its overlap.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from accounting.errors import InputError

MAX_STEP_S = 3600.0
GAP_TOLERANCE = 1.5

FloatArray = npt.NDArray[np.float64]


def _parse_time(text: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True, eq=False)
class IntensitySeries:
    path: str
    t_s: FloatArray
    """Interval starts, Unix seconds (UTC), strictly increasing."""
    g_per_kwh: FloatArray
    step_s: float
    breaks_s: FloatArray = field(repr=False)
    cumulative_g_s_per_kwh: FloatArray = field(repr=False)

    @property
    def start_s(self) -> float:
        return float(self.breaks_s[0])

    @property
    def end_s(self) -> float:
        return float(self.breaks_s[-1])

    @classmethod
    def from_points(cls, path: str, t_s: FloatArray, g_per_kwh: FloatArray) -> IntensitySeries:
        steps = np.diff(t_s)
        step_s = float(np.median(steps)) if len(steps) else MAX_STEP_S
        breaks = np.append(t_s, t_s[-1] + step_s)
        cumulative = np.concatenate(([0.0], np.cumsum(g_per_kwh * np.diff(breaks))))
        return cls(path, t_s, g_per_kwh, step_s, breaks, cumulative)

    @classmethod
    def load(cls, path: str | Path, field_name: str = "intensity_csv") -> IntensitySeries:
        file = Path(path)
        if not file.is_file():
            raise InputError(f"`{field_name}`: file not found: {file}")
        times: list[float] = []
        values: list[float] = []
        lines: list[int] = []
        with file.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if not row or all(not cell.strip() for cell in row) or row[0].startswith("#"):
                    continue
                if len(row) < 2:
                    raise InputError(
                        f"`{field_name}`: {file.name} line {number}: expected 'timestamp, gCO2e/kWh'"
                    )
                try:
                    moment = _parse_time(row[0])
                except ValueError:
                    if not times and number == 1:
                        continue  # a header row
                    raise InputError(
                        f"`{field_name}`: {file.name} line {number}: bad timestamp {row[0]!r}"
                    ) from None
                try:
                    value = float(row[1])
                except ValueError:
                    raise InputError(
                        f"`{field_name}`: {file.name} line {number}: bad intensity {row[1]!r} "
                        "(gCO2e/kWh expected)"
                    ) from None
                if not math.isfinite(value) or value < 0:
                    raise InputError(
                        f"`{field_name}`: {file.name} line {number}: intensity must be ≥ 0 "
                        f"gCO2e/kWh, got {row[1]!r}"
                    )
                if times and moment <= times[-1]:
                    raise InputError(
                        f"`{field_name}`: {file.name} line {number}: timestamp not after the "
                        "previous row's (rows must be in increasing time order)"
                    )
                times.append(moment)
                values.append(value)
                lines.append(number)
        if len(times) < 2:
            raise InputError(f"`{field_name}`: {file.name} needs at least two rows")
        t = np.asarray(times, dtype=np.float64)
        steps = np.diff(t)
        median = float(np.median(steps))
        if median > MAX_STEP_S:
            raise InputError(
                f"`{field_name}`: {file.name}: rows are {median / 3600:.1f} h apart; "
                "hourly or finer is needed"
            )
        gaps = np.nonzero(steps > GAP_TOLERANCE * median)[0]
        if len(gaps):
            i = int(gaps[0])
            raise InputError(
                f"`{field_name}`: {file.name}: gap of {steps[i] / 3600:.2f} h between line "
                f"{lines[i]} and line {lines[i + 1]}"
            )
        return cls.from_points(str(file), t, np.asarray(values, dtype=np.float64))

    def check_covers(self, start_s: float, end_s: float, field_name: str = "intensity_csv") -> None:
        if start_s < self.start_s or end_s > self.end_s:

            def iso(s: float) -> str:
                return datetime.fromtimestamp(s, UTC).isoformat(timespec="seconds")

            raise InputError(
                f"`{field_name}`: the series covers {iso(self.start_s)}..{iso(self.end_s)} "
                f"but the run spans {iso(start_s)}..{iso(end_s)}"
            )

    def at(self, t_s: FloatArray) -> FloatArray:
        index = np.searchsorted(self.breaks_s, t_s, side="right") - 1
        index = np.clip(index, 0, len(self.g_per_kwh) - 1)
        return self.g_per_kwh[index]

    def mean_over(self, start_s: FloatArray, end_s: FloatArray) -> FloatArray:
        """Time-weighted mean intensity over each [start, end] (the value at start if empty)."""
        f_start = np.interp(start_s, self.breaks_s, self.cumulative_g_s_per_kwh)
        f_end = np.interp(end_s, self.breaks_s, self.cumulative_g_s_per_kwh)
        span = end_s - start_s
        safe = np.where(span > 0, span, 1.0)
        return np.where(span > 0, (f_end - f_start) / safe, self.at(start_s))

    def carbon_g(self, start_s: FloatArray, end_s: FloatArray, kwh: FloatArray) -> float:
        """Σ kWh_i × mean intensity over segment i, in gCO2e (before PUE)."""
        return float(np.sum(kwh * self.mean_over(start_s, end_s)))
