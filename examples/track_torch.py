"""Meter a plain PyTorch loop with ecoledger.track(): phases, epochs, per-step windows,
a prediction of the whole run, and metered inference afterwards.

    python examples/track_torch.py --ledger /tmp/ecoledger.db
    ecoledger show <run id printed at the end> --ledger /tmp/ecoledger.db --json
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

import ecoledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ledger", default=None, help="ledger path or URL (default ./ecoledger.db)"
    )
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(4096, 64)
    y = x @ torch.randn(64, 1)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    with ecoledger.track(
        name="track-torch", project="examples", ledger=args.ledger, total_epochs=args.epochs
    ) as run:
        run.watch(optimizer)  # step windows: step:0-99, step:100-199, ...
        for epoch in range(args.epochs):
            with run.phase(f"epoch:{epoch}"):
                with run.phase("train"):
                    for i in range(0, len(x), 64):
                        optimizer.zero_grad()
                        nn.functional.mse_loss(model(x[i : i + 64]), y[i : i + 64]).backward()
                        optimizer.step()
                with run.phase("eval"), torch.no_grad():
                    loss = nn.functional.mse_loss(model(x), y).item()
            if epoch == 1:
                p = run.predict()
                print(
                    f"predicted: {p.energy_kwh * 1000:.4f} Wh "
                    f"({p.low_kwh * 1000:.4f}–{p.high_kwh * 1000:.4f}), {p.kgco2e * 1000:.3f} gCO2e"
                )
        # serve a few requests, metered per request (batch size = items)
        with ecoledger.meter_inference(model) as served, torch.inference_mode():
            for _ in range(200):
                model(torch.randn(1, 64))
    print(
        f"loss {loss:.4f}; {served.requests} requests, "
        f"{served.joules_per_request or 0:.4f} J per request"
    )
    print(run.run_id)


if __name__ == "__main__":
    main()
