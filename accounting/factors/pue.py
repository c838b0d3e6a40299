"""Power usage effectiveness presets (facility energy / IT energy)."""

from __future__ import annotations

from accounting.errors import InputError
from accounting.factors.factor import Factor
from accounting.factors.suggest import unknown_message

NAME = "pue"
UNIT = "ratio"
DEFAULT_PRESET = "pue:uptime-2023"

_UPTIME = "Uptime Institute Global Data Center Survey 2023: industry average PUE 1.58"
PRESETS: dict[str, Factor] = {
    "pue:uptime-2023": Factor(
        NAME,
        1.58,
        UNIT,
        1.10,
        2.00,
        f"{_UPTIME}; range 1.10 (hyperscale fleets) to 2.00 (older facilities), an ecoledger "
        "assumption for a facility whose PUE is not known",
        2023,
    ),
    "pue:google-2023": Factor(
        NAME,
        1.10,
        UNIT,
        1.08,
        1.12,
        "Google 2023 Environmental Report: fleet-wide TTM PUE 1.10",
        2023,
    ),
    "pue:meta-2023": Factor(
        NAME, 1.08, UNIT, 1.07, 1.10, "Meta 2023 Sustainability Report: fleet PUE 1.08", 2023
    ),
    "pue:aws-2023": Factor(
        NAME, 1.15, UNIT, 1.10, 1.20, "Amazon 2023 Sustainability Report: global PUE 1.15", 2023
    ),
    "pue:microsoft-2023": Factor(
        NAME,
        1.18,
        UNIT,
        1.12,
        1.22,
        "Microsoft 2023 Environmental Sustainability Report: "
        "design PUE of new data centres ≈1.12, fleet ≈1.18",
        2023,
    ),
    "pue:none": Factor(
        NAME, 1.0, UNIT, 1.0, 1.0, "no facility overhead counted (IT energy only)", None
    ),
}


def preset(name: str, field: str = "pue") -> Factor:
    key = name.strip().lower()
    if not key.startswith("pue:"):
        key = "pue:" + key
    found = PRESETS.get(key)
    if found is None:
        raise InputError(unknown_message(field, "PUE preset", name, PRESETS))
    return found


def user_value(pue: float, field: str = "pue", source: str | None = None) -> Factor:
    if not pue > 0:
        raise InputError(f"`{field}`: PUE must be > 0, got {pue}")
    if pue < 1:
        raise InputError(f"`{field}`: PUE must be ≥ 1 (facility energy ≥ IT energy), got {pue}")
    return Factor.exact_value(NAME, pue, UNIT, source or f"user-supplied ({field})")
