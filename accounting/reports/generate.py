"""Generate a report file: gather the content once, draw the figures once, render, write.

``--out`` is never overwritten without ``force``; its folder must exist. The file is written
to a temporary name beside it and renamed, so a failed report leaves nothing half-written.

Figures: PDF and ``figures_dir`` need a browser (static images drawn by kaleido); HTML draws
static SVG when a browser is there and interactive Plotly figures (plotly.js inline) when not.
What a report needs is checked before anything is gathered, so a missing browser or extra is
one line in well under a second; every browser call then runs under one deadline.
"""

from __future__ import annotations

import dataclasses
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from accounting.assessment import AssumptionSettings
from accounting.errors import InputError
from accounting.output_files import check_folder, check_target, write_atomic
from accounting.reader import LedgerReader
from accounting.reports import FORMATS
from accounting.reports.content import Gathered, gather
from accounting.reports.facts import Scope

if TYPE_CHECKING:  # the browser and HTML modules are imported when a report needs them
    from accounting.reports.browser import Deadline
    from accounting.reports.html import Figures, InteractiveFigures

HTML_FIGURES = ("auto", "static", "interactive")
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
    shared_gpu: str = "whole",
    *,
    option: Callable[[str], str],
) -> str:
    """The ``ecoledger report`` command line that regenerates this report. The library knows
    no command line: ``option`` names each field as the caller's does (the CLI's flags)."""
    argv = ["ecoledger", "report"]
    fields: list[tuple[str, str | None]] = []  # None: a field that takes no value
    if scope.kind == "run":
        argv.append(str(scope.run_id))
    else:
        fields.append(("project", str(scope.project)))
        fields += [(name, v) for name, v in (("since", scope.since), ("until", scope.until)) if v]
    fields.append(("format", fmt))
    if assumptions_file:
        fields.append(("assumptions", assumptions_file))
    if shared_gpu != "whole":
        fields.append(("shared_gpu", shared_gpu))
    fields.append(("out", str(out)))
    if figures_dir is not None:
        fields.append(("figures", str(figures_dir)))
    fields += [("ledger", ledger_label), ("force", None)]
    for field, value in fields:
        argv += [option(field)] if value is None else [option(field), value]
    return shlex.join(argv)


def mark_unverified(gathered: Gathered, reason: str) -> Gathered:
    """The same report, saying on its first page that its ledger does not verify."""
    from accounting.reports.statement import written

    content = gathered.content
    provenance = dataclasses.replace(content.provenance, unverified=reason)
    content = written(dataclasses.replace(content, provenance=provenance))
    return dataclasses.replace(gathered, content=content)


def render_text(gathered: Gathered, fmt: str, figures: Figures = ()) -> str:
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
    raise InputError(f"`format`: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def write_report(
    ledger: LedgerReader,
    scope: Scope,
    fmt: str,
    out: str | Path,
    *,
    settings: AssumptionSettings | None = None,
    assumptions_file: str | None = None,
    figures_dir: str | Path | None = None,
    force: bool = False,
    say: Say = _quiet,
    generated_at: str = "",
    html_figures: str = "auto",
    unverified: str | None = None,
    cli_option: Callable[[str], str] | None = None,
) -> ReportResult:
    """Write one report (and, with ``figures_dir``, its figures as SVG, PDF and PNG).

    ``html_figures``: ``auto`` (static when a browser is found, else interactive),
    ``static`` or ``interactive``. ``unverified``: why the ledger does not verify, when the
    report is written anyway; the report then says so on its first page (and in its JSON
    provenance). ``cli_option``: how the caller's command line names a field (the CLI's
    flags), for the command that regenerates the report; without it the report has none."""
    if fmt not in FORMATS:
        raise InputError(f"`format`: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if html_figures not in HTML_FIGURES:
        raise InputError(f"html_figures: {html_figures!r} is not one of {', '.join(HTML_FIGURES)}")
    out_path = Path(out)
    check_target(out_path, "`out`", force)
    bib_path = out_path.with_suffix(".bib") if fmt == "latex" else None
    if bib_path is not None:
        check_target(bib_path, "`out` (its .bib)", force)
    fig_dir = Path(figures_dir) if figures_dir is not None else None
    if fig_dir is not None:
        check_folder(fig_dir, "`figures`")
    plan = plan_figures(fmt, fig_dir, html_figures)
    if settings is None:
        settings = AssumptionSettings()
    command = (
        regenerate_command(
            scope,
            fmt,
            out_path,
            ledger.display,
            assumptions_file,
            fig_dir,
            settings.shared_gpu,
            option=cli_option,
        )
        if cli_option is not None
        else ""
    )
    gathered = gather(ledger, scope, settings, command=command, generated_at=generated_at)
    if unverified:
        gathered = mark_unverified(gathered, unverified)
    say(f"gathered {len(gathered.content.runs)} run(s) and their assessments")
    written: list[Path] = []
    figures: Figures = ()
    deadline = None
    if plan.browser is not None:
        from accounting.reports.browser import Deadline, probe_browser

        deadline = Deadline.start()
        say(f"checking the browser {plan.browser}")
        probe_browser(plan.browser, plan.what, deadline)
    if plan.static:
        assert plan.browser is not None and deadline is not None
        figures = _figures(ledger, gathered, fig_dir, force, say, written, plan.browser, deadline)
    elif plan.interactive:
        figures = _interactive_figures(ledger, gathered, say)
    say(f"rendering {fmt}")
    if fmt == "pdf":
        from accounting.reports.pdf import html_to_pdf

        assert plan.browser is not None and deadline is not None
        html = render_text(gathered, "pdf", figures)
        say("printing the PDF with the browser")
        with tempfile.TemporaryDirectory(prefix="ecoledger-report-") as tmp:
            printed = html_to_pdf(html, Path(tmp) / "report.pdf", plan.browser, deadline)
            write_atomic(out_path, printed.read_bytes())
    else:
        write_atomic(out_path, render_text(gathered, fmt, figures).encode("utf-8"))
    paths = [out_path]
    if bib_path is not None:
        from accounting.reports.latex import render_bibtex

        write_atomic(bib_path, render_bibtex(gathered.content).encode("utf-8"))
        paths.append(bib_path)
    return ReportResult(tuple(paths + written), gathered)


@dataclass(frozen=True)
class FigurePlan:
    """What a report's figures need, decided before any work: a browser (its path) for
    static images, or plotly alone for interactive HTML figures."""

    static: bool
    interactive: bool
    browser: str | None
    what: str


def plan_figures(fmt: str, fig_dir: Path | None, html_figures: str = "auto") -> FigurePlan:
    """Check the extras and the browser a report needs (one line, exit 2, when missing)."""
    from accounting.reports.browser import find_browser, require_browser, require_modules

    if fmt == "pdf" or fig_dir is not None:
        what = "`format` pdf" if fmt == "pdf" else "`figures`"
        require_modules(what, "plotly", "kaleido")
        return FigurePlan(True, False, require_browser(what), what)
    if fmt != "html":
        return FigurePlan(False, False, None, "")
    require_modules("`format` html", "plotly")
    if html_figures == "interactive":
        return FigurePlan(False, True, None, "")
    if html_figures == "static":
        require_modules("`format` html with static figures", "kaleido")
        what = "`format` html with static figures"
        return FigurePlan(True, False, require_browser(what), what)
    from importlib.util import find_spec

    browser = find_browser()
    if browser is None or find_spec("kaleido") is None:
        return FigurePlan(False, True, None, "")
    what = "`format` html (static figures, as a browser was found)"
    return FigurePlan(True, False, require_browser(what), what)


def _interactive_figures(ledger: LedgerReader, gathered: Gathered, say: Say) -> InteractiveFigures:
    import plotly.offline

    from accounting.reports.export_figures import publication_figures
    from accounting.reports.html import InteractiveFigures

    say("building the figures (interactive: plotly.js inline, no browser needed)")
    named = publication_figures(ledger, gathered)
    return InteractiveFigures(
        plotly.offline.get_plotlyjs(),
        tuple((n.name, n.caption, n.figure.to_json()) for n in named),
    )


def _figures(
    ledger: LedgerReader,
    gathered: Gathered,
    fig_dir: Path | None,
    force: bool,
    say: Say,
    written: list[Path],
    browser: str,
    deadline: Deadline,
) -> list[tuple[str, str, str]]:
    from accounting.reports.export_figures import (
        FIGURE_FORMATS,
        FigureJob,
        draw,
        publication_figures,
        svg_data_uri,
    )

    say("building the figures")
    named = publication_figures(ledger, gathered)
    if fig_dir is not None and fig_dir.is_dir():
        for n in named:
            for ext in FIGURE_FORMATS:
                check_target(fig_dir / f"{n.name}.{ext}", "`figures`", force)
    formats = FIGURE_FORMATS if fig_dir is not None else ("svg",)
    jobs = [FigureJob(n.name, fmt, n.figure) for n in named for fmt in formats]
    say("starting the browser for the figures (kaleido)")
    images = draw(jobs, browser, deadline, say)
    if fig_dir is not None:
        fig_dir.mkdir(exist_ok=True)
        for job in jobs:
            path = fig_dir / job.file
            write_atomic(path, images[job.file])
            written.append(path)
    return [(n.name, n.caption, svg_data_uri(images[f"{n.name}.svg"])) for n in named]
