"""Place names for reports: ``FRA`` reads "France (FRA)", ``USA:CA`` "California (USA:CA)",
``SE3`` "Sweden Bidding Zone 3 (...) (SE3)". Names come from codecarbon's data, through the
factor adapter, so they match the intensity used. Anything not found (a cloud region, "world
average", a label) is kept as it is."""

from __future__ import annotations

from functools import cache


@cache
def place_label(code: str) -> str:
    from accounting.errors import InputError
    from accounting.factors.carbon_intensity import region_for_country

    text = code.strip()
    if not text or " " in text or text.lower().startswith(("gcp:", "aws:", "azure:")):
        return code
    try:
        name = region_for_country(text).name.strip()
    except (InputError, LookupError, ValueError, OSError):
        return code
    if not name or name.upper() == text.upper():
        return code
    if name == name.lower():
        name = name.title()
    return f"{name} ({text})"
