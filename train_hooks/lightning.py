"""Lightning: ``EcoLedgerCallback`` meters ``fit``, ``validate``, ``test`` and ``predict``.

    from train_hooks.lightning import EcoLedgerCallback
    trainer = lightning.Trainer(callbacks=[EcoLedgerCallback(project="demo")])

Each ``Trainer.fit/validate/test/predict`` call is one run (``fit`` → the callback's ``kind``,
``validate``/``test`` → ``evaluation``, ``predict`` → ``inference``), opened at ``setup`` and
closed at ``teardown`` (``failed`` with the exception type through ``on_exception``). Windows:
``phase:fit``, ``phase:train``, ``phase:validate`` (sanity check and validation loops
included), ``phase:test``, ``phase:predict``, ``epoch:N`` (training epochs), and step ranges
from ``on_train_batch_end``. Under DDP, global rank zero opens the run and the other ranks
join it. Every phase and epoch window calls the device sync (``sync=``, as in ``track``)
at both ends. With ``on_budget="stop"``, the budget sets ``trainer.should_stop`` so Lightning ends
the epoch and runs its checkpoint callbacks; the run is recorded as ``budget_exceeded``.

Needs ``pip install ecoledger[lightning]``; importing this module imports Lightning.
"""

from __future__ import annotations

from typing import Any

from train_hooks.options import TrackOptions
from train_hooks.session import CallbackSession, callback_options

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - the older package name
    try:
        from pytorch_lightning.callbacks import Callback  # type: ignore[no-redef,assignment]
    except ImportError as exc:
        raise ImportError(
            "train_hooks.lightning needs Lightning: pip install 'ecoledger[lightning]'"
        ) from exc

_STAGE_KIND = {"validate": "evaluation", "test": "evaluation", "predict": "inference"}


class EcoLedgerCallback(Callback):
    """Meter a Lightning ``Trainer`` into the ecoledger ledger (see the module docstring)."""

    def __init__(
        self,
        options: TrackOptions | None = None,
        /,
        *,
        window_steps: int = 100,
        **track_options: Any,
    ) -> None:
        """``track_options``: the keyword arguments of ``track()``, or one
        :class:`~train_hooks.options.TrackOptions` given first."""
        super().__init__()
        options = callback_options(options, track_options, kind="training")
        self.kind = options.kind
        self.window_steps = window_steps
        self.session = CallbackSession(options)

    @property
    def run_id(self) -> str | None:
        """The id of the current run, or of the last one after it closed."""
        return self.session.last_run_id

    # -- run life cycle --------------------------------------------------------------------
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        stage = str(getattr(stage, "value", stage))  # a TrainerFn enum in Lightning 2
        total_epochs = total_steps = None
        if stage == "fit":
            max_epochs = getattr(trainer, "max_epochs", None)
            max_steps = getattr(trainer, "max_steps", -1)
            total_epochs = max_epochs if max_epochs and max_epochs > 0 else None
            total_steps = max_steps if max_steps and max_steps > 0 else None
        name = self.session.options.name or f"{type(pl_module).__name__} {stage}"
        run = self.session.open(
            kind=_STAGE_KIND.get(stage, self.kind),
            name=name,
            total_epochs=total_epochs,
            total_steps=total_steps,
        )
        run.ensure_steps(1, self.window_steps)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self.session.close()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.session.close(exception)

    # -- phases ----------------------------------------------------------------------------
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("fit")

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("fit")

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("train")

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("train")

    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("validate")

    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("validate")

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("validate")

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("validate")

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("test")

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("test")

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin("predict")

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end("predict")

    # -- epochs and steps ------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.begin(f"epoch:{trainer.current_epoch}")

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.end(f"epoch:{trainer.current_epoch}")

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.session.step():
            trainer.should_stop = True
