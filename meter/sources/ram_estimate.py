"""``ram_estimate``: RAM power from the metered process tree's resident memory.

Model: 0.375 W per GiB resident (3 W per 8 GiB module; the figure codecarbon used before
3.x and experiment-impact-tracker's DRAM estimate). Always ``approximated``.
"""

from __future__ import annotations

import time

from meter.measurement import DeviceInfo
from meter.process_tree import ProcessTree
from meter.source import Clock, PowerIntegratingSource

RAM_W_PER_GIB = 3.0 / 8.0
RAM_MODEL_SOURCE = "0.375 W per GiB resident (3 W per 8 GiB DIMM)"


class RamEstimate(PowerIntegratingSource):
    def __init__(self, tree: ProcessTree | None = None, clock: Clock = time.monotonic) -> None:
        info = DeviceInfo(
            device_id="ram:0",
            kind="ram",
            model="process-tree RSS",
            method="ram_estimate",
            approximated=True,
        )
        super().__init__(info, clock)
        self.tree = tree or ProcessTree.of_this_process()

    def power_w(self) -> float:
        return self.tree.rss_bytes() / 2**30 * RAM_W_PER_GIB
