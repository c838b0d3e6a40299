"""Resolve ``--compare-countries`` / ``--compare-clouds`` into intensity factors."""

from __future__ import annotations

from accounting.assessment.settings import AssumptionSettings
from accounting.factors import carbon_intensity
from accounting.factors.factor import Factor


def compare_factors(settings: AssumptionSettings) -> tuple[tuple[str, str, Factor], ...]:
    out: list[tuple[str, str, Factor]] = []
    for code in settings.compare_countries:
        out.append(
            (code.upper(), "country", carbon_intensity.for_country(code, "compare_countries"))
        )
    for name in settings.compare_clouds:
        cloud = name if ":" in name else f"gcp:{name}"
        out.append((cloud, "cloud", carbon_intensity.for_cloud(name, "compare_clouds")))
    return tuple(out)
