"""torchrun with gloo: one run, entries from every rank, CPU/RAM read once per host."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from accounting.store import open_ledger
from tests.hooks.helpers import REPO, view

JOB = str(REPO / "tests" / "hooks" / "ddp_job.py")
pytestmark = pytest.mark.slow


def _env(host: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLEDGER_")}
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONPATH"] = str(REPO)
    if host:
        env["ECOLEDGER_HOSTNAME"] = host  # test-only: simulate distinct hosts on one machine
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", *args]


def _rank(stdout: str) -> int:
    """The rank a job printed on its ``RUN rank run_id metered`` line."""
    (line,) = [line for line in stdout.splitlines() if line.startswith("RUN ")]
    return int(line.split()[1])


def _run_ids(stdout: str) -> set[str]:
    return {line.split()[2] for line in stdout.splitlines() if line.startswith("RUN ")}


@pytest.mark.parametrize("nproc", [2, 4])
def test_one_run_with_every_rank_and_host_devices_once(tmp_path, nproc):
    ledger = tmp_path / "l.db"
    out = subprocess.run(
        _torchrun("--standalone", f"--nproc_per_node={nproc}", JOB, str(ledger)),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=240,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    run_ids = _run_ids(out.stdout)
    assert len(run_ids) == 1  # every rank saw rank 0's run id
    (run_id,) = run_ids
    with open_ledger(str(ledger)) as lg:
        assert lg.run_ids() == [run_id]  # one run, opened once
        entries = lg.entries(run_id=run_id)
    assert {e.source.rank for e in entries} == set(range(nproc))  # entries from every rank
    assert [e.kind for e in entries].count("run_ended") == 1
    v = view(ledger, run_id)
    assert v.status == "completed"
    # CPU and RAM read once for the host, by local rank 0, for the whole agent's tree
    host_devices = [d for d in v.devices if d.kind in ("cpu", "ram")]
    assert sorted(d.kind for d in host_devices) == ["cpu", "ram"]
    assert {d.rank for d in host_devices} == {0}
    # the total is the sum over the ranks' devices
    assert v.energy_it_j == pytest.approx(sum(d.energy_j for d in v.devices))
    assert v.energy_it_j > 0
    joined = [e for e in entries if e.kind == "problem" and e.code == "rank_joined"]
    assert sorted(e.source.rank for e in joined) == list(range(nproc))


def _two_hosts(ledger: str, tmp_path) -> list[subprocess.CompletedProcess[str]]:
    """Two torchrun "hosts" on this machine. The rendezvous store is hosted here, by the test,
    as a real cluster's rendezvous endpoint outlives its nodes: when node 0's agent hosted it,
    node 0 finishing first could close it under node 1's exit barrier ("Failed to recv, got 0
    bytes"), a torch teardown race that failed 1 run in ~15 under load."""
    from torch.distributed import TCPStore

    store = TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)
    procs = [
        subprocess.Popen(
            _torchrun(
                "--nnodes=2",
                "--nproc_per_node=1",
                "--rdzv-backend=c10d",
                f"--rdzv-endpoint=127.0.0.1:{store.port}",
                "--rdzv-id=two-hosts",
                "--rdzv-conf=is_host=false",
                f"--node_rank={node}",
                JOB,
                ledger,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(host=f"node-{'ab'[node]}"),
            cwd=tmp_path,
        )
        for node in (0, 1)
    ]
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    del store
    return results


@pytest.mark.postgres
def test_two_hosts_on_postgresql_read_each_host_once(tmp_path, postgres_url):
    url = postgres_url()
    results = _two_hosts(url, tmp_path)
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]
    run_ids = _run_ids(results[0].stdout) | _run_ids(results[1].stdout)
    assert len(run_ids) == 1
    (run_id,) = run_ids
    v = view(url, run_id)
    assert v.status == "completed"
    assert set(v.hosts) == {"node-a", "node-b"}
    cpus = [d for d in v.devices if d.kind == "cpu"]
    # the rendezvous gives out the ranks: each host's CPU is read once, by that host's rank
    rank_of = {f"node-{'ab'[node]}": _rank(r.stdout) for node, r in enumerate(results)}
    assert sorted(rank_of.values()) == [0, 1]
    assert sorted((d.host, d.rank) for d in cpus) == sorted(rank_of.items())


def test_two_hosts_on_sqlite_warn_and_refuse(tmp_path):
    ledger = tmp_path / "l.db"
    results = _two_hosts(str(ledger), tmp_path)
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]
    (first,) = [r for r in results if _rank(r.stdout) == 0]  # the rendezvous picks rank 0
    assert "SQLite" in first.stderr and "PostgreSQL" in first.stderr
    assert first.stdout.split()[3] == "False"
    with open_ledger(str(ledger)) as lg:
        assert lg.count() == 0  # nothing recorded
