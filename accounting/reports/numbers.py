"""Number formatting shared by every report format, so that each says the same digits.

Numbers are formatted once, in Python (no siunitx, no locale): four significant digits,
thousands separated by commas, never scientific notation. The JSON report keeps full floats.
"""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 4
MISSING = "n/a"


def sig(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> str:
    """``value`` to ``digits`` significant digits (integers above that are kept whole)."""
    if value is None or not math.isfinite(value):
        return MISSING
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - exponent)
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0,.") == "":  # rounded to zero
        return "0"
    return text


def money(value: float | None, currency: str = "USD") -> str:
    return f"{sig(value)} {currency}" if value is not None else MISSING


def percent(share: float | None) -> str:
    if share is None or not math.isfinite(share):
        return MISSING
    return f"{share * 100:.1f} %"


def hours(seconds: float) -> str:
    """A duration for people: ``2.5 h``, ``12.0 min`` or ``8.3 s``."""
    if seconds >= 3600:
        return f"{sig(seconds / 3600)} h"
    if seconds >= 60:
        return f"{sig(seconds / 60)} min"
    return f"{sig(seconds)} s"


def parse(text: str) -> float:
    """The inverse of :func:`sig` (for tests and ``verify``)."""
    return float(text.replace(",", "").split()[0])
