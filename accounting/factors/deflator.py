"""One dollar year for all money: a bundled annual price index and the conversion through it.

The index is the US BLS Consumer Price Index for All Urban Consumers (CPI-U), U.S. city
average, all items, not seasonally adjusted, 1982-84 = 100, **annual averages** (BLS series
CUUR0000SA0, the "Annual avg" column of the CPI Detailed Report / Historical CPI-U table).
CPI-U rather than the BEA GDP deflator because the converted amounts are costs borne by
consumers of electricity and water and damages to households (the SCC), because CPI-U is
never revised after publication (the GDP deflator is), and because EPA's own SC-GHG report
adjusts its dollar years with a published price index in the same way.

The table ends at 2024, the latest full year whose annual average was typed in; amounts are
converted to 2024 USD unless ``--dollar-year`` says otherwise.

    amount in year Y dollars = amount in year X dollars × CPI(Y) / CPI(X)
"""

from __future__ import annotations

from accounting.errors import InputError

SOURCE = (
    "US Bureau of Labor Statistics, CPI-U, U.S. city average, all items, NSA, 1982-84=100, "
    "annual averages (series CUUR0000SA0)"
)

# Typed in from BLS, Historical CPI-U table ("Annual avg." column), series CUUR0000SA0.
CPI_U_ANNUAL: dict[int, float] = {
    2010: 218.056,
    2011: 224.939,
    2012: 229.594,
    2013: 232.957,
    2014: 236.736,
    2015: 237.017,
    2016: 240.007,
    2017: 245.120,
    2018: 251.107,
    2019: 255.657,
    2020: 258.811,
    2021: 270.970,
    2022: 292.655,
    2023: 304.702,
    2024: 313.689,
}
FIRST_YEAR = min(CPI_U_ANNUAL)
LATEST_YEAR = max(CPI_U_ANNUAL)
DEFAULT_DOLLAR_YEAR = LATEST_YEAR


def check_year(year: int, field: str = "dollar_year") -> int:
    if year not in CPI_U_ANNUAL:
        raise InputError(
            f"`{field}`: no price index for {year}; the bundled CPI-U table covers "
            f"{FIRST_YEAR}..{LATEST_YEAR}"
        )
    return year


def multiplier(from_year: int | None, to_year: int) -> float:
    """× this converts an amount in ``from_year`` dollars to ``to_year`` dollars.

    ``from_year`` None means the amount is already in ``to_year`` dollars (a user's value).
    """
    if from_year is None or from_year == to_year:
        return 1.0
    check_year(from_year, "dollar year of a factor")
    check_year(to_year)
    return CPI_U_ANNUAL[to_year] / CPI_U_ANNUAL[from_year]
