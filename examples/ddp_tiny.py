"""A tiny data-parallel training run metered as one ecoledger run, on the CPU with gloo.

    OMP_NUM_THREADS=1 torchrun --nproc_per_node 2 examples/ddp_tiny.py

Rank 0 opens the run and broadcasts its id; every rank records its own step windows; local
rank 0 of each host reads the host's CPU and RAM once (for every rank on the host).
For several hosts, point ECOLEDGER_LEDGER at a PostgreSQL ledger.
"""

from __future__ import annotations

import argparse
import os

import torch
import torch.distributed as dist
from torch import nn

import ecoledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--ledger", default=None, help="ledger path or URL")
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(rank)
    model = nn.parallel.DistributedDataParallel(
        nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1))
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    x = torch.randn(512, 32)
    y = x.sum(dim=1, keepdim=True)
    with ecoledger.track(name="ddp-tiny", ledger=args.ledger) as run:
        run.watch(optimizer, window_steps=8)
        for epoch in range(args.epochs):
            with run.phase(f"epoch:{epoch}"):
                for i in range(0, len(x), 32):
                    optimizer.zero_grad()
                    nn.functional.mse_loss(model(x[i : i + 32]), y[i : i + 32]).backward()
                    optimizer.step()
    if rank == 0:
        print(run.run_id)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
