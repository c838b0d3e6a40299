"""Hooks that join the meter to the ledger inside training and inference processes.

``track()`` opens a run and yields a :class:`Run`; ``meter_inference()`` meters a model's
forward calls; :mod:`train_hooks.lightning` and :mod:`train_hooks.hf` hold the framework
callbacks (imported on demand, so neither framework is needed to import this package).
"""

from train_hooks.errors import BudgetExceeded
from train_hooks.inference import InferenceMeter, meter_inference
from train_hooks.predict import Prediction
from train_hooks.run import Run
from train_hooks.track import track

__all__ = ["BudgetExceeded", "InferenceMeter", "Prediction", "Run", "meter_inference", "track"]
