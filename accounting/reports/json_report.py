"""The report as JSON, and its JSON Schema (``ecoledger report --schema``).

The document is :meth:`ReportContent.to_json`. For a run report, ``totals`` holds exactly
the stable keys of ``ecoledger assess RUN --json`` and ``runs[0].assessment`` the whole
``assess --json`` document. Floats are written unrounded.
"""

from __future__ import annotations

import json
from typing import Any

from accounting.assessment.settings import FUNCTIONAL_UNITS
from accounting.reports.content import METHOD_KEYS, STABLE_KEYS
from accounting.reports.facts import REPORT_SCHEMA_ID, ReportContent


def render_json(content: ReportContent) -> str:
    return json.dumps(content.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _num(description: str, nullable: bool = False) -> dict[str, Any]:
    kind: Any = ["number", "null"] if nullable else "number"
    return {"type": kind, "description": description}


_TOTAL_DESCRIPTIONS = {
    "energy_it_kwh": "IT energy measured at the devices, kWh",
    "pue": "power usage effectiveness (facility / IT energy)",
    "energy_facility_kwh": "facility energy, kWh (IT × PUE)",
    "operational_kgco2e": "operational emissions, kgCO2e",
    "embodied_kgco2e": "embodied (hardware manufacturing) emissions, kgCO2e",
    "water_onsite_l": "on-site (cooling) water, litres",
    "water_offsite_l": "off-site (electricity generation) water, litres",
    "water_l": "total water, litres",
    "energy_cost": "energy cost, in `currency`",
    "carbon_cost": "carbon cost (operational tCO2e × SCC), in `currency`",
    "secondary_cost": "secondary cost (embodied carbon and water), in `currency`",
    "social_benefit": "declared social benefit, in `currency`",
    "environmental_benefit": "declared environmental benefit (avoided tCO2e × SCC)",
    "net_benefit": "social + environmental − energy − carbon − secondary",
    "net_benefit_p05": "5th percentile of the net benefit (Monte Carlo)",
    "net_benefit_p50": "median net benefit (Monte Carlo)",
    "net_benefit_p95": "95th percentile of the net benefit (Monte Carlo)",
}


def _totals_schema() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key in STABLE_KEYS:
        if key == "currency":
            props[key] = {"type": "string", "description": "ISO 4217 code of every money figure"}
        elif key == "break_even_uses":
            props[key] = {
                "type": ["integer", "null"],
                "description": "uses after which the net benefit turns positive; null: never "
                "(always null in a project report)",
            }
        else:
            props[key] = _num(
                _TOTAL_DESCRIPTIONS[key],
                nullable=key in ("pue", "embodied_kgco2e") or "_p" in key,
            )
    for key in METHOD_KEYS:
        if key.endswith(("_p05", "_p50", "_p95")):
            props[key] = _num(
                f"{key[-3:]} of {key[:-4]} (Monte Carlo; joint over a project's runs); "
                "null when not estimated",
                nullable=True,
            )
    props["dollar_year"] = {
        "type": ["integer", "null"],
        "description": "the year of the US dollars of every money figure (CPI-U converted)",
    }
    props["money_unit"] = {"type": ["string", "null"], "description": "e.g. `2024 USD`"}
    props["scope2_method"] = {"const": "location-based"}
    props["operational_location_kgco2e"] = _num("scope 2 location-based, kgCO2e", True)
    props["operational_market_kgco2e"] = _num(
        "scope 2 market-based, kgCO2e; null without a contractual instrument", True
    )
    props["sci_gco2e_per_unit"] = _num("SCI, gCO2e per `sci_unit`; null when not shown", True)
    props["sci_unit"] = {"type": ["string", "null"], "enum": [*FUNCTIONAL_UNITS, None]}
    props["not_estimated"] = {
        "type": ["object", "null"],
        "description": "keys that could not be estimated (null above) → the reason",
    }
    return {
        "type": "object",
        "description": "run report: the stable keys of `ecoledger assess RUN --json`; project "
        "report: their sums over the runs (amortized training shares taken out)",
        "required": list(STABLE_KEYS),
        "properties": props,
    }


def _obj(
    description: str, props: dict[str, Any], required: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": required if required is not None else list(props),
        "properties": props,
    }


def _arr(description: str, items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": items}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report."""
    run = _obj(
        "a run the report covers",
        {
            "role": {"enum": ["run", "training run amortized", "project run"]},
            "run_id": STR,
            "name": {"type": "string", "description": "user text"},
            "project": NSTR,
            "kind": STR,
            "status": STR,
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": NSTR,
            "duration_s": NUM,
            "gpu_hours": NUM,
            "energy_it_kwh": NUM,
            "approximated_share": {"type": "number", "minimum": 0, "maximum": 1},
            "location": NSTR,
            "hosts": _arr("hosts that wrote entries", STR),
            "tags": _arr("user tags", STR),
            "assessment": {
                "type": ["object", "null"],
                "description": "the run's `ecoledger assess --json` document; null when the run "
                "has no energy entries",
            },
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": REPORT_SCHEMA_ID,
        "title": "ecoledger carbon report",
        "description": "A run or project report, recomputable from the ledger with "
        "`ecoledger verify --report FILE`. Units are in the key names.",
        "type": "object",
        "required": [
            "$schema",
            "schema_version",
            "scope",
            "title",
            "statement",
            "totals",
            "runs",
            "assumptions",
            "counterfactuals",
            "problems",
            "equivalences",
            "references",
            "provenance",
        ],
        "properties": {
            "$schema": {"const": REPORT_SCHEMA_ID},
            "schema_version": {"const": 1},
            "scope": _obj(
                "what the report covers",
                {
                    "kind": {"enum": ["run", "project"]},
                    "run_id": NSTR,
                    "project": NSTR,
                    "since": NSTR,
                    "until": NSTR,
                },
            ),
            "title": STR,
            "statement": {"type": "string", "description": "one paragraph for a paper"},
            "totals": _totals_schema(),
            "duration_s": NUM,
            "gpu_hours": NUM,
            "approximated_share": {
                "type": "number",
                "description": "share of the IT energy from approximated methods (0..1)",
            },
            "interval": {"type": ["object", "null"], "description": "Monte Carlo settings"},
            "runs": _arr("the runs covered, in order", run),
            "hardware": _arr(
                "metered devices grouped by model",
                _obj("", {"kind": STR, "model": STR, "count": NUM, "hosts": NUM}),
            ),
            "locations": _arr("grid locations used", STR),
            "devices": _arr(
                "every metered device with its measurement method",
                _obj(
                    "",
                    {
                        "run_id": STR,
                        "run_name": STR,
                        "device_id": STR,
                        "kind": STR,
                        "model": STR,
                        "method": STR,
                        "approximated": BOOL,
                        "energy_kwh": NUM,
                        "host": STR,
                        "rank": {"type": ["integer", "null"]},
                    },
                ),
            ),
            "assumptions": _arr(
                "every factor with its value, range and source",
                _obj(
                    "",
                    {
                        "name": STR,
                        "value": NUM,
                        "unit": STR,
                        "low": NUM,
                        "high": NUM,
                        "source": STR,
                        "year": {"type": ["integer", "null"]},
                        "runs": {"type": "integer", "description": "runs that used this value"},
                    },
                ),
            ),
            "settings": {"type": "object", "description": "assumption settings used"},
            "amortization": {
                "type": ["object", "null"],
                "description": "run report of an inference run: the training run's share",
            },
            "counterfactuals": _arr(
                "the same energy in other places or hours",
                _obj(
                    "",
                    {
                        "where": STR,
                        "kind": STR,
                        "operational_kgco2e": NUM,
                        "carbon_cost": NUM,
                        "saving_kgco2e": NUM,
                        "lowest": BOOL,
                    },
                ),
            ),
            "lowest_counterfactual": NSTR,
            "problems": _arr(
                "problems recorded (lost devices, shared GPUs...)",
                _obj(
                    "",
                    {
                        "run_name": STR,
                        "code": STR,
                        "severity": STR,
                        "message": STR,
                        "device_id": NSTR,
                    },
                ),
            ),
            "equivalences": _arr(
                "operational + embodied kgCO2e in familiar terms",
                _obj(
                    "",
                    {
                        "key": STR,
                        "label": STR,
                        "amount": NUM,
                        "unit": STR,
                        "per_unit_kgco2e": NUM,
                        "source": STR,
                        "reference": STR,
                    },
                ),
            ),
            "references": _arr("works cited", _obj("", {"key": STR, "text": STR})),
            "notes": _arr("notes from the assessment", STR),
            "provenance": _obj(
                "how to reproduce and check the report",
                {
                    "ecoledger_version": STR,
                    "ledger": STR,
                    "anchor_seq": {"type": "integer", "minimum": 0},
                    "anchor_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "anchor": {"type": "string", "description": "SEQ:HASH for verify --anchor"},
                    "command": {"type": "string", "description": "regenerates the report"},
                    "generated_at": STR,
                    "settings_requested": {"type": "object"},
                    "unverified": {
                        "type": "string",
                        "description": "why the ledger did not verify; only in a report "
                        "written with --allow-unverified",
                    },
                },
                required=[
                    "ecoledger_version",
                    "ledger",
                    "anchor_seq",
                    "anchor_hash",
                    "anchor",
                    "command",
                    "generated_at",
                    "settings_requested",
                ],
            ),
        },
    }


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"
