"""Where the driver's timestamps fall on the meter's clock.

NVML stamps each power sample (``nvmlSample_t.timeStamp``) and each field value
(``nvmlFieldValue_t.timestamp``, "microseconds since 1970") with the CPU time, in µs. The
meter's windows use their own clock (``time.monotonic`` by default). A sample's energy
covers the period that ends at its stamp, so the integral of the sample buffer reaches that
stamp, not the moment the buffer was read: up to one driver sample period earlier.

The offset ``meter clock − driver time`` is estimated from upper bounds only. A stamp is
never later than the moment its call returned, so ``clock after the call − stamp`` is at
least the true offset, and the smallest such bound is the closest to it. A field value is
stamped when it is read, which makes its bound tight (within the call's duration); a sample
is stamped at the end of its period, so its bound is loose by up to one period. Field
bounds are only trusted while they agree with the sample bounds to within ``MAX_AGE_S``
(a driver that stamped the two in different time bases would otherwise map samples to
nonsense); the sample bounds alone still never place a sample after the read that saw it.
"""

from __future__ import annotations

MAX_AGE_S = 1.0  # a power sample the driver publishes is never older than this when read


class DriverClock:
    """Maps the driver's µs timestamps to the meter's clock (seconds)."""

    def __init__(self) -> None:
        self._sample_bound_s: float | None = None
        self._field_bound_s: float | None = None

    def saw_sample(self, after_s: float, stamp_us: int) -> None:
        """A read that returned at ``after_s`` (meter clock) saw a sample stamped ``stamp_us``."""
        bound = after_s - stamp_us / 1e6
        if self._sample_bound_s is None or bound < self._sample_bound_s:
            self._sample_bound_s = bound

    def saw_field(self, after_s: float, stamp_us: int) -> None:
        """A field value stamped ``stamp_us`` came back from a call that returned at ``after_s``."""
        if stamp_us <= 0:  # not stamped
            return
        bound = after_s - stamp_us / 1e6
        if self._field_bound_s is None or bound < self._field_bound_s:
            self._field_bound_s = bound

    @property
    def offset_s(self) -> float | None:
        """meter clock − driver time (s), the best estimate so far; None before any sample."""
        samples, fields = self._sample_bound_s, self._field_bound_s
        if samples is None:
            return None
        if fields is not None and -MAX_AGE_S <= samples - fields <= MAX_AGE_S:
            return min(samples, fields)
        return samples

    def to_clock(self, stamp_us: int, now_s: float) -> float:
        """The meter-clock time of a driver stamp (never after ``now_s``, when it was seen)."""
        offset = self.offset_s
        if offset is None:
            return now_s
        return min(now_s, stamp_us / 1e6 + offset)
