"""Hugging Face: ``EcoLedgerCallback`` meters ``Trainer.train`` (and the evaluations inside it).

    from train_hooks.hf import EcoLedgerCallback
    trainer = Trainer(model=model, args=args, train_dataset=ds,
                      callbacks=[EcoLedgerCallback(project="demo", model_card=True)])

The run opens at ``on_train_begin`` and closes at ``on_train_end``. Windows: ``phase:train``,
``epoch:N``, step ranges from ``on_step_end``, and ``phase:evaluate`` around evaluation and
prediction loops; each calls the device sync (``sync=``, as in ``track``) at both ends. On several processes (DDP through accelerate), the main process opens the
run and the others join it. With ``on_budget="stop"``, the budget sets
``control.should_training_stop`` so the Trainer saves and stops as it normally does.

With ``model_card=True`` (or a folder), ``on_train_end`` writes the Hub's ``co2_eq_emissions``
metadata into ``README.md`` of ``args.output_dir`` (or that folder): ``emissions`` in grams of
CO2e (the operational emissions from ``accounting.assessment``), ``source``,
``training_type``, ``geographical_location`` and ``hardware_used``. ``Trainer``'s own
``create_model_card()`` rewrites that file; call it before, or write ours after with
:func:`write_model_card`.

Needs ``pip install ecoledger[hf]``; importing this module imports transformers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from train_hooks.options import TrackOptions
from train_hooks.session import CallbackSession, callback_options

try:
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover
    raise ImportError("train_hooks.hf needs transformers: pip install 'ecoledger[hf]'") from exc

log = logging.getLogger("ecoledger")
SOURCE = "ecoledger"


def co2_eq_emissions(
    ledger: str | None,
    run_id: str,
    training_type: str,
    geographical_location: str | None = None,
    hardware_used: str | None = None,
) -> dict[str, Any]:
    """The Hub's ``co2_eq_emissions`` mapping for a finished run (``emissions`` in grams)."""
    from accounting.assessment import AssumptionSettings, assess_run
    from accounting.runs import load_run
    from accounting.store import open_ledger

    with open_ledger(ledger) as lg:
        kg = float(assess_run(lg, run_id, AssumptionSettings()).to_json()["operational_kgco2e"])
        view = load_run(lg, run_id)
    if hardware_used is None:
        counts: dict[str, int] = {}
        for device in view.devices:
            counts[device.model] = counts.get(device.model, 0) + 1
        hardware_used = ", ".join(f"{n} x {model}" for model, n in counts.items()) or None
    data: dict[str, Any] = {
        "emissions": kg * 1000.0,
        "source": f"{SOURCE} (run {run_id})",
        "training_type": training_type,
    }
    location = geographical_location or view.country
    if location:
        data["geographical_location"] = location
    if hardware_used:
        data["hardware_used"] = hardware_used
    return data


def write_model_card(folder: str | Path, emissions: dict[str, Any]) -> Path:
    """Set ``co2_eq_emissions`` in ``folder/README.md`` (created if missing), keeping the rest."""
    from huggingface_hub import ModelCard, ModelCardData

    path = Path(folder) / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        card = ModelCard.load(str(path))
    else:
        card = ModelCard.from_template(ModelCardData())
    card.data.co2_eq_emissions = emissions
    card.save(str(path))
    return path


class EcoLedgerCallback(TrainerCallback):  # type: ignore[misc]
    """Meter a Hugging Face ``Trainer`` into the ecoledger ledger (see the module docstring)."""

    def __init__(
        self,
        options: TrackOptions | None = None,
        /,
        *,
        window_steps: int = 100,
        model_card: bool | str | Path = False,
        geographical_location: str | None = None,
        hardware_used: str | None = None,
        **track_options: Any,
    ) -> None:
        """``track_options``: the keyword arguments of ``track()`` (kind defaults to
        ``fine_tuning``), or one :class:`~train_hooks.options.TrackOptions` given first."""
        options = callback_options(options, track_options, kind="fine_tuning")
        self.kind = options.kind
        self.ledger = options.ledger
        self.window_steps = window_steps
        self.model_card = model_card
        self.geographical_location = geographical_location
        self.hardware_used = hardware_used
        self.session = CallbackSession(options)
        self._epoch = 0
        self.model_card_path: Path | None = None

    @property
    def run_id(self) -> str | None:
        return self.session.last_run_id

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs.get("model")
        name = self.session.options.name or (
            f"{type(model).__name__} train" if model is not None else "transformers train"
        )
        total_epochs = (
            int(args.num_train_epochs) if float(args.num_train_epochs).is_integer() else None
        )
        run = self.session.open(
            name=name,
            total_steps=state.max_steps if state.max_steps and state.max_steps > 0 else None,
            total_epochs=total_epochs if total_epochs and total_epochs > 0 else None,
        )
        run.ensure_steps(1, self.window_steps)
        self._epoch = 0
        self.session.begin("train")

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.begin(f"epoch:{self._epoch}")

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.end(f"epoch:{self._epoch}")
        self._epoch += 1

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.session.step():
            control.should_training_stop = True

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.begin("evaluate")

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.end("evaluate")

    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any
    ) -> None:
        self.session.end("evaluate")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.end("train")
        run = self.session.run
        owner = bool(self.session.tracker and self.session.tracker.owner)
        ledger = (
            self.session.tracker.ledger_location
            if self.session.tracker and self.session.tracker.ledger_location is not None
            else self.ledger
        )
        self.session.close()
        if not self.model_card or run is None or not owner:
            return
        folder = args.output_dir if self.model_card is True else self.model_card
        training_type = "fine-tuning" if self.kind == "fine_tuning" else "pre-training"
        try:
            emissions = co2_eq_emissions(
                ledger, run.run_id, training_type, self.geographical_location, self.hardware_used
            )
            self.model_card_path = write_model_card(folder, emissions)
        except Exception as exc:  # the model card must never fail the training
            log.warning("ecoledger: could not write the model card's co2_eq_emissions: %s", exc)
