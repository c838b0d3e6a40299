"""Who and where this process is: host name, global rank, local rank, world size.

``ECOLEDGER_HOSTNAME`` overrides the host name. It is meant for tests that simulate a
multi-host layout on one machine (each simulated node sets its own name); do not set it in
production, where the real host name is what tells the nodes apart.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass

HOSTNAME_ENV = "ECOLEDGER_HOSTNAME"


def host_name() -> str:
    return os.environ.get(HOSTNAME_ENV) or socket.gethostname()


@dataclass(frozen=True)
class Placement:
    """Where this process sits in a (possibly distributed) job."""

    rank: int | None
    """Global rank under torch.distributed; None for a single process."""
    world_size: int
    local_rank: int
    local_world_size: int
    host: str
    distributed: bool

    @property
    def reads_host(self) -> bool:
        """Exactly one process per host (local rank 0) reads CPU and RAM."""
        return self.local_rank == 0


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def torch_distributed_ready() -> bool:
    """True when torch.distributed is initialized (never imports torch itself)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        dist = torch.distributed
        return bool(dist.is_available() and dist.is_initialized())
    except Exception:
        return False


def placement() -> Placement:
    host = host_name()
    if torch_distributed_ready():
        import torch.distributed as dist

        rank = dist.get_rank()
        world = dist.get_world_size()
        local_rank = _env_int("LOCAL_RANK", rank)
        local_world = _env_int("LOCAL_WORLD_SIZE", world)
        return Placement(rank, world, local_rank, local_world, host, world > 1)
    return Placement(None, 1, 0, 1, host, False)


def gpus_of_rank(local_rank: int) -> list[str]:
    """The GPU a rank uses: its LOCAL_RANK-th entry of CUDA_VISIBLE_DEVICES (or that index)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        items = [v.strip() for v in visible.split(",") if v.strip()]
        if not items:
            return []
        return [items[local_rank % len(items)]]
    return [str(local_rank)]


def host_root_pid(p: Placement) -> int:
    """The process tree whose CPU/RAM the host reader meters.

    Under torchrun every rank is a child of the elastic agent, so local rank 0 meters the
    agent's tree: the CPU time of every rank on this host, counted once.
    """
    if p.distributed and p.local_world_size > 1 and "TORCHELASTIC_RUN_ID" in os.environ:
        return os.getppid()
    return os.getpid()
