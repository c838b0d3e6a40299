"""A training job metered by ``ecoledger.track()``, for the fault tests.

``python track_job.py LEDGER MODE [SECONDS]``: prints the run id, then

- ``loop``: a CPU loop until killed;
- ``torch``: a small torch MLP trained until killed (the matrix's "training process");
- ``raise``: raises ValueError after SECONDS;
- ``phases``: inside ``ecoledger run`` (joined), records 20 phase windows, then ends.
"""

from __future__ import annotations

import sys
import time

import ecoledger


def main() -> None:
    ledger, mode = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    if mode == "phases":
        with ecoledger.track(name="phases") as run:
            for i in range(20):
                with run.phase(f"p{i}"):
                    time.sleep(seconds / 20)
        return
    with ecoledger.track(name=f"job-{mode}", ledger=ledger, flush_interval_s=2.0) as run:
        print(run.run_id, flush=True)
        if mode == "raise":
            time.sleep(seconds)
            raise ValueError("the job failed")
        if mode == "torch":
            import torch

            model = torch.nn.Sequential(
                torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
            )
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            x, y = torch.randn(256, 64), torch.randn(256, 1)
            run.watch(opt)
            print("training", flush=True)
            while True:
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(x), y).backward()
                opt.step()
        print("training", flush=True)
        while True:
            sum(range(20000))
            time.sleep(0.01)


if __name__ == "__main__":
    main()
