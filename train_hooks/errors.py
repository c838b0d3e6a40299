"""Exceptions the hooks raise into the user's code (on purpose, and only these)."""

from __future__ import annotations


class BudgetExceeded(RuntimeError):
    """Raised at a step boundary when a run with ``on_budget="stop"`` has used its carbon budget.

    Everything measured so far is flushed to the ledger before it is raised; the run is
    recorded as ``budget_exceeded``. Catch it to save a checkpoint and stop cleanly.
    """

    def __init__(self, run_id: str, measured_kgco2e: float, budget_kgco2e: float) -> None:
        self.run_id = run_id
        self.measured_kgco2e = measured_kgco2e
        self.budget_kgco2e = budget_kgco2e
        super().__init__(
            f"run {run_id[:12]} used {measured_kgco2e:.6g} kgCO2e, over its carbon budget of "
            f"{budget_kgco2e:.6g} kgCO2e (on_budget='stop'); stopped at a step boundary"
        )
