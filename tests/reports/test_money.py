"""One money formatter: each output's style, with amounts written out by hand."""

from __future__ import annotations

import pytest

from accounting.reports.numbers import CENTS, CENTS_COLUMN, DISPLAY, REPORT, money


@pytest.mark.parametrize(
    ("value", "report", "display", "cents", "column"),
    [
        (1234.5, "1,234 USD", "1,234 USD", "1,234.50 USD", "1,234.50"),
        (123.456, "123.5 USD", "123.46 USD", "123.46 USD", "123.46"),
        (39.8, "39.80 USD", "39.8 USD", "39.80 USD", "39.80"),
        (0.04358, "0.04358 USD", "0.04358 USD", "0.04 USD", "0.04"),
        (0.004358, "0.004358 USD", "0.004358 USD", "0.00436 USD", "0.00"),
        (0.0, "0 USD", "0 USD", "0.00 USD", "0.00"),
        (-1234.5, "-1,234 USD", "−1,234 USD", "-1,234.50 USD", "-1,234.50"),
        (-0.001, "-0.001000 USD", "−0.001 USD", "-0.001 USD", "-0.00"),
        (-0.0, "0 USD", "0 USD", "-0.00 USD", "-0.00"),
    ],
)
def test_each_style_writes_the_amount_as_its_output_always_has(
    value: float, report: str, display: str, cents: str, column: str
) -> None:
    assert money(value, "USD", REPORT) == report
    assert money(value, "USD", DISPLAY) == display
    assert money(value, "USD", CENTS) == cents
    assert money(value, None, CENTS_COLUMN) == column


def test_no_value_is_each_style_s_missing_mark() -> None:
    assert money(None) == "n/a" and money(float("nan")) == "n/a"
    assert money(None, "USD", DISPLAY) == "—" and money(None, "USD", CENTS) == "—"
