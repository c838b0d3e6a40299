"""ecoledger: a measured, priced, auditable net-benefit ledger for ML models.

The Python API (imported on first use, so ``import ecoledger`` and the CLI stay light)::

    import ecoledger

    with ecoledger.track(name="mlp", project="demo") as run:
        run.watch(optimizer)
        with run.phase("train"):
            ...

    ecoledger.meter_inference(model, tokens=lambda inputs, outputs: ...)
"""

from typing import TYPE_CHECKING, Any

__all__ = ["BudgetExceeded", "Run", "__version__", "meter_inference", "track"]

_API = {"track", "meter_inference", "Run", "BudgetExceeded"}

if TYPE_CHECKING:  # what a user's type checker sees; at run time __getattr__ imports these
    __version__: str
    from train_hooks import BudgetExceeded, Run, meter_inference
    from train_hooks.track import track  # typed there: @track keeps a function's type


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: importlib.metadata scans every install
        from accounting.version import version_text

        globals()["__version__"] = value = version_text()
        return value
    if name in _API:
        import train_hooks

        return getattr(train_hooks, name)
    raise AttributeError(f"module 'ecoledger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
