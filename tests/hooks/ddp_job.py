"""The job the distributed tests launch under torchrun (gloo, CPU)."""

import sys

import torch
import torch.distributed as dist
from torch import nn

import ecoledger

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
model = nn.parallel.DistributedDataParallel(nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=1e-2)
x = torch.randn(64, 16)
with ecoledger.track(name="ddp", ledger=sys.argv[1], flush_interval_s=1.0) as run:
    run.watch(opt, window_steps=4)
    for epoch in range(2):
        with run.phase(f"epoch:{epoch}"):
            for i in range(0, 64, 8):
                opt.zero_grad()
                model(x[i : i + 8]).pow(2).mean().backward()
                opt.step()
print(f"RUN {rank} {run.run_id} {run.metered}", flush=True)
dist.barrier()
dist.destroy_process_group()
