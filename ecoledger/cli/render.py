"""The run report behind ``ecoledger show`` (JSON keys are a stable interface) and its text form."""

from __future__ import annotations

from typing import Any

from accounting.reports.numbers import CENTS, money
from accounting.runs import RunView, load_run
from accounting.units import j_to_kwh


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def run_fields(view: RunView) -> dict[str, Any]:
    return {
        **({"synthetic": True} if view.synthetic else {}),
        "run_id": view.run_id,
        "name": view.name,
        "project": view.project,
        "kind": view.run_kind,
        "status": view.status,
        "started_at": _iso(view.started_at),
        "ended_at": _iso(view.ended_at),
        "duration_s": round(view.duration_s, 3),
        "exit_code": view.exit_code,
        "error": view.error,
        "command": list(view.command) if view.command else None,
        "country": view.country,
        "parent_run_id": view.parent_run_id,
        "tags": list(view.tags),
        "hosts": list(view.hosts),
        "gpu_hours": view.gpu_hours,
        "meter_cpu_s": view.meter_cpu_s,
        "energy_it_kwh": view.energy_it_kwh,
        "approximated_share": view.approximated_share,
        "devices": [
            {
                "device_id": d.device_id,
                "kind": d.kind,
                "model": d.model,
                "method": d.method,
                "energy_kwh": j_to_kwh(d.energy_j),
                "approximated": d.approximated,
                "host": d.host,
                "rank": d.rank,
                "power_limit_w": d.power_limit_w,
                "driver_version": d.driver_version,
                "memory_total_mib": d.memory_total_mib,
                "mig_enabled": d.mig_enabled,
                "shared_share": d.shared_share,
                "attribution_method": d.attribution_method,
            }
            for d in view.devices
        ],
        "windows": [
            {
                "key": w.key,
                "energy_kwh": j_to_kwh(w.energy_j),
                "count": w.count,
                "start": _iso(w.start),
                "end": _iso(w.end),
                "approximated": w.approximated,
            }
            for w in view.windows
        ],
        "usage": {
            "requests": view.usage.requests,
            "tokens": view.usage.tokens,
            "items": view.usage.items,
        },
        "problems": [
            {"code": p.code, "severity": p.severity, "message": p.message, "device_id": p.device_id}
            for p in view.problems
        ],
    }


def run_report(ledger: Any, run_id: str, settings: Any = None) -> dict[str, Any]:
    """The ``show --json`` document: the run's facts and its assessment under ``settings``."""
    view = load_run(ledger, run_id)
    from accounting.assessment import assess_run

    report = run_fields(view)
    assessment = assess_run(ledger, view.run_id, settings)
    for key, value in assessment.to_json().items():
        report.setdefault(key, value)
    return report


def _qty(value: float | None, unit: str, scale: float = 1.0) -> str:
    """A quantity with 4 significant digits (tiny CPU runs and week-long GPU runs alike)."""
    if value is None:
        return "—"
    return f"{value * scale:,.4g} {unit}"


def render_run_text(r: dict[str, Any]) -> str:
    """The text form, every user string escaped for the terminal."""
    from ecoledger.cli.text import term_all

    r = term_all(r)
    cur = r.get("money_unit") or r.get("currency", "USD")
    missing = r.get("not_estimated") or {}
    embodied = (
        "embodied not estimated"
        if "embodied_kgco2e" in missing
        else f"{_qty(r.get('embodied_kgco2e'), 'gCO2e', 1000)} embodied"
    )
    lines = [
        *(
            ["SYNTHETIC  made up by `ecoledger demo --synthetic`: nothing here was measured"]
            if r.get("synthetic")
            else []
        ),
        f"run       {r['name']}  [{r['kind']}, {r['status']}]",
        f"project   {r.get('project') or '—'}",
        f"started   {r['started_at']}   duration {r['duration_s']:.1f} s",
        "devices:",
    ]
    for d in r["devices"]:
        flag = " (approximated)" if d["approximated"] else ""
        lines.append(
            f"  {d['kind']:<4} {d['device_id'][:24]:<24} {_qty(d['energy_kwh'], 'Wh', 1000):>14}  "
            f"{d['method']}{flag}"
        )
    lines += [
        f"energy    {_qty(r['energy_it_kwh'], 'Wh', 1000)} IT × PUE {r.get('pue', 0):.2f} = "
        f"{_qty(r.get('energy_facility_kwh'), 'Wh', 1000)} facility",
        f"carbon    {_qty(r.get('operational_kgco2e'), 'gCO2e', 1000)} operational "
        f"({r.get('scope2_method', 'location-based')}), {embodied}",
        f"water     {_qty(r.get('water_l'), 'L')} consumed",
        f"costs     energy {money(r.get('energy_cost'), cur, CENTS)}, "
        f"carbon {money(r.get('carbon_cost'), cur, CENTS)}, "
        f"secondary {money(r.get('secondary_cost'), cur, CENTS)}",
        f"benefits  social {money(r.get('social_benefit'), cur, CENTS)}, "
        f"environmental {money(r.get('environmental_benefit'), cur, CENTS)}",
        f"net       {money(r.get('net_benefit'), cur, CENTS)}  "
        f"(p05 {money(r.get('net_benefit_p05'), cur, CENTS)}, "
        f"p95 {money(r.get('net_benefit_p95'), cur, CENTS)})",
    ]
    if r.get("sci_gco2e_per_unit") is not None:
        lines.append(
            f"SCI       {r['sci_gco2e_per_unit']:,.4g} gCO2e per {r.get('sci_unit')} "
            "(operational + embodied time-share, training share included)"
        )
    if r.get("break_even_uses") is not None:
        lines.append(f"break-even after {r['break_even_uses']:,} uses")
    for p in r["problems"]:
        lines.append(f"problem   [{p['severity']}] {p['code']}: {p['message']}")
    return "\n".join(lines) + "\n"
