"""Publication figures: built by the dashboard's chart functions, drawn by kaleido in a child.

The figures are built here (Plotly, in this process) and drawn to SVG, PDF or PNG by
``python -m accounting.reports.figure_worker``: one child process, one kaleido server (one
headless browser) for every figure of a report. The child runs in its own process group
under the report's deadline (:mod:`accounting.reports.browser`): a browser that exits,
crashes or hangs ends the report with one line, and nothing waits on a dead thread.
Plotly and kaleido are imported only when figures are asked for.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounting.reader import LedgerReader
from accounting.reports.browser import (
    BROWSER_ENV,
    TIMEOUT_ENV,
    BrowserError,
    Deadline,
    kill_group,
    last_line,
)
from accounting.reports.content import Gathered

FIGURE_FORMATS = ("svg", "pdf", "png")
PNG_SCALE = 2


class FigureExportError(BrowserError):
    """kaleido or the browser failed to draw a figure, or ran past the deadline."""


@dataclass(frozen=True)
class NamedFigure:
    name: str
    """File stem: ``power_timeline``, ``energy_by_device_and_phase``..."""
    caption: str
    figure: Any


def publication_figures(ledger: LedgerReader, gathered: Gathered) -> tuple[NamedFigure, ...]:
    """The report's figures: power timeline, energy by phase and device, the net-benefit
    waterfall with its interval, break-even (run reports) or the costliest runs (project
    reports), and the counterfactuals."""
    from accounting.reports import figures as charts

    content = gathered.content
    measured = [
        (view, assessment)
        for view, assessment in zip(gathered.views, gathered.assessments, strict=True)
        if assessment is not None
    ]
    if content.scope.kind == "run":
        view, assessment = measured[0]  # the run itself (a run report needs its energy)
        timeline_title = "Power per device"
    else:
        view, assessment = max(measured, key=lambda pair: pair[0].energy_it_j)
        timeline_title = "Power per device, the project's largest run"
    series = ledger.power_series(view.run_id)
    out = [
        NamedFigure(
            "power_timeline",
            f"Power drawn by each device over time ({view.run_id[:12]}).",
            charts.power_timeline(
                series, charts.run_charts.device_labels(view), title=timeline_title
            ),
        ),
        NamedFigure(
            "energy_by_device_and_phase",
            f"IT energy by device (coloured by method) and by phase ({view.run_id[:12]}).",
            charts.energy_by_device_and_phase(view),
        ),
    ]
    if content.scope.kind == "run":
        out += [
            NamedFigure(
                "net_benefit_waterfall",
                "The net-benefit identity, term by term, with the p05–p95 interval.",
                charts.net_benefit_waterfall(assessment),
            ),
            NamedFigure(
                "break_even",
                "Net benefit against the number of uses (training amortized).",
                charts.break_even_curve(assessment),
            ),
            NamedFigure(
                "counterfactuals",
                "Operational emissions of the same energy in other places or hours.",
                charts.counterfactual_bars(assessment.counterfactuals, assessment.money_unit),
            ),
        ]
    else:
        totals = gathered.totals
        assert totals is not None  # gathered for a project
        rows = [
            {
                "name": r.name,
                "energy_cost": r.assessment.energy_cost,
                "carbon_cost": r.assessment.carbon_cost,
                "secondary_cost": r.assessment.secondary_cost,
            }
            for r in content.runs
            if r.assessment is not None
        ]
        out += [
            NamedFigure(
                "net_benefit_waterfall",
                "The project's net-benefit identity, term by term, with the p05–p95 interval.",
                charts.net_benefit_waterfall(totals, title="Net benefit of the project"),
            ),
            NamedFigure(
                "costliest_runs",
                "The runs that cost most (energy, carbon and secondary cost).",
                charts.costliest_runs(rows, currency=content.currency),
            ),
            NamedFigure(
                "counterfactuals",
                "Operational emissions of the project's energy in other places.",
                charts.counterfactual_bars(content.counterfactuals, totals.money_unit),
            ),
        ]
    return tuple(out)


@dataclass(frozen=True)
class FigureJob:
    """One image to draw: ``figure`` (a Plotly figure) as ``file`` (``<name>.<fmt>``)."""

    name: str
    fmt: str
    figure: Any
    width: int = 900
    height: int | None = None

    @property
    def file(self) -> str:
        return f"{self.name}.{self.fmt}"

    def request(self) -> dict[str, Any]:
        height = self.height or self.figure.layout.height or 440
        opts: dict[str, Any] = {"format": self.fmt, "width": self.width, "height": height}
        if self.fmt == "png":
            opts["scale"] = PNG_SCALE
        return {"name": self.name, "file": self.file, "figure": self.figure.to_json(), "opts": opts}


def draw(
    jobs: Sequence[FigureJob],
    browser: str,
    deadline: Deadline,
    say: Callable[[str], None] = lambda message: None,
) -> dict[str, bytes]:
    """Draw every job in one worker process; ``{file name: bytes}``. ``say`` hears
    ``figure i/n: name`` as each figure starts. Raises FigureExportError (one line) when the
    worker fails or the deadline passes."""
    names = list(dict.fromkeys(job.name for job in jobs))
    with tempfile.TemporaryDirectory(prefix="ecoledger-figures-") as tmp:
        request = json.dumps({"jobs": [job.request() for job in jobs]}).encode("utf-8")
        (Path(tmp) / "request.json").write_bytes(request)
        err_path = Path(tmp) / "stderr"
        env = {**os.environ, BROWSER_ENV: browser}
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "accounting.reports.figure_worker", tmp],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                start_new_session=True,
            )
            try:
                _follow(proc, deadline, lambda name: say(_progress(names, name)))
            finally:
                kill_group(proc)  # the worker and any browser it left behind
        if proc.returncode != 0:
            said = last_line(err_path) or f"exit code {proc.returncode}"
            raise FigureExportError(f"figures: kaleido could not draw the figures ({said})")
        out = {}
        for job in jobs:
            path = Path(tmp) / job.file
            if not path.is_file():
                raise FigureExportError(f"figures: kaleido did not write {job.file}")
            out[job.file] = path.read_bytes()
    return out


def _progress(names: list[str], name: str) -> str:
    index = names.index(name) + 1 if name in names else 0
    return f"figure {index}/{len(names)}: {name}"


def _follow(
    proc: subprocess.Popen[bytes], deadline: Deadline, started: Callable[[str], None]
) -> None:
    """Read the worker's ``start NAME`` lines until it exits; kill it at the deadline.
    Ends when the worker process ends, not when its pipe closes (a browser it started may
    still hold the pipe)."""
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline.left()
            if left <= 0:
                raise FigureExportError(
                    f"figures: the browser did not finish within {deadline.total_s:g} s "
                    f"(set {TIMEOUT_ENV} to wait longer)"
                )
            for _key, _ in selector.select(timeout=min(left, 0.2)):
                chunk = proc.stdout.read() or b""
                buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace").strip()
                if text.startswith("start "):
                    started(text.removeprefix("start "))
            if proc.poll() is not None:
                return


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
