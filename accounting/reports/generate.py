"""Generate a report file: gather the content once, draw the figures once, render, write.

``--out`` is never overwritten without ``force``; its folder must exist. The file is written
to a temporary name beside it and renamed, so a failed report leaves nothing half-written.
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounting.errors import InputError
from accounting.output_files import check_folder, check_target, write_atomic
from accounting.reports.content import Gathered, Scope, gather_project, gather_run

FORMATS = ("md", "latex", "html", "pdf", "json", "model-card")
SUFFIXES = {
    "md": ".md",
    "latex": ".tex",
    "html": ".html",
    "pdf": ".pdf",
    "json": ".json",
    "model-card": ".md",
}
Say = Callable[[str], None]


@dataclass(frozen=True)
class ReportResult:
    paths: tuple[Path, ...]
    """The report, then any companion (``.bib``) and figure files."""
    gathered: Gathered


def _quiet(message: str) -> None:
    return None


def regenerate_command(
    scope: Scope,
    fmt: str,
    out: Path,
    ledger_label: str,
    assumptions_file: str | None = None,
    figures_dir: Path | None = None,
) -> str:
    """The exact ``ecoledger report`` command line that regenerates this report."""
    argv = ["ecoledger", "report"]
    if scope.kind == "run":
        argv.append(str(scope.run_id))
    else:
        argv += ["--project", str(scope.project)]
        if scope.since:
            argv += ["--since", scope.since]
        if scope.until:
            argv += ["--until", scope.until]
    argv += ["--format", fmt]
    if assumptions_file:
        argv += ["--assumptions", assumptions_file]
    argv += ["--out", str(out)]
    if figures_dir is not None:
        argv += ["--figures", str(figures_dir)]
    argv += ["--ledger", ledger_label, "--force"]
    return shlex.join(argv)


def gather(
    ledger: Any,
    scope: Scope,
    settings: Any,
    *,
    command: str = "",
    generated_at: str = "",
    ledger_label: str | None = None,
) -> Gathered:
    if scope.kind == "run":
        return gather_run(
            ledger,
            str(scope.run_id),
            settings,
            command=command,
            generated_at=generated_at,
            ledger_label=ledger_label,
        )
    return gather_project(
        ledger,
        str(scope.project),
        settings,
        since=scope.since,
        until=scope.until,
        command=command,
        generated_at=generated_at,
        ledger_label=ledger_label,
    )


def render_text(gathered: Gathered, fmt: str, figures: Any = ()) -> str:
    """Every text format (all but PDF). ``figures``: (name, caption, data URI) for HTML."""
    content = gathered.content
    if fmt == "md":
        from accounting.reports.markdown import render_markdown

        return render_markdown(content)
    if fmt == "latex":
        from accounting.reports.latex import render_latex

        return render_latex(content)
    if fmt in ("html", "pdf"):
        from accounting.reports.html import render_html

        return render_html(content, figures, fmt)
    if fmt == "json":
        from accounting.reports.json_report import render_json

        return render_json(content)
    if fmt == "model-card":
        from accounting.reports.model_card import render_model_card

        return render_model_card(content)
    raise InputError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def write_report(
    ledger: Any,
    scope: Scope,
    fmt: str,
    out: str | Path,
    *,
    settings: Any = None,
    assumptions_file: str | None = None,
    figures_dir: str | Path | None = None,
    force: bool = False,
    say: Say = _quiet,
    generated_at: str = "",
) -> ReportResult:
    """Write one report (and, with ``figures_dir``, its figures as SVG, PDF and PNG)."""
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    out_path = Path(out)
    check_target(out_path, "--out", force)
    bib_path = out_path.with_suffix(".bib") if fmt == "latex" else None
    if bib_path is not None:
        check_target(bib_path, "--out (its .bib)", force)
    fig_dir = Path(figures_dir) if figures_dir is not None else None
    if fig_dir is not None:
        check_folder(fig_dir, "--figures")
    if settings is None:
        from accounting.assessment import AssumptionSettings

        settings = AssumptionSettings()
    label = ledger.display
    command = regenerate_command(scope, fmt, out_path, label, assumptions_file, fig_dir)
    gathered = gather(ledger, scope, settings, command=command, generated_at=generated_at)
    say(f"gathered {len(gathered.content.runs)} run(s) and their assessments")
    written: list[Path] = []
    figures: list[tuple[str, str, str]] = []
    if fmt in ("html", "pdf") or fig_dir is not None:
        figures = _figures(ledger, gathered, fig_dir, force, say, written)
    say(f"rendering {fmt}")
    if fmt == "pdf":
        from accounting.reports.pdf import html_to_pdf

        html = render_text(gathered, "pdf", figures)
        say("printing the PDF with chromium")
        with tempfile.TemporaryDirectory(prefix="ecoledger-report-") as tmp:
            printed = html_to_pdf(html, Path(tmp) / "report.pdf")
            write_atomic(out_path, printed.read_bytes())
    else:
        write_atomic(out_path, render_text(gathered, fmt, figures).encode("utf-8"))
    paths = [out_path]
    if bib_path is not None:
        from accounting.reports.latex import render_bibtex

        write_atomic(bib_path, render_bibtex(gathered.content).encode("utf-8"))
        paths.append(bib_path)
    return ReportResult(tuple(paths + written), gathered)


def _figures(
    ledger: Any,
    gathered: Gathered,
    fig_dir: Path | None,
    force: bool,
    say: Say,
    written: list[Path],
) -> list[tuple[str, str, str]]:
    from accounting.reports.export_figures import (
        FIGURE_FORMATS,
        FigureExporter,
        publication_figures,
        svg_data_uri,
    )

    say("building the figures")
    named = publication_figures(ledger, gathered)
    if fig_dir is not None and fig_dir.is_dir():
        for n in named:
            for ext in FIGURE_FORMATS:
                check_target(fig_dir / f"{n.name}.{ext}", "--figures", force)
    if fig_dir is not None:
        fig_dir.mkdir(exist_ok=True)
    inline: list[tuple[str, str, str]] = []
    say("starting chromium for the figures (kaleido)")
    with FigureExporter() as exporter:
        for i, n in enumerate(named, 1):
            say(f"figure {i}/{len(named)}: {n.name}")
            svg = exporter.image_bytes(n.figure, "svg")
            inline.append((n.name, n.caption, svg_data_uri(svg)))
            if fig_dir is not None:
                write_atomic(fig_dir / f"{n.name}.svg", svg)
                written.append(fig_dir / f"{n.name}.svg")
                for ext in ("pdf", "png"):
                    path = fig_dir / f"{n.name}.{ext}"
                    write_atomic(path, exporter.image_bytes(n.figure, ext))
                    written.append(path)
    return inline
