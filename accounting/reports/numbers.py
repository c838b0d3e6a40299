"""Number formatting shared by every report format, so that each says the same digits.

Numbers are formatted once, in Python (no siunitx, no locale): four significant digits,
thousands separated by commas, never scientific notation. The JSON report keeps full floats.

Money everywhere (reports, figures, the dashboard, the terminal) is written by :func:`money`;
each output keeps its own :class:`MoneyStyle` (reports: 4 significant digits; figures and the
dashboard: 4 significant digits, cents from 100, whole units from 1,000; the terminal: cents).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class MoneyStyle:
    """How :func:`money` writes an amount. From the top: whole units from ``whole_from``,
    cents from ``cents_from``, then ``significant`` digits."""

    significant: int = SIGNIFICANT_DIGITS
    trim_zeros: bool = False
    """Significant digits as ``%g`` (``39.8``, not ``39.80``)."""
    cents_from: float = math.inf
    whole_from: float = 1000.0
    zero: str = "0"
    minus: str = "-"
    signed_zero: bool = False
    """A negative amount that rounds to zero keeps its sign (``-0.00``)."""
    missing: str = MISSING
    """For no value, or a value that is not finite."""


REPORT = MoneyStyle()
"""Reports: ``1,234 USD``, ``123.5 USD``, ``0.04358 USD``."""
DISPLAY = MoneyStyle(trim_zeros=True, cents_from=100.0, minus="−", missing="—")
"""Figures and the dashboard: ``1,234 USD``, ``123.46 USD``, ``39.8 USD``, ``−0.04358 USD``."""
CENTS = MoneyStyle(
    significant=3,
    trim_zeros=True,
    cents_from=0.01,
    whole_from=math.inf,
    zero="0.00",
    signed_zero=True,
    missing="—",
)
"""The terminal: ``1,234.50 USD``, under a cent ``0.00436 USD``."""
CENTS_COLUMN = MoneyStyle(cents_from=0.0, whole_from=math.inf, zero="0.00", signed_zero=True)
"""The terminal's assessment table: cents always, ``-0.00`` for a cost under a cent."""


def money(value: float | None, currency: str | None = "USD", style: MoneyStyle = REPORT) -> str:
    """``value`` in ``currency`` (none: the number alone) written in ``style``."""
    if value is None or not math.isfinite(value):
        return style.missing
    magnitude = abs(value)
    if magnitude >= style.whole_from:
        text = f"{magnitude:,.0f}"
    elif magnitude >= style.cents_from:
        text = f"{magnitude:,.2f}"
    elif magnitude == 0:
        text = style.zero
    elif style.trim_zeros:
        text = f"{magnitude:.{style.significant}g}"
    else:
        text = sig(magnitude, style.significant)
    shown = style.signed_zero or text.strip("0.,") != ""
    sign = style.minus if math.copysign(1.0, value) < 0 and shown else ""
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


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
