"""The status line ``ecoledger run`` prints while a job runs shares the job's terminal: it must
never redraw in place, which would wipe out the part of a line the job has printed so far."""

from __future__ import annotations

import io

import pytest

from ecoledger.cli import live
from ecoledger.cli.live import LiveLine


class _Recorder:
    energy_j = 7200.0  # 2 Wh
    power_w = 250.0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _lines(stream: io.StringIO, clock: list[float], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])
    line = LiveLine(_Recorder(), intensity_g_per_kwh=500.0, stream=stream)
    for t in (0.5, 5.0, 10.5, 15.0, 21.0, 31.0, 61.0):
        clock[0] = t
        line.update()
    line.close()
    return stream.getvalue()


def test_on_a_terminal_whole_lines_every_10_s_never_a_redraw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _lines(_Terminal(), [0.0], monkeypatch)
    assert "\r" not in out and "\x1b" not in out
    assert out.count("\n") == 4  # at 10.5, 21, 31 and 61 s
    first = out.splitlines()[0]
    assert first.startswith("ecoledger ⏱ 0:00:10")
    assert "250.0 W" in first and "2.000 Wh" in first and "1.00 gCO2e" in first


def test_in_a_log_a_line_every_30_s(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _lines(io.StringIO(), [0.0], monkeypatch)
    assert out.count("\n") == 2  # at 31 and 61 s
    assert out.splitlines()[0].startswith("ecoledger ⏱ 0:00:31")
