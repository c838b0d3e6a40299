"""The formulas of the net-benefit identity, written once and evaluated on scalars or arrays.

The same function gives the central values (factors at their values) and the Monte Carlo
draws (factors as arrays), so the two can never disagree on a formula.

    facility energy  = E_it × PUE                                     kWh
    energy cost      = E_it × PUE × price                             USD
    operational      = E_it × PUE × CI / (1 − loss) / 1000            kgCO2e (CI in g/kWh;
                       location-based scope 2; loss = --grid-loss, default 0)
    market-based     = E_it × PUE × MF / (1 − loss) / 1000            kgCO2e (with an instrument)
    carbon cost      = operational / 1000 × SCC                       USD
    embodied         = Σ device_hours × kg / (lifetime × 8760 × util) kgCO2e
    water on-site    = E_it × WUE;  off-site = E_it × PUE × EWIF      L (Li et al. 2023)
    secondary cost   = embodied / 1000 × SCC + water / 1000 × water price      USD
    environmental    = avoided / 1000 × SCC + declared USD            USD
    net benefit      = social + environmental − energy − carbon − secondary
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounting.assessment.factor_set import ENERGY, GRID_LOSS, MARKET
from accounting.assessment.quantities import Quantities
from accounting.factors import carbon_intensity, electricity_price, embodied, pue, scc, water

HOURS_PER_YEAR = 8760.0
KG_PER_T = 1000.0
G_PER_KG = 1000.0
L_PER_M3 = 1000.0

FORMULAS = {
    "energy_it_kwh": "Σ measured device energy (run-window segments) / 3.6e6 J/kWh",
    "energy_facility_kwh": "E_it × PUE",
    "energy_cost": "E_it × PUE × electricity price",
    "operational_kgco2e": "E_it × PUE × carbon intensity / (1 − grid loss) / 1000 g/kg "
    "(location-based)",
    "operational_market_kgco2e": "E_it × PUE × market-based factor / (1 − grid loss) / 1000 g/kg",
    "sci_gco2e_per_unit": "(E × I + M) / R: E = E_it × PUE kWh, I = location-based gCO2e/kWh "
    "(÷ (1 − grid loss)), M = embodied gCO2e by SCI time-share (device-hours × kg / (lifetime × "
    "8760 h)), R = functional units counted",
    "carbon_cost": "operational kgCO2e / 1000 kg/t × SCC",
    "embodied_kgco2e": "GPU-hours × kg/GPU / (lifetime × 8760 h × utilization) "
    "+ host-hours × kg/host / (lifetime × 8760 h × utilization)",
    "water_onsite_l": "E_it × WUE on-site",
    "water_offsite_l": "E_it × PUE × EWIF off-site",
    "embodied_cost": "embodied kgCO2e / 1000 kg/t × SCC",
    "water_cost": "(on-site + off-site L) / 1000 L/m3 × water price",
    "secondary_cost": "embodied cost + water cost",
    "social_benefit": "Σ declared lump sums + Σ per-request/token/item rates × counted uses",
    "environmental_benefit": "avoided kgCO2e / 1000 kg/t × SCC + declared USD",
    "net_benefit": "social + environmental − energy cost − carbon cost − secondary cost",
}


@dataclass(frozen=True)
class Terms:
    """The physical quantities and money of one evaluation (floats, or numpy arrays)."""

    energy_it_kwh: Any
    pue: Any
    energy_facility_kwh: Any
    operational_kgco2e: Any
    embodied_gpu_kgco2e: Any
    embodied_host_kgco2e: Any
    water_onsite_l: Any
    water_offsite_l: Any
    energy_cost: Any
    carbon_cost: Any
    embodied_cost: Any
    water_cost: Any
    social_benefit: Any
    environmental_benefit: Any
    operational_market_kgco2e: Any = None

    @property
    def embodied_kgco2e(self) -> Any:
        return self.embodied_gpu_kgco2e + self.embodied_host_kgco2e

    @property
    def water_l(self) -> Any:
        return self.water_onsite_l + self.water_offsite_l

    @property
    def secondary_cost(self) -> Any:
        return self.embodied_cost + self.water_cost

    @property
    def total_cost(self) -> Any:
        return self.energy_cost + self.carbon_cost + self.secondary_cost

    @property
    def net_benefit(self) -> Any:
        return (
            self.social_benefit
            + self.environmental_benefit
            - self.energy_cost
            - self.carbon_cost
            - self.secondary_cost
        )


def evaluate(q: Quantities, f: Mapping[str, Any]) -> Terms:
    """Apply the formulas to quantities ``q`` with factor values ``f`` (scalars or arrays)."""
    e_it = q.energy_it_kwh * f[ENERGY]
    p = f[pue.NAME]
    e_fac = e_it * p
    s = f[scc.NAME]
    amortize_h = f[embodied.LIFETIME] * HOURS_PER_YEAR * f[embodied.UTILIZATION]
    emb_gpu = q.gpu_hours * f[embodied.GPU] / amortize_h
    emb_host = q.host_hours * f[embodied.HOST] / amortize_h
    generated = e_fac / (1.0 - f.get(GRID_LOSS, 0.0))
    operational = generated * f[carbon_intensity.NAME] / G_PER_KG
    market = generated * f[MARKET] / G_PER_KG if MARKET in f else None
    water_on = e_it * f[water.WUE]
    water_off = e_fac * f[water.EWIF]
    return Terms(
        energy_it_kwh=e_it,
        pue=p,
        energy_facility_kwh=e_fac,
        operational_kgco2e=operational,
        embodied_gpu_kgco2e=emb_gpu,
        embodied_host_kgco2e=emb_host,
        water_onsite_l=water_on,
        water_offsite_l=water_off,
        energy_cost=e_fac * f[electricity_price.NAME],
        carbon_cost=operational / KG_PER_T * s,
        embodied_cost=(emb_gpu + emb_host) / KG_PER_T * s,
        water_cost=(water_on + water_off) / L_PER_M3 * f[water.PRICE],
        social_benefit=q.social_benefit_usd + 0.0 * s,
        environmental_benefit=q.avoided_kgco2e / KG_PER_T * s + q.environmental_usd,
        operational_market_kgco2e=market,
    )
