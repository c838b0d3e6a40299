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
    import os
    from collections.abc import Callable
    from typing import TypeVar, overload

    from train_hooks import BudgetExceeded, Run, meter_inference
    from train_hooks.track import Tracker

    _F = TypeVar("_F", bound=Callable[..., Any])

    @overload
    def track(name: _F, /) -> _F: ...
    @overload
    def track(
        name: str | None = None,
        project: str | None = None,
        kind: str = "training",
        ledger: str | os.PathLike[str] | None = None,
        country: str | None = None,
        pue: float | None = None,
        sample_hz: float | None = None,
        budget_kgco2e: float | None = None,
        on_budget: str = "warn",
        *,
        total_epochs: int | None = None,
        total_steps: int | None = None,
        flush_interval_s: float | None = None,
        parent_run_id: str | None = None,
        expected_uses: int | None = None,
        log_to: str | None = None,
        sync: str | Callable[[], None] | None = "auto",
        shared_gpu: str = "whole",
    ) -> Tracker: ...
    def track(*args: Any, **kwargs: Any) -> Any:
        """``with ecoledger.track(...) as run:`` yields a :class:`Run`; ``@ecoledger.track``
        (bare or with arguments) decorates a function."""


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
