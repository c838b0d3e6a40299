"""Names vulture cannot see used: entry points called by a framework, fields read through
``asdict``/``getattr``, and attributes a driver reads. Checked by tests/test_code_health.py.

Anything else vulture reports is dead: delete it rather than list it here.
"""
# ruff: noqa: B018

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Lightning and Hugging Face call these hooks by name (train_hooks/lightning.py, hf.py,
# examples/, benchmarks/): Callback / TrainerCallback / LightningModule / nn.Module.
_.setup
_.teardown
_.training_step
_.validation_step
_.configure_optimizers
_.forward
_.should_stop  # read by the Lightning trainer
_.should_training_stop  # read by the HF trainer
_.batch_idx  # a required parameter of Lightning's hook signatures

# sqlite3 reads these attributes of its connections (accounting/store/engines.py, tests).
_.isolation_level
_.row_factory

# A pytest fixture requested only for its effect (tests/hooks/test_track.py).
_.one_torch_thread

# Fields written out through dataclasses.asdict (dashboard/totals.py), and Assessment's
# public attribute (documented in docs/methodology.md, read by users' code).
_.net_benefit_p05
_.net_benefit_p95
_.break_even_uses

# Module-level __getattr__/__dir__ (PEP 562): lazy imports of the public API.
_.__getattr__
_.__dir__

# pydantic reads this class attribute.
_.model_config

# Kept for the branches working on them now: meter/units.py's helpers (issue 16 part A adopts
# them), the writer's `recovered` counter (issue 17a rewrites the writer). Remove these lines
# when that work lands.
_.mj_to_j
_.mw_to_w
_.j_to_kwh
_.j_to_wh
_.kwh_to_j
_.recovered
_.figures_checked  # ReportCheck's third field, set positionally, never read (reports: 16a)

# inspect.signature (help(), IDEs) reads a function's __signature__ (train_hooks/track.py).
_.__signature__
