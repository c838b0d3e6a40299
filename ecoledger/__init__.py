"""ecoledger: a measured, priced, auditable net-benefit ledger for ML models.

The Python API (imported on first use, so ``import ecoledger`` and the CLI stay light)::

    import ecoledger

    with ecoledger.track(name="mlp", project="demo") as run:
        run.watch(optimizer)
        with run.phase("train"):
            ...

    ecoledger.meter_inference(model, tokens=lambda inputs, outputs: ...)
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("ecoledger")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+local"

__all__ = ["BudgetExceeded", "Run", "__version__", "meter_inference", "track"]

_API = {"track", "meter_inference", "Run", "BudgetExceeded"}


def __getattr__(name: str) -> Any:
    if name in _API:
        import train_hooks

        return getattr(train_hooks, name)
    raise AttributeError(f"module 'ecoledger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
