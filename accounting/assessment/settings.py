"""What the user chose: :class:`AssumptionSettings`, saved to / loaded from TOML or YAML.

Field names are the CLI option names (``price_per_kwh`` ↔ ``--price-per-kwh``), so an error
names the option the user typed. Unset fields (``None``) fall back to the run's own values
(its RunStarted country, cloud and PUE), then to the documented defaults.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from accounting.errors import InputError
from accounting.factors.deflator import CPI_U_ANNUAL

FUNCTIONAL_UNITS = ("request", "token", "sample", "step")
"""``--per``: the functional unit R of the SCI (sample = the items a run counted)."""
EMBODIED_METHODS = ("bloom", "sci")
"""``--embodied-method``: BLOOM's utilization-adjusted share or the SCI's time-share."""
SENSITIVITY_OUTPUTS = ("operational_kgco2e", "net_benefit", "water_l")
"""``--sensitivity-of``: the output whose one-at-a-time swings are ranked (first: default)."""

DEFAULT_DRAWS = 10_000
MAX_INPUT = 1e15
"""The largest value any numeric input may take (kWh, USD, g/kWh, L, kg, uses): products of
a few such inputs stay finite, so no result is ever inf or NaN."""
MAX_SEED = 2**32 - 1
DEFAULT_SEED = 20_230_517


class AssumptionSettings(BaseModel):
    """A frozen set of assumption choices. ``AssumptionSettings()`` means "all defaults"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # where the energy was drawn
    country: str | None = None
    cloud: str | None = None
    intensity_g_per_kwh: float | None = None
    intensity_csv: str | None = None
    # facility and price
    pue: float | None = None
    pue_preset: str | None = None
    price_per_kwh: float | None = None
    # social cost of carbon
    scc: str | None = None
    scc_usd_per_t: float | None = None
    emission_year: int | None = None
    # water
    water: str | None = None
    wue_l_per_kwh: float | None = None
    ewif_l_per_kwh: float | None = None
    water_price_per_m3: float | None = None
    # embodied carbon
    embodied: str | None = None
    embodied_kg_per_gpu: float | None = None
    embodied_kg_per_host: float | None = None
    gpus_per_host: int | None = None
    lifetime_years: float | None = None
    utilization: float | None = None
    # benefits and uses
    expected_uses: int | None = None
    benefit_per_use_usd: float | None = None
    # counterfactuals
    compare_countries: tuple[str, ...] = ()
    compare_clouds: tuple[str, ...] = ()
    # methodology (issue 15)
    dollar_year: int | None = None
    market_factor: float | None = None
    renewable_share: float | None = None
    residual_mix: float | None = None
    grid_loss: float | None = None
    per: str | None = None
    embodied_method: str | None = None
    sensitivity_of: str | None = None
    gpu_model: str | None = None
    # Monte Carlo
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    # a GPU other processes used too: charge it whole (conservative) or this run's share
    shared_gpu: Literal["whole", "attribute"] = "whole"

    @field_validator(
        "intensity_g_per_kwh",
        "price_per_kwh",
        "scc_usd_per_t",
        "wue_l_per_kwh",
        "ewif_l_per_kwh",
        "water_price_per_m3",
        "embodied_kg_per_gpu",
        "embodied_kg_per_host",
        "benefit_per_use_usd",
        "market_factor",
        "residual_mix",
    )
    @classmethod
    def _non_negative(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or not 0 <= value <= MAX_INPUT):
            raise ValueError(f"must be a finite number between 0 and {MAX_INPUT:g}, got {value}")
        return value

    @field_validator("pue")
    @classmethod
    def _pue(cls, value: float | None) -> float | None:
        if value is None:
            return value
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"PUE must be > 0, got {value}")
        if value < 1:
            raise ValueError(f"PUE must be ≥ 1 (facility energy ≥ IT energy), got {value}")
        if value > 100:
            raise ValueError(f"PUE must be ≤ 100, got {value}")
        return value

    @field_validator("utilization")
    @classmethod
    def _utilization(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 < value <= 1):
            raise ValueError(f"must be in (0, 1], got {value}")
        return value

    @field_validator("renewable_share")
    @classmethod
    def _share(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 <= value <= 1):
            raise ValueError(f"must be a fraction in [0, 1], got {value}")
        return value

    @field_validator("grid_loss")
    @classmethod
    def _loss(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 <= value < 0.5):
            raise ValueError(f"must be a fraction in [0, 0.5), got {value}")
        return value

    @field_validator("dollar_year")
    @classmethod
    def _dollar_year(cls, value: int | None) -> int | None:
        if value is not None and value not in CPI_U_ANNUAL:
            raise ValueError(
                f"no price index for {value}; the bundled CPI-U table covers "
                f"{min(CPI_U_ANNUAL)}..{max(CPI_U_ANNUAL)}"
            )
        return value

    @field_validator("per")
    @classmethod
    def _per(cls, value: str | None) -> str | None:
        if value is not None and value not in FUNCTIONAL_UNITS:
            raise ValueError(f"must be one of {', '.join(FUNCTIONAL_UNITS)}, got {value!r}")
        return value

    @field_validator("embodied_method")
    @classmethod
    def _embodied_method(cls, value: str | None) -> str | None:
        if value is not None and value not in EMBODIED_METHODS:
            raise ValueError(f"must be one of {', '.join(EMBODIED_METHODS)}, got {value!r}")
        return value

    @field_validator("sensitivity_of")
    @classmethod
    def _sensitivity_of(cls, value: str | None) -> str | None:
        if value is not None and value not in SENSITIVITY_OUTPUTS:
            raise ValueError(f"must be one of {', '.join(SENSITIVITY_OUTPUTS)}, got {value!r}")
        return value

    @field_validator("lifetime_years")
    @classmethod
    def _lifetime(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 < value <= 1000):
            raise ValueError(f"must be > 0 and ≤ 1000 years, got {value}")
        return value

    @field_validator("gpus_per_host", "expected_uses")
    @classmethod
    def _positive_int(cls, value: int | None) -> int | None:
        if value is not None and not 0 < value <= MAX_INPUT:
            raise ValueError(f"must be > 0 and ≤ {MAX_INPUT:g}, got {value}")
        return value

    @field_validator("seed")
    @classmethod
    def _seed(cls, value: int) -> int:
        if not 0 <= value <= MAX_SEED:
            raise ValueError(f"must be a whole number from 0 to {MAX_SEED}, got {value}")
        return value

    @field_validator("emission_year")
    @classmethod
    def _year(cls, value: int | None) -> int | None:
        if value is not None and not 1990 <= value <= 2100:
            raise ValueError(f"must be a year between 1990 and 2100, got {value}")
        return value

    @field_validator("draws")
    @classmethod
    def _draws(cls, value: int) -> int:
        if not 100 <= value <= 1_000_000:
            raise ValueError(f"must be between 100 and 1,000,000, got {value}")
        return value

    @field_validator("compare_countries", "compare_clouds", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _exclusive(self) -> AssumptionSettings:
        pairs = (
            ("scc", "scc_usd_per_t"),
            ("pue", "pue_preset"),
            ("intensity_g_per_kwh", "intensity_csv"),
            ("market_factor", "renewable_share"),
        )
        for a, b in pairs:
            if getattr(self, a) is not None and getattr(self, b) is not None:
                raise ValueError(f"give {_option(a)} or {_option(b)}, not both")
        if self.residual_mix is not None and self.renewable_share is None:
            raise ValueError("`residual_mix`: only with `renewable_share`")
        return self

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> AssumptionSettings:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(_first_error(exc, where)) from None

    @classmethod
    def from_json(cls, text: str) -> AssumptionSettings:
        return cls.from_dict(json.loads(text or "{}"), "recorded assumptions")

    @classmethod
    def from_file(cls, path: str | Path) -> AssumptionSettings:
        """Load a TOML (``.toml``) or YAML (``.yaml``/``.yml``) assumptions file."""
        file = Path(path)
        where = f"`assumptions` {file}"
        if not file.is_file():
            raise InputError(f"{where}: file not found")
        text = file.read_text(encoding="utf-8")
        try:
            if file.suffix.lower() == ".toml":
                data: Any = tomllib.loads(text)
            elif file.suffix.lower() in (".yaml", ".yml"):
                data = yaml.safe_load(text) or {}
            else:
                raise InputError(f"{where}: use a .toml, .yaml or .yml file")
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise InputError(f"{where}: not valid {file.suffix[1:].upper()}: {first}") from None
        if isinstance(data, dict) and isinstance(data.get("assumptions"), dict):
            data = data["assumptions"]
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a table of settings")
        return cls.from_dict(data, where)

    def overlay(self, **changes: Any) -> AssumptionSettings:
        """A copy with every change that is not ``None`` (or an empty tuple) applied.

        Setting ``scc`` clears ``scc_usd_per_t`` and the reverse (likewise ``pue``/``pue_preset``,
        ``intensity_g_per_kwh``/``intensity_csv``, ``country``/``cloud``), so that a CLI option
        overrides a file.
        """
        data = self.model_dump()
        given = {k: v for k, v in changes.items() if v is not None and v != ()}
        unknown = set(given) - set(data)
        if unknown:
            raise InputError(f"unknown assumption setting: {sorted(unknown)[0]}")
        clears = {
            "scc": "scc_usd_per_t",
            "scc_usd_per_t": "scc",
            "pue": "pue_preset",
            "pue_preset": "pue",
            "intensity_g_per_kwh": "intensity_csv",
            "intensity_csv": "intensity_g_per_kwh",
            "country": "cloud",
            "cloud": "country",
            "market_factor": "renewable_share",
            "renewable_share": "market_factor",
        }
        for key in given:
            other = clears.get(key)
            if other and other not in given:
                data[other] = None
        data.update(given)
        return AssumptionSettings.from_dict(data)

    # -- output -----------------------------------------------------------------------------
    def chosen(self) -> dict[str, Any]:
        """Only what differs from the defaults (what the user actually chose)."""
        defaults = AssumptionSettings().model_dump()
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.model_dump().items()
            if v != defaults[k]
        }

    @property
    def is_default(self) -> bool:
        return not self.chosen()

    def to_json_text(self) -> str:
        return json.dumps(self.chosen(), sort_keys=True, separators=(",", ":"))

    def to_file(self, path: str | Path) -> Path:
        file = Path(path)
        data = self.chosen()
        if file.suffix.lower() == ".toml":
            text = "# ecoledger assumptions\n" + "".join(
                f"{key} = {_toml_value(value)}\n" for key, value in sorted(data.items())
            )
        elif file.suffix.lower() in (".yaml", ".yml"):
            text = "# ecoledger assumptions\n" + yaml.safe_dump(data, sort_keys=True)
        else:
            raise InputError(f"`save_assumptions` {file}: use a .toml, .yaml or .yml file")
        if not file.parent.is_dir():
            raise InputError(f"`save_assumptions` {file}: folder {file.parent} does not exist")
        file.write_text(text, encoding="utf-8")
        return file


def _option(field: str) -> str:
    return f"`{field}`"


def _first_error(exc: ValidationError, where: str) -> str:
    error = exc.errors()[0]
    loc = error.get("loc") or ()
    field = _option(str(loc[0])) if loc else "assumptions"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown setting"
    prefix = f"{where}: " if where else ""
    return f"{prefix}{field}: {message}"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
