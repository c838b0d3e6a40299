"""Carbon reports: one set of facts (:mod:`content`) rendered as Markdown, LaTeX (+ BibTeX),
self-contained HTML, PDF, JSON (with a schema) and Hugging Face model-card metadata, with
publication figures (SVG/PDF/PNG) from the dashboard's chart functions.

Importing this package is light: plotly is imported only when figures are asked for, and a
browser is used only for static figures (kaleido, in :mod:`accounting.reports.figure_worker`)
and PDF (:mod:`accounting.reports.pdf`), always under the deadline of
:mod:`accounting.reports.browser`. HTML needs no browser: its figures can be interactive.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMATS", "Scope", "gather", "render_text", "write_report"]
# verify_report lives in accounting.reports.verify_report (same name as its module, so it is
# not re-exported here: importing the module would shadow the function).

FORMATS = ("md", "latex", "html", "pdf", "json", "model-card")


def __getattr__(name: str) -> Any:
    if name in ("gather", "render_text", "write_report"):
        from accounting.reports import generate

        return getattr(generate, name)
    if name == "Scope":
        from accounting.reports.facts import Scope

        return Scope
    raise AttributeError(f"module 'accounting.reports' has no attribute {name!r}")
