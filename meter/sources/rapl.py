"""``rapl``: CPU packages and DRAM through the Linux powercap tree (Intel RAPL, AMD too).

Zones live under ``/sys/class/powercap`` as ``intel-rapl:N`` (a package, ``name`` =
``package-N``) and ``intel-rapl:N:M`` (its sub-zones: ``core``, ``uncore``, ``dram``);
AMD's ``amd-rapl`` zones have the same layout. Each package and each ``dram`` zone becomes one
source; ``core``/``uncore`` are inside the package and ``psys`` covers the whole platform,
so they are skipped (counting them too would count energy twice).

``energy_uj`` is a counter in µJ that wraps at ``max_energy_range_uj``; a reading lower than
the last one is a wrap and is unwrapped (the sampler reads often enough that a package
cannot wrap twice in between). Since Linux 5.10 (CVE-2020-8694, "Platypus") only root may
read ``energy_uj``: that is reported as the probe's reason, never raised.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from meter.measurement import CounterReading, DeviceInfo, DeviceKind, Probe
from meter.source import Clock, EnergySource, SourceBase
from meter.units import uj_to_j

DEFAULT_POWERCAP_ROOT = "/sys/class/powercap"
ZONE_NAME = re.compile(r"^(intel-rapl|amd-rapl):(\d+)(?::(\d+))?$")
RAPL_PERIOD_S = 0.001  # RAPL counters update about every millisecond


def _read_text(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


class RaplZone(SourceBase):
    """One powercap zone's ``energy_uj`` counter, unwrapped, in joules since metering began."""

    def __init__(
        self, zone_dir: Path, info: DeviceInfo, max_range_uj: int | None, clock: Clock
    ) -> None:
        super().__init__(info, clock)
        self.zone_dir = zone_dir
        self.max_range_uj = max_range_uj
        self._fd = os.open(zone_dir / "energy_uj", os.O_RDONLY)
        self._last_raw_uj: int | None = None
        self._total_uj = 0
        self._sample_t_s: float | None = None
        self._sample_uj = 0
        self._power_w: float | None = None

    def _raw_uj(self) -> int:
        return int(os.pread(self._fd, 64, 0).split()[0])

    def _advance(self, raw: int) -> int:
        """Add the increase since the last raw reading (lock held); return the total µJ."""
        last = self._last_raw_uj
        if last is not None:
            if raw >= last:
                self._total_uj += raw - last
            elif self.max_range_uj:
                self._total_uj += raw + self.max_range_uj - last  # wrapped around
            else:
                self._total_uj += raw
        self._last_raw_uj = raw
        return self._total_uj

    def read(self) -> CounterReading:
        # Read and differenced under one lock: the sampler thread and a window boundary both
        # read, and a reading differenced after a later one would look like a wrap (a whole
        # max_energy_range_uj, ~262 kJ, added to the package).
        with self._lock:
            now = self._clock()
            try:
                raw = self._raw_uj()
            except (OSError, ValueError, IndexError) as exc:
                self._report("meter_read_failed", f"cannot read {self.zone_dir}/energy_uj: {exc}")
                return CounterReading(now, uj_to_j(self._total_uj), self._power_w)
            return CounterReading(now, uj_to_j(self._advance(raw)), self._power_w)

    def sample(self) -> float | None:
        reading = self.read()
        with self._lock:
            total_uj = self._total_uj
            if self._sample_t_s is not None and reading.t_s > self._sample_t_s:
                dt = reading.t_s - self._sample_t_s
                self._power_w = uj_to_j(total_uj - self._sample_uj) / dt
            self._sample_t_s, self._sample_uj = reading.t_s, total_uj
            return self._power_w

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass


def _zone_probe(zone_dir: Path, clock: Clock, cpu_model: str) -> tuple[EnergySource | None, Probe]:
    match = ZONE_NAME.match(zone_dir.name)
    assert match is not None
    package = match.group(2)
    probe_name = f"rapl:{zone_dir.name}"
    try:
        name = _read_text(zone_dir / "name")
    except OSError as exc:
        return None, Probe(probe_name, "cpu", False, f"cannot read {zone_dir}/name: {exc}")
    kind: DeviceKind
    if name.startswith("package"):
        kind, device_id, model = "cpu", f"cpu:{name}", f"{cpu_model} ({name})"
    elif name == "dram":
        kind, device_id, model = "ram", f"ram:dram-{package}", f"DRAM of package-{package}"
    else:
        why = "the whole platform (would double count)" if name == "psys" else "inside its package"
        return None, Probe(probe_name, "cpu", False, f"zone {name!r} skipped: {why}")
    energy = zone_dir / "energy_uj"
    try:
        int(_read_text(energy))
    except PermissionError:
        return None, Probe(
            probe_name,
            kind,
            False,
            f"permission denied reading {energy}: since Linux 5.10 (CVE-2020-8694) only root may "
            "read RAPL counters; run as root or grant read access to energy_uj",
            device_id,
            "rapl",
        )
    except (OSError, ValueError) as exc:
        return None, Probe(probe_name, kind, False, f"cannot read {energy}: {exc}", device_id)
    try:
        max_range_uj: int | None = int(_read_text(zone_dir / "max_energy_range_uj"))
        range_note = f"wraps at {max_range_uj} µJ"
    except (OSError, ValueError):
        max_range_uj, range_note = None, "no max_energy_range_uj: a wrap is counted from 0"
    info = DeviceInfo(device_id, kind, model, "rapl", False, RAPL_PERIOD_S)
    try:
        source = RaplZone(zone_dir, info, max_range_uj, clock)
    except OSError as exc:
        return None, Probe(probe_name, kind, False, f"cannot open {energy}: {exc}", device_id)
    return source, Probe(
        probe_name,
        kind,
        True,
        f"{name} energy counter at {energy} ({range_note})",
        device_id,
        "rapl",
    )


def probe_rapl(
    root: str | Path | None = None, clock: Clock | None = None, cpu_model: str = "CPU"
) -> tuple[list[EnergySource], list[Probe]]:
    """Sources for every RAPL package and DRAM zone under ``root``; a probe for each zone."""
    clock = clock or time.monotonic
    base = Path(root) if root is not None else Path(DEFAULT_POWERCAP_ROOT)
    if not base.is_dir():
        return [], [
            Probe(
                "rapl",
                "cpu",
                False,
                f"no powercap tree at {base}: the kernel exposes no RAPL here "
                "(no intel_rapl/amd driver loaded, or a virtual machine that hides it)",
            )
        ]
    try:
        # sub-zones are listed both at the top (symlinks) and inside their package's folder
        found = {p.name: p for p in base.iterdir() if ZONE_NAME.match(p.name)}
        for package in list(found.values()):
            if package.is_dir():
                for p in package.iterdir():
                    if ZONE_NAME.match(p.name):
                        found.setdefault(p.name, p)
        entries = [found[name] for name in sorted(found)]
    except OSError as exc:
        return [], [Probe("rapl", "cpu", False, f"cannot list {base}: {exc}")]
    if not entries:
        return [], [Probe("rapl", "cpu", False, f"no intel-rapl or amd-rapl zones under {base}")]
    sources: list[EnergySource] = []
    probes: list[Probe] = []
    for zone_dir in entries:
        source, probe = _zone_probe(zone_dir, clock, cpu_model)
        probes.append(probe)
        if source is not None:
            sources.append(source)
    return sources, probes
