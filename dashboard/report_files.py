"""The report files the Report page offers, made by the report library (the same code as
``ecoledger report``): text formats are rendered in memory; HTML and PDF are written by
``write_report`` into a temporary folder, because they carry figures. The browser rules are
the library's: HTML needs none, PDF does, and a browser failure is an error within 60 s.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS: dict[str, tuple[str, str, str]] = {
    # format → (label, suffix, MIME type)
    "md": ("Markdown", ".md", "text/markdown"),
    "json": ("JSON", ".json", "application/json"),
    "latex": ("LaTeX (+ BibTeX)", ".tex", "application/x-tex"),
    "model-card": ("Hugging Face model card", ".md", "text/markdown"),
    "html": ("HTML (self-contained, with figures)", ".html", "text/html"),
    "pdf": ("PDF (with figures)", ".pdf", "application/pdf"),
}
SLOW_FORMATS = ("html", "pdf")
"""Formats that draw figures (a few seconds with a browser)."""
BROWSER_NOTES = {
    "html": (
        "Figures are static images when a browser (Debian's chromium, or BROWSER_PATH) is "
        "found, else interactive Plotly figures with plotly.js inline: no browser needed."
    ),
    "pdf": (
        "PDF needs a browser (Debian's chromium, or BROWSER_PATH); without one, or if it "
        "fails, this stops within 60 s with the reason, never a hang."
    ),
}
"""What the Report page says about the browser, per format (the rules of ``ecoledger report``)."""


@dataclass(frozen=True)
class ReportFile:
    name: str
    data: bytes
    mime: str


def available_formats() -> list[str]:
    """The formats the installed report library can produce."""
    try:
        from accounting.reports.generate import FORMATS as LIBRARY_FORMATS
    except ImportError:  # pragma: no cover - report library not installed
        return []
    return [fmt for fmt in FORMATS if fmt in LIBRARY_FORMATS]


def file_stem(scope: Any) -> str:
    if scope.kind == "run":
        return f"ecoledger-report-{str(scope.run_id)[:8]}"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(scope.project))
    return f"ecoledger-report-{safe or 'project'}"


def make_report(ledger: Any, scope: Any, fmt: str, settings: Any) -> list[ReportFile]:
    """The report (and for LaTeX its ``.bib``) as downloadable files."""
    from accounting.reports.generate import gather, regenerate_command, render_text, write_report
    from dashboard.ui import cli_option

    label, suffix, mime = FORMATS[fmt]
    name = file_stem(scope) + (".model-card" if fmt == "model-card" else "") + suffix
    if fmt in SLOW_FORMATS:
        with tempfile.TemporaryDirectory(prefix="ecoledger-dashboard-") as tmp:
            out = Path(tmp) / name
            result = write_report(ledger, scope, fmt, out, settings=settings, cli_option=cli_option)
            return [ReportFile(name, result.paths[0].read_bytes(), mime)]
    command = regenerate_command(scope, fmt, Path(name), ledger.display, option=cli_option)
    gathered = gather(ledger, scope, settings, command=command)
    files = [ReportFile(name, render_text(gathered, fmt).encode("utf-8"), mime)]
    if fmt == "latex":
        from accounting.reports.latex import render_bibtex

        bib = render_bibtex(gathered.content).encode("utf-8")
        files.append(ReportFile(Path(name).with_suffix(".bib").name, bib, "application/x-bibtex"))
    return files
