"""The live line while a run is metered, and the summary printed at its end."""

from __future__ import annotations

import sys
import time
from typing import Any

from accounting.units import j_to_wh

LIVE_EVERY_S_TTY = 10.0
LIVE_EVERY_S_LOG = 30.0


def _fmt_elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s // 60 % 60:02d}:{s % 60:02d}"


class LiveLine:
    """Elapsed time, power in W, energy in Wh and CO2e so far, on stderr.

    A whole line every 10 s on a terminal, every 30 s in a log. The line is never redrawn in
    place (``\\r`` and erase-to-end-of-line): the job writes to the same terminal, and a redraw
    would wipe out whatever part of a line the job has printed so far (a prompt, a progress
    bar, ``print("loss", x)`` written piece by piece).
    """

    def __init__(
        self, recorder: Any, intensity_g_per_kwh: float | None, stream: Any = None
    ) -> None:
        self.recorder = recorder
        self.intensity = intensity_g_per_kwh
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.monotonic()
        self.last = self.t0

    def text(self) -> str:
        energy_wh = j_to_wh(self.recorder.energy_j)
        parts = [
            f"ecoledger ⏱ {_fmt_elapsed(time.monotonic() - self.t0)}",
            f"{self.recorder.power_w:7.1f} W",
            f"{energy_wh:9.3f} Wh",
        ]
        if self.intensity is not None:
            parts.append(f"{energy_wh / 1000.0 * self.intensity:8.2f} gCO2e (IT, before PUE)")
        return "  ".join(parts)

    def update(self) -> None:
        now = time.monotonic()
        every = LIVE_EVERY_S_TTY if self.tty else LIVE_EVERY_S_LOG
        if now - self.last < every:
            return
        self.last = now
        self.stream.write(self.text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Nothing is left half-written: every line ends with its newline."""


def print_summary(ledger: Any, run_id: str, stream: Any = None) -> None:
    """The cost summary of a finished run, with its id alone on the last line."""
    from ecoledger.cli.render import render_run_text, run_report

    stream = stream or sys.stdout
    try:
        stream.write(render_run_text(run_report(ledger, run_id)))
    except Exception as exc:  # the summary must not turn a finished job into a failure
        print(f"ecoledger: warning: could not summarise the run: {exc}", file=sys.stderr)
    stream.write(f"{run_id}\n")
    stream.flush()
