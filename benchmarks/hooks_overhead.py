"""Overhead of ecoledger's training and inference hooks, side by side with no meter.

    python benchmarks/hooks_overhead.py [--rounds 7] [--steps 100]

Prints wall-time ratios (median over interleaved rounds) of the same CPU training loop
(a small MLP, one thread, steps of about 10 ms) under each meter, against the same loop with
none, measured in the same run:

* ``watch``: ``ecoledger.track()`` + ``run.watch(optimizer)`` (a meter read every step);
* ``codecarbon``: CodeCarbon's ``OfflineEmissionsTracker`` around the loop (the peer);
* ``lightning``: a Lightning ``Trainer.fit`` with ``EcoLedgerCallback`` vs without;
* ``hf``: a Hugging Face ``Trainer.train`` with ``EcoLedgerCallback`` vs without.

The loop is timed from its first to its last step (each framework's own set-up is outside the
timing in both arms); the one-off cost of opening and closing a run is printed separately.
Then the per-request overhead of ``meter_inference`` at batch size 1, and the hook's own
cost per optimizer step, measured in interleaved blocks (robust when the machine is loaded,
where whole-loop ratios swing widely). Targets: ≤ 1.01 for
``watch``, ≤ 1.02 for the adapters, ≤ 2 % or < 20 µs per request.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import ecoledger  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")
logging.getLogger("codecarbon").setLevel(logging.ERROR)
logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)

WIDTH = 512
BATCH = 256


def model_and_data(steps: int):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(256, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, 1)
    )
    x = torch.randn(steps * BATCH, 256)
    return model, x, x[:, :1].clone()


def plain_loop(model, opt, x, y) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(x), BATCH):
        opt.zero_grad()
        nn.functional.mse_loss(model(x[i : i + BATCH]), y[i : i + BATCH]).backward()
        opt.step()
    return time.perf_counter() - t0


def arm_none(steps, ledger):
    model, x, y = model_and_data(steps)
    return plain_loop(model, torch.optim.SGD(model.parameters(), lr=1e-3), x, y), 0.0


def arm_watch(steps, ledger):
    model, x, y = model_and_data(steps)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    with ecoledger.track(name="bench", ledger=ledger) as run:
        run.watch(opt)
        loop = plain_loop(model, opt, x, y)
    return loop, time.perf_counter() - t0 - loop


def arm_codecarbon(steps, ledger):
    from codecarbon import OfflineEmissionsTracker

    model, x, y = model_and_data(steps)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    tracker = OfflineEmissionsTracker(
        country_iso_code="FRA", save_to_file=False, log_level="error", measure_power_secs=1
    )
    tracker.start()
    loop = plain_loop(model, opt, x, y)
    tracker.stop()
    return loop, time.perf_counter() - t0 - loop


# -- Lightning ------------------------------------------------------------------------------
def _lightning_arm(with_callback: bool):
    def arm(steps, ledger):
        import lightning.pytorch as pl
        from torch.utils.data import DataLoader, TensorDataset

        from train_hooks.lightning import EcoLedgerCallback

        class Module(pl.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = model_and_data(1)[0]

            def training_step(self, batch, _i):
                return nn.functional.mse_loss(self.net(batch[0]), batch[1])

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=1e-3)

        class Timer(pl.Callback):
            def on_train_epoch_start(self, *a):
                self.t0 = time.perf_counter()

            def on_train_epoch_end(self, *a):
                self.loop = time.perf_counter() - self.t0

        for name in ("lightning", "lightning.pytorch", "lightning.pytorch.utilities.rank_zero"):
            logging.getLogger(name).setLevel(logging.ERROR)
        _, x, y = model_and_data(steps)
        timer = Timer()
        callbacks = [timer] + ([EcoLedgerCallback(ledger=ledger)] if with_callback else [])
        trainer = pl.Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=callbacks,
        )
        trainer.fit(Module(), DataLoader(TensorDataset(x, y), batch_size=BATCH))
        return timer.loop, 0.0

    return arm


# -- Hugging Face -----------------------------------------------------------------------------
def _hf_arm(with_callback: bool):
    def arm(steps, ledger):
        import transformers

        from train_hooks.hf import EcoLedgerCallback

        class Wrapped(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = model_and_data(1)[0]

            def forward(self, x, labels):
                return {"loss": nn.functional.mse_loss(self.net(x), labels)}

        class Rows(torch.utils.data.Dataset):
            def __init__(self, x, y):
                self.x, self.y = x, y

            def __len__(self):
                return len(self.x)

            def __getitem__(self, i):
                return {"x": self.x[i], "labels": self.y[i]}

        class Timer(transformers.TrainerCallback):
            def on_epoch_begin(self, *a, **k):
                self.t0 = time.perf_counter()

            def on_epoch_end(self, *a, **k):
                self.loop = time.perf_counter() - self.t0

        _, x, y = model_and_data(steps)
        timer = Timer()
        callbacks = [timer] + ([EcoLedgerCallback(ledger=ledger)] if with_callback else [])
        with tempfile.TemporaryDirectory() as out:
            args = transformers.TrainingArguments(
                output_dir=out,
                num_train_epochs=1,
                per_device_train_batch_size=BATCH,
                report_to="none",
                use_cpu=True,
                save_strategy="no",
                logging_strategy="no",
                disable_tqdm=True,
                dataloader_num_workers=0,
            )
            transformers.logging.set_verbosity_error()
            trainer = transformers.Trainer(
                model=Wrapped(), args=args, train_dataset=Rows(x, y), callbacks=callbacks
            )
            trainer.remove_callback(transformers.PrinterCallback)
            trainer.train()
        return timer.loop, 0.0

    return arm


def compare(label, base, arms, rounds, steps, ledger):
    """Interleave base and each arm for `rounds` rounds; median ratio per arm."""
    base(max(5, steps // 10), ledger)  # warm-up
    for arm in arms.values():
        arm(max(5, steps // 10), ledger)
    ratios = {name: [] for name in arms}
    extra = {name: [] for name in arms}
    base_loops = []
    for r in range(rounds):
        order = list(arms.items())
        if r % 2:
            order.reverse()
        b, _ = base(steps, ledger)
        base_loops.append(b)
        for name, arm in order:
            loop, one_off = arm(steps, ledger)
            ratios[name].append(loop / b)
            extra[name].append(one_off)
    step_ms = statistics.median(base_loops) / steps * 1000
    print(f"\n{label}: {steps} steps of {step_ms:.1f} ms (median of {rounds} rounds)")
    for name in arms:
        line = f"  {name:<22} ratio {statistics.median(ratios[name]):.4f}"
        line += f"  (min {min(ratios[name]):.4f}, max {max(ratios[name]):.4f})"
        if any(extra[name]):
            line += f"  open+close {statistics.median(extra[name]) * 1000:.0f} ms"
        print(line)


def inference(requests: int, rounds: int, ledger: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64)).eval()
    x = torch.randn(1, 64)

    def serve() -> float:
        t0 = time.perf_counter()
        with torch.inference_mode():
            for _ in range(requests):
                model(x)
        return time.perf_counter() - t0

    plain, metered = [], []
    with ecoledger.track(name="bench-serve", kind="inference", ledger=ledger):
        serve()
        for _ in range(rounds):
            plain.append(serve())
            meter = ecoledger.meter_inference(model, tokens=lambda i, o: 1)
            metered.append(serve())
            meter.close()
    p, m = statistics.median(plain), statistics.median(metered)
    per_call_us = p / requests * 1e6
    over_us = (m - p) / requests * 1e6
    print(
        f"\nmeter_inference at batch size 1: {requests} requests of {per_call_us:.1f} µs, "
        f"{rounds} rounds"
    )
    print(f"  overhead {over_us:.2f} µs per request ({over_us / per_call_us * 100:.1f} %)")


def hook_cost(rounds: int, ledger: str, block: int = 2000) -> None:
    """The hook's own cost per step, interleaved in blocks (robust on a loaded machine)."""
    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.0)

    def run_block() -> float:
        t0 = time.perf_counter()
        for _ in range(block):
            opt.step()
        return time.perf_counter() - t0

    plain, hooked = [], []
    with ecoledger.track(name="bench-hook", ledger=ledger) as run:
        run_block()
        for _ in range(rounds * 5):
            plain.append(run_block())
            handle = run.watch(opt)
            hooked.append(run_block())
            handle.remove()
    cost_us = (statistics.median(hooked) - statistics.median(plain)) / block * 1e6
    print(
        f"\nwatch() hook cost: {cost_us:.2f} µs per optimizer step "
        f"(meter read every step; {rounds * 5} interleaved blocks of {block} steps)"
    )
    print(f"  implied loop ratio at 10 ms steps: {1 + cost_us / 10_000:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument(
        "--skip", default="", help="comma list of: plain,lightning,hf,inference,hookcost"
    )
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        ledger = str(Path(tmp) / "bench.db")
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, {os.cpu_count()} CPUs")
        if "plain" not in skip:
            compare(
                "plain torch loop",
                arm_none,
                {"watch(optimizer)": arm_watch, "codecarbon": arm_codecarbon},
                args.rounds,
                args.steps,
                ledger,
            )
        if "lightning" not in skip:
            compare(
                "Lightning Trainer.fit",
                _lightning_arm(False),
                {"EcoLedgerCallback": _lightning_arm(True)},
                args.rounds,
                args.steps,
                ledger,
            )
        if "hf" not in skip:
            compare(
                "Hugging Face Trainer.train",
                _hf_arm(False),
                {"EcoLedgerCallback": _hf_arm(True)},
                args.rounds,
                args.steps,
                ledger,
            )
        if "inference" not in skip:
            inference(args.requests, args.rounds, ledger)
        if "hookcost" not in skip:
            hook_cost(args.rounds, ledger)


if __name__ == "__main__":
    main()
