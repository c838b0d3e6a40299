"""Publication figures: built by the dashboard's chart functions, exported with kaleido.

One kaleido server (one headless chromium) serves every figure of a report: starting a
browser takes seconds, a figure then takes a fraction of one. Kaleido 1.x finds the system
chromium itself (``BROWSER_PATH`` points it elsewhere). Plotly and kaleido are imported
here only, when figures are asked for.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounting.errors import EcoledgerError
from accounting.reports.content import Gathered

FIGURE_FORMATS = ("svg", "pdf", "png")
PNG_SCALE = 2
Progress = Callable[[int, int, str], None]


class FigureExportError(EcoledgerError):
    """kaleido or chromium failed to draw a figure."""


@dataclass(frozen=True)
class NamedFigure:
    name: str
    """File stem: ``power_timeline``, ``energy_by_device_and_phase``..."""
    caption: str
    figure: Any


def _no_progress(done: int, total: int, name: str) -> None:
    return None


def publication_figures(ledger: Any, gathered: Gathered) -> tuple[NamedFigure, ...]:
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
        view, assessment = gathered.views[0], gathered.assessments[0]
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
                charts.counterfactual_bars(assessment),
            ),
        ]
    else:
        project_doc = {
            **content.totals,
            "counterfactuals": [
                {
                    "where": c.where,
                    "kind": "actual" if c.where == "as run" else c.kind,
                    "operational_kgco2e": c.operational_kgco2e,
                    "carbon_cost": c.carbon_cost,
                    "saving_usd": 0.0,
                    "intensity_g_per_kwh": None,
                }
                for c in content.counterfactuals
            ],
        }
        rows = [
            {
                "name": r.name,
                "energy_cost": r.assessment["energy_cost"],
                "carbon_cost": r.assessment["carbon_cost"],
                "secondary_cost": r.assessment["secondary_cost"],
            }
            for r in content.runs
            if r.assessment is not None
        ]
        out += [
            NamedFigure(
                "net_benefit_waterfall",
                "The project's net-benefit identity, term by term, with the p05–p95 interval.",
                charts.net_benefit_waterfall(project_doc, title="Net benefit of the project"),
            ),
            NamedFigure(
                "costliest_runs",
                "The runs that cost most (energy, carbon and secondary cost).",
                charts.costliest_runs(rows, currency=content.currency),
            ),
            NamedFigure(
                "counterfactuals",
                "Operational emissions of the project's energy in other places.",
                charts.counterfactual_bars(project_doc),
            ),
        ]
    return tuple(out)


class FigureExporter:
    """Exports Plotly figures through one kaleido server. Use as a context manager."""

    def __init__(self, width: int = 900, height: int | None = None) -> None:
        self.width = width
        self.height = height
        self._started = False

    def __enter__(self) -> FigureExporter:
        import kaleido

        if _SHARED:
            return self  # a shared_server() is open: use it, leave it open
        try:
            kaleido.start_sync_server(silence_warnings=True)
        except Exception as exc:  # noqa: BLE001 - a missing browser is the user's environment
            raise FigureExportError(f"figures: kaleido could not start chromium ({exc})") from None
        self._started = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import kaleido

            with contextlib.suppress(Exception):
                kaleido.stop_sync_server(silence_warnings=True)
            self._started = False

    def _opts(self, figure: Any, fmt: str) -> dict[str, Any]:
        height = self.height or figure.layout.height or 440
        opts: dict[str, Any] = {"format": fmt, "width": self.width, "height": height}
        if fmt == "png":
            opts["scale"] = PNG_SCALE
        return opts

    def image_bytes(self, figure: Any, fmt: str) -> bytes:
        import kaleido

        try:
            data = kaleido.calc_fig_sync(figure, opts=self._opts(figure, fmt))
        except Exception as exc:  # noqa: BLE001
            raise FigureExportError(f"figures: kaleido failed to draw a {fmt} ({exc})") from None
        return bytes(data)

    def write(self, named: NamedFigure, folder: Path, formats: Sequence[str]) -> list[Path]:
        paths = []
        for fmt in formats:
            path = folder / f"{named.name}.{fmt}"
            path.write_bytes(self.image_bytes(named.figure, fmt))
            paths.append(path)
        return paths


def export_figures(
    figures: Sequence[NamedFigure],
    folder: Path,
    formats: Sequence[str] = FIGURE_FORMATS,
    progress: Progress = _no_progress,
    exporter: FigureExporter | None = None,
) -> list[Path]:
    """Write each figure as ``folder/<name>.<fmt>``; one kaleido server for all of them."""
    folder.mkdir(parents=True, exist_ok=True)
    with _exporter(exporter) as ex:
        written: list[Path] = []
        for i, named in enumerate(figures):
            progress(i, len(figures), named.name)
            written += ex.write(named, folder, formats)
        progress(len(figures), len(figures), "done")
    return written


@contextlib.contextmanager
def _exporter(exporter: FigureExporter | None) -> Iterator[FigureExporter]:
    if exporter is not None:
        yield exporter
        return
    with FigureExporter() as ex:
        yield ex


_SHARED: list[FigureExporter] = []


@contextlib.contextmanager
def shared_server() -> Iterator[FigureExporter]:
    """Keep one kaleido server open across several reports (a batch, a test module)."""
    with FigureExporter() as exporter:
        _SHARED.append(exporter)
        try:
            yield exporter
        finally:
            _SHARED.remove(exporter)


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
