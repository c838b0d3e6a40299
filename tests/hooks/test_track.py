"""track(): a real torch loop on the CPU, recorded with phases, epochs and step windows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import torch

import ecoledger
from accounting.entries import RunStarted
from accounting.runs import build_run_view
from accounting.store import open_ledger
from tests.hooks.helpers import (
    REPO,
    data,
    energy_entries,
    mlp,
    run_python,
    train_steps,
    view,
    windows,
)


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: OpenMP workers spin-wait (burning CPU) for a while after each op,
    so with several threads part of an op's CPU time lands after the window that ran it;
    real CPU, but not this test's subject (whether every window holds its own CPU time)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_phases_and_steps_add_up_to_the_run_total(tmp_path, fake_nvml):
    """Real torch steps, metered on a fake 300 W GPU whose clock moves only inside them
    (10 ms a step) and inside each eval (0.5 s): the epochs hold the whole run's energy, and
    the step ranges and the eval phases tile the epochs, exactly. (On the host's sources the
    run's start and end, and whatever ran between phases, took wall-clock time, so the margin
    depended on the machine's load: it failed 1 time in 6 under load.)"""
    from meter import Meter, detect_sources
    from train_hooks.recorder import RunRecorder
    from train_hooks.run import Run

    clock = fake_nvml.init(gpus=1, power_mw=300000)  # an exact counter (no update period)
    meter = Meter(
        detect_sources(include_host=False, clock=clock).sources,
        clock=clock,
        wall=lambda: 1.7e9 + clock(),
    )
    ledger = open_ledger(str(tmp_path / "l.db"))
    run_id = "d" * 32
    recorder = RunRecorder(ledger, run_id, meter=meter, t0_monotonic=0.0)
    started = datetime.fromtimestamp(1.7e9, UTC)
    recorder.start(
        RunStarted(run_id=run_id, name="mlp", project="p", started_at=started), background=False
    )
    run = Run(run_id, recorder, pue=1.0, intensity_g_per_kwh=100.0)
    model, opt = mlp()
    x, y = data(8192)
    run.watch(opt, window_steps=50)
    for epoch in range(3):
        with run.phase(f"epoch:{epoch}"):
            with run.phase("train"):
                for i in range(0, len(x), 64):
                    opt.zero_grad()
                    torch.nn.functional.mse_loss(model(x[i : i + 64]), y[i : i + 64]).backward()
                    clock.advance(0.01)
                    opt.step()
            with run.phase("eval"), torch.no_grad():
                model(x)
                clock.advance(0.5)
    run.close()
    recorder.finish("completed")
    ledger.close()
    v = view(tmp_path / "l.db", run_id)
    assert v.status == "completed" and v.name == "mlp" and v.project == "p"
    # by hand: an epoch is 128 steps × 10 ms × 300 W + 0.5 s × 300 W = 384 J + 150 J = 534 J
    assert v.energy_it_j == pytest.approx(3 * 534.0)
    epochs = windows(v, "epoch:")
    assert [w.key for w in epochs] == ["epoch:0", "epoch:1", "epoch:2"]
    assert [w.energy_j for w in epochs] == pytest.approx([534.0] * 3)
    steps = windows(v, "step:")
    evals = windows(v, "phase:eval")
    assert sum(w.energy_j for w in steps) == pytest.approx(3 * 384.0)
    assert sum(w.energy_j for w in evals) == pytest.approx(3 * 150.0)
    # 8192 / 64 = 128 steps an epoch, aggregated by 50 and cut at the phase boundaries
    assert sum(w.count for w in steps) == 384
    assert [w.key for w in steps][:4] == ["step:0-49", "step:50-99", "step:100-127", "step:128-177"]
    assert max(w.count for w in steps) == 50
    assert len(steps) == 9  # 3 ranges an epoch, not 384 entries


def test_short_epochs_of_real_torch_steps_hold_the_runs_cpu_energy(tmp_path, one_torch_thread):
    """3 epochs × 60 small steps, under 1 s: windows shorter than a sampler interval still
    hold their CPU energy, because the CPU time is read at each boundary."""
    ledger = tmp_path / "l.db"
    model, opt = mlp(width=256)
    x, y = data(60 * 64)
    train_steps(model, opt, x[:640], y[:640])  # warm up before the run
    with ecoledger.track(ledger=str(ledger), sample_hz=1, sync="off") as run:
        for epoch in range(3):
            with run.phase(f"epoch:{epoch}"):
                train_steps(model, opt, x, y)
    v = view(ledger, run.run_id)
    with open_ledger(str(ledger)) as lg:
        run_cpu_j = sum(
            e.joules
            for e in lg.entries(run_id=run.run_id, kinds=["energy"])
            if e.window == "run" and e.device_kind == "cpu"
        )
        epochs_cpu_j = sum(
            e.joules
            for e in lg.entries(run_id=run.run_id, kinds=["energy"])
            if e.window.startswith("epoch:") and e.device_kind == "cpu"
        )
    assert v.status == "completed"
    # on an idle machine the run lasts about 0.5 s, each epoch under the sampler's 1 s
    # interval; CPU contention from other processes stretches it, and changes nothing here
    assert run_cpu_j > 0
    assert epochs_cpu_j == pytest.approx(run_cpu_j, rel=0.02)


def test_a_million_steps_do_not_become_a_million_entries(tmp_path):
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger)) as run:
        for _ in range(100_000):
            run.step()
    entries = [e for e in energy_entries(ledger, run.run_id) if e.window.startswith("step:")]
    devices = len({e.device_id for e in entries})
    assert len(entries) == 1000 * devices
    assert sum(e.count for e in entries) == 100_000 * devices


def test_exception_closes_the_run_as_failed_with_its_type(tmp_path):
    ledger = tmp_path / "l.db"
    with pytest.raises(ZeroDivisionError):
        with ecoledger.track(name="boom", ledger=str(ledger)) as run:
            _ = 1 / 0
    v = view(ledger, run.run_id)
    assert v.status == "failed"
    assert v.error == "ZeroDivisionError"


def test_keyboard_interrupt_is_interrupted(tmp_path):
    ledger = tmp_path / "l.db"
    with pytest.raises(KeyboardInterrupt):
        with ecoledger.track(ledger=str(ledger)) as run:
            raise KeyboardInterrupt
    v = view(ledger, run.run_id)
    assert (v.status, v.error) == ("interrupted", "SIGINT")


def test_decorator_opens_one_run_per_call(tmp_path):
    ledger = str(tmp_path / "l.db")

    @ecoledger.track(project="deco", ledger=ledger, kind="evaluation")
    def evaluate(n):
        assert ecoledger.Run.current() is not None
        return n * 2

    assert evaluate(2) == 4 and evaluate(3) == 6
    with open_ledger(ledger) as lg:
        started = [e for e in lg.entries(kinds=["run_started"])]
    assert len(started) == 2
    assert {e.name for e in started} == {evaluate.__wrapped__.__qualname__}
    assert {e.run_kind for e in started} == {"evaluation"}


def test_bare_decorator(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(tmp_path / "env.db"))

    @ecoledger.track
    def job():
        return ecoledger.Run.current().run_id

    run_id = job()
    assert view(tmp_path / "env.db", run_id).status == "completed"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "pretraining"}, "kind"),
        ({"pue": 0.5}, "pue"),
        ({"pue": float("nan")}, "pue"),
        ({"on_budget": "explode"}, "on_budget"),
        ({"budget_kgco2e": -1.0}, "budget_kgco2e"),
        ({"sample_hz": 0}, "sample_hz"),
        ({"country": "XXX"}, "country"),
        ({"total_epochs": 0}, "total_epochs"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(tmp_path, kwargs, field):
    ledger = tmp_path / "l.db"
    with pytest.raises(ValueError, match=field):
        ecoledger.track(ledger=str(ledger), **kwargs)
    assert not ledger.exists()


def test_an_unusable_ledger_warns_and_the_job_runs(tmp_path, caplog):
    bad = tmp_path / "not-a-ledger.db"
    bad.write_text("hello, I am not SQLite")
    with ecoledger.track(ledger=str(bad)) as run:
        run.step()
        with run.phase("train"):
            pass
        run.count(requests=1)
    assert not run.metered
    assert bad.read_text() == "hello, I am not SQLite"
    assert "not recorded" in caplog.text


def test_joins_the_run_of_ecoledger_run(tmp_path, monkeypatch):
    ledger = tmp_path / "l.db"
    parent = RunStarted(
        run_id="a" * 32,
        name="parent",
        started_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
    )
    with open_ledger(str(ledger)) as lg:
        lg.append([parent])
    monkeypatch.setenv("ECOLEDGER_RUN_ID", "a" * 32)
    monkeypatch.setenv("ECOLEDGER_LEDGER", str(ledger))
    with ecoledger.track(name="child") as run:
        assert run.run_id == "a" * 32
        with run.phase("train"):
            time.sleep(0.05)
        run.count(tokens=5)
    with open_ledger(str(ledger)) as lg:
        kinds = [e.kind for e in lg.entries(run_id="a" * 32)]
    assert kinds.count("run_started") == 1  # the parent's, none of our own
    assert "run_ended" not in kinds
    entries = energy_entries(ledger, "a" * 32)
    assert entries and all(e.window != "run" for e in entries)
    assert {e.window for e in entries} == {"phase:train"}
    assert view(ledger, "a" * 32).usage.tokens == 5


def test_writes_are_flushed_while_running(tmp_path):
    ledger = tmp_path / "l.db"
    with ecoledger.track(ledger=str(ledger), flush_interval_s=0.2) as run:
        live: list = []
        deadline = time.monotonic() + 30.0  # the writer's thread may wait for a loaded CPU
        while not live and time.monotonic() < deadline:
            time.sleep(0.1)
            with open_ledger(str(ledger)) as lg:
                entries = lg.entries(run_id=run.run_id, kinds=["energy"])
            live = [e for e in entries if e.window == "run"]
        assert live, "no energy segment flushed while the run is open"


SIGTERM_SCRIPT = """
import sys, time, ecoledger
with ecoledger.track(name="term", ledger=sys.argv[1] if len(sys.argv) > 1 else {ledger!r},
                     flush_interval_s=0.5) as run:
    print(run.run_id, flush=True)
    for _ in range(20):
        run.step()
        time.sleep(0.01)
    print("STEPPED 20", flush=True)
    while True:
        run.step()
        time.sleep(0.01)
"""


def _start(code: str, tmp_path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env.pop("ECOLEDGER_RUN_ID", None)
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    run_id = proc.stdout.readline().strip()
    return proc, run_id


def test_sigterm_records_interrupted_with_everything_flushed(tmp_path):
    ledger = tmp_path / "l.db"
    proc, run_id = _start(SIGTERM_SCRIPT.format(ledger=str(ledger)), tmp_path)
    # signalled once the job says it has made 20 steps (a 1 s sleep said nothing about how
    # far a job starting on a loaded machine had got: 0 steps were recorded once)
    assert proc.stdout.readline() == "STEPPED 20\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    v = view(ledger, run_id)
    assert (v.status, v.error) == ("interrupted", "SIGTERM")
    assert sum(w.count for w in windows(v, "step:")) >= 20


SIGKILL_SCRIPT = """
import sys, time, ecoledger
with ecoledger.track(name="kill", ledger={ledger!r}, flush_interval_s=0.5) as run:
    print(run.run_id, flush=True)
    until = time.monotonic() + 1.0
    while time.monotonic() < until:  # a few periodic flushes
        run.step()
        time.sleep(0.01)
    before = time.time()
    run.flush()
    print("FLUSHED", before, flush=True)
    while True:
        run.step()
        time.sleep(0.01)
"""


def test_sigkill_reads_as_lost_and_loses_nothing_flushed(tmp_path):
    """SIGKILL loses only what came after the last flush (the writer flushes every interval):
    the job is killed right after it saw a flush return, and every segment up to that flush
    is in the ledger, the segments tiling the run with no gap. (The kill moment is taken
    from the job, not from a sleep: under load a sleep says nothing about the writer.)"""
    ledger = tmp_path / "l.db"
    proc, run_id = _start(SIGKILL_SCRIPT.format(ledger=str(ledger)), tmp_path)
    line = proc.stdout.readline().split()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert line[0] == "FLUSHED"
    flushed_at = float(line[1])
    with open_ledger(str(ledger)) as lg:
        entries = lg.entries(run_id=run_id)
    started = entries[0]
    later = started.recorded_at + timedelta(minutes=10)
    v = build_run_view(entries, now=later)
    assert v.status == "lost"
    segments = sorted(
        (e for e in entries if e.kind == "energy" and e.window == "run"), key=lambda e: e.start
    )
    devices = {e.device_id for e in segments}
    for device in devices:
        mine = [e for e in segments if e.device_id == device]
        assert all(a.end == b.start for a, b in zip(mine, mine[1:], strict=False))  # no gap
        assert mine[-1].end.timestamp() >= flushed_at  # the flush it saw return is stored


def test_sigterm_handler_is_not_installed_over_the_users(tmp_path):
    out = run_python(
        "import signal, ecoledger\n"
        "def mine(s, f): pass\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        f"with ecoledger.track(ledger={str(tmp_path / 'l.db')!r}):\n"
        "    assert signal.getsignal(signal.SIGTERM) is mine\n"
        "assert signal.getsignal(signal.SIGTERM) is mine\n"
        f"with ecoledger.track(ledger={str(tmp_path / 'l.db')!r}):\n"
        "    signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
        "    with ecoledger.track(ledger={0!r}):\n".format(str(tmp_path / "l.db"))
        + "        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL\n"
        "assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL\n"
        "print('ok')\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_import_ecoledger_is_light():
    out = run_python(
        "import sys, ecoledger\n"
        "heavy = [m for m in ('torch', 'sqlalchemy', 'train_hooks') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    assert out.stdout.strip() == "[]", out.stderr
