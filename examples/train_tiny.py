"""A real, small torch training run on the CPU: an MLP fitting a synthetic regression.

Run it metered with:  ecoledger run --name tiny -- python examples/train_tiny.py
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="train for about this long")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x = torch.randn(4096, 64)
    y = x @ torch.randn(64, 1) + 0.1 * torch.randn(4096, 1)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    t0 = time.monotonic()
    epoch = 0
    while time.monotonic() - t0 < args.seconds:
        for i in range(0, len(x), 256):
            optimizer.zero_grad()
            loss = loss_fn(model(x[i : i + 256]), y[i : i + 256])
            loss.backward()
            optimizer.step()
        epoch += 1
    print(f"trained {epoch} epochs in {time.monotonic() - t0:.1f} s, final loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
