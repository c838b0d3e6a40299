"""One run for a torch.distributed job: rank 0 opens it, every rank joins it.

All ranks call :func:`agree_on_run` at the same point (inside ``track()`` or a callback's
setup), with any backend (gloo, nccl, mpi): the host names are gathered, rank 0 decides the
run id (or refuses: a SQLite ledger cannot be shared by several hosts) and broadcasts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from train_hooks.hostinfo import Placement


@dataclass(frozen=True)
class Agreement:
    run_id: str | None
    """None when the run is refused (every rank then records nothing)."""
    hosts: tuple[str, ...]
    refusal: str | None = None


def _device_for_collectives(dist: Any) -> Any:
    """NCCL needs CUDA tensors for object collectives; other backends use the CPU."""
    import torch

    try:
        if dist.get_backend() == "nccl" and torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
    except Exception:
        pass
    return None


def agree_on_run(p: Placement, proposed_run_id: str, ledger_is_sqlite: bool) -> Agreement:
    """Gather host names, let rank 0 decide, broadcast the decision to every rank."""
    import torch.distributed as dist

    device = _device_for_collectives(dist)
    hosts: list[Any] = [None] * p.world_size
    dist.all_gather_object(hosts, p.host)
    distinct = tuple(dict.fromkeys(str(h) for h in hosts))
    decision: list[Any] = [None]
    if p.rank == 0:
        if ledger_is_sqlite and len(distinct) > 1:
            decision[0] = (
                None,
                f"this run spans {len(distinct)} hosts ({', '.join(distinct[:4])}) but the "
                "ledger is a SQLite file, which is unsafe to share over a network filesystem; "
                "nothing is recorded. Point ECOLEDGER_LEDGER at a PostgreSQL ledger "
                "(postgresql://...) for multi-host runs",
            )
        else:
            decision[0] = (proposed_run_id, None)
    dist.broadcast_object_list(decision, src=0, device=device)
    run_id, refusal = decision[0]
    return Agreement(run_id, distinct, refusal)
