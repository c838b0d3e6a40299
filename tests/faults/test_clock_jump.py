"""A wall-clock jump mid-run (an NTP step, a VM resumed): durations come from the
monotonic clock, so energy and durations stay right.

libfaketime cannot step the wall clock alone for Python here (with
``FAKETIME_DONT_FAKE_MONOTONIC=1``, ``time.sleep`` fails with EINVAL), so the jump is an
injected wall clock: the meter's ``wall`` argument, which jumps 2 h back after 1 s while
the real monotonic clock runs on. The real recorder, meter, CPU/RAM sources and SQLite
ledger do the rest.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from accounting.entries import RUN_WINDOW, Energy, RunEnded, RunStarted
from accounting.store import open_ledger, verify
from meter import Meter, detect_sources
from train_hooks.recorder import RunRecorder

JUMP_S = -7200.0


class JumpingWall:
    def __init__(self, after_s: float) -> None:
        self.t0 = time.monotonic()
        self.after_s = after_s

    def __call__(self) -> float:
        late = time.monotonic() - self.t0 > self.after_s
        return time.time() + (JUMP_S if late else 0.0)


def _record(tmp_path: Path) -> tuple[list[object], float]:
    detection = detect_sources(root_pid=os.getpid())
    meter = Meter(detection.sources, sample_hz=5.0, wall=JumpingWall(1.0))
    ledger = open_ledger(str(tmp_path / "ledger.db"))
    recorder = RunRecorder(ledger, "c10c" + "0" * 28, meter=meter, flush_interval_s=0.3)
    t0 = time.monotonic()
    recorder.start(RunStarted(run_id=recorder.run_id, name="jump", started_at=datetime.now(UTC)))
    while time.monotonic() - t0 < 3.0:
        sum(range(10000))
    recorder.finish("completed")
    elapsed = time.monotonic() - t0
    assert verify(ledger).ok
    entries = ledger.entries(run_id=recorder.run_id)
    ledger.close()
    return entries, elapsed


def test_durations_are_monotonic_across_a_wall_clock_jump(tmp_path: Path) -> None:
    entries, elapsed = _record(tmp_path)
    ended = next(e for e in entries if isinstance(e, RunEnded))
    assert abs(ended.duration_s - elapsed) < 0.2
    segments = [e for e in entries if isinstance(e, Energy) and e.window == RUN_WINDOW]
    by_device: dict[str, float] = {}
    for e in segments:
        assert e.duration_s >= 0 and e.joules >= 0
        by_device[e.device_id] = by_device.get(e.device_id, 0.0) + e.duration_s
    assert by_device
    for covered in by_device.values():
        # every second is covered once, jump or not
        assert abs(covered - elapsed) < 0.3, (covered, elapsed)


def test_segment_timestamps_stay_ordered_across_a_wall_clock_jump(tmp_path: Path) -> None:
    entries, _ = _record(tmp_path)
    ends = [e.end for e in entries if isinstance(e, Energy) and e.window == RUN_WINDOW]
    assert ends == sorted(ends)
