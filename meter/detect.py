"""Find every energy source that is really available; say for each probe why it was used or not.

``detect_sources()`` never raises: a failing probe becomes a :class:`Probe` with its reason.
Ranking: GPUs by NVML (counter, else sampled power); CPU by RAPL, else TDP × load; RAM estimate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from meter.measurement import Probe
from meter.process_tree import ProcessTree
from meter.source import Clock, EnergySource


@dataclass(frozen=True)
class Detection:
    """The sources to meter with, and every probe (used or not, and why)."""

    sources: tuple[EnergySource, ...]
    probes: tuple[Probe, ...]

    def close(self) -> None:
        """Release the sources (NVML is shut down once its last source closes)."""
        for source in self.sources:
            try:
                source.close()
            except Exception:
                pass


def _gpu_list(gpus: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if gpus is None:
        return None
    from meter.sources.gpu_selection import parse_gpu_list

    return parse_gpu_list(gpus)


def _probe_gpus(
    gpus: str | Sequence[str] | None, root_pid: int, clock: Clock, tree: ProcessTree | None
) -> tuple[list[EnergySource], list[Probe]]:
    try:
        from meter.sources.nvml_gpu import probe_nvml_gpus

        return probe_nvml_gpus(_gpu_list(gpus), root_pid, clock, tree)
    except Exception as exc:  # detection never raises
        return [], [Probe("nvml", "gpu", False, f"NVML probe failed: {exc}")]


def _probe_cpu(
    root_pid: int, clock: Clock, powercap_root: str | None, tree: ProcessTree | None
) -> tuple[list[EnergySource], list[Probe]]:
    sources: list[EnergySource] = []
    probes: list[Probe] = []
    try:
        from meter.sources.cpu_tdp_load import cpu_model_name
        from meter.sources.rapl import probe_rapl

        rapl_sources, rapl_probes = probe_rapl(powercap_root, clock, cpu_model_name())
    except Exception as exc:
        rapl_sources, rapl_probes = [], [Probe("rapl", "cpu", False, f"RAPL probe failed: {exc}")]
    sources.extend(rapl_sources)
    probes.extend(rapl_probes)
    has_rapl_cpu = any(s.info.kind == "cpu" for s in rapl_sources)
    has_rapl_ram = any(s.info.kind == "ram" for s in rapl_sources)
    estimates: tuple[tuple[Literal["cpu", "ram"], str, Estimate, str], ...] = (
        ("cpu", "RAPL measures the CPU package", _cpu_estimate, "cannot read process CPU time"),
        ("ram", "RAPL measures DRAM", _ram_estimate, "cannot read process memory"),
    )
    for kind, rapl_reason, make, failed in estimates:
        method = {"cpu": "cpu_tdp_load", "ram": "ram_estimate"}[kind]
        try:
            if has_rapl_cpu if kind == "cpu" else has_rapl_ram:
                probes.append(Probe(method, kind, False, rapl_reason))
                continue
            source, reason = make(tree or ProcessTree(root_pid, clock=clock), clock)
            sources.append(source)
            probes.append(
                Probe(method, kind, True, reason, source.info.device_id, source.info.method)
            )
        except Exception as exc:
            probes.append(Probe(method, kind, False, f"{failed}: {exc}"))
    return sources, probes


Estimate = Callable[["ProcessTree", Clock], "tuple[EnergySource, str]"]
"""Builds the CPU or RAM estimate of a process tree: (source, why it is used)."""


def _cpu_estimate(tree: ProcessTree, clock: Clock) -> tuple[EnergySource, str]:
    from meter.sources.cpu_tdp_load import CpuTdpLoad

    cpu = CpuTdpLoad(tree, clock)
    return cpu, f"TDP × load of process {tree.root_pid} and its children; TDP: {cpu.tdp_source}"


def _ram_estimate(tree: ProcessTree, clock: Clock) -> tuple[EnergySource, str]:
    from meter.sources.ram_estimate import RAM_MODEL_SOURCE, RamEstimate

    ram = RamEstimate(tree, clock)
    return ram, f"{RAM_MODEL_SOURCE} of process {tree.root_pid} and its children"


def detect_sources(
    *,
    root_pid: int | None = None,
    gpus: str | Sequence[str] | None = None,
    include_host: bool = True,
    clock: Clock = time.monotonic,
    powercap_root: str | None = None,
) -> Detection:
    """Probe NVML, RAPL and the estimates for the process tree rooted at ``root_pid``.

    ``gpus`` (``"0,2"`` or a list; indices or UUIDs) overrides ``CUDA_VISIBLE_DEVICES``.
    ``include_host=False`` skips CPU and RAM (other ranks of a distributed job on the same
    host). ``powercap_root`` replaces ``/sys/class/powercap`` (tests). One process tree
    (membership refreshed every 2 s) is shared by the CPU, RAM and GPU-process checks.
    """
    pid = root_pid if root_pid is not None else os.getpid()
    try:
        tree: ProcessTree | None = ProcessTree(pid, clock=clock)
    except Exception:
        tree = None
    sources, probes = _probe_gpus(gpus, pid, clock, tree)
    if include_host:
        host_sources, host_probes = _probe_cpu(pid, clock, powercap_root, tree)
        sources += host_sources
        probes += host_probes
    else:
        probes.append(
            Probe("host", "cpu", False, "CPU and RAM are read by another process on this host")
        )
    return Detection(tuple(sources), tuple(probes))
