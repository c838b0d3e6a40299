"""The report as one self-contained HTML file: inline CSS, and figures either static or
interactive.

Static figures (a browser drew them) are ``<img>`` SVG data URIs, and the page has no script
at all. Interactive figures (no browser needed) are Plotly figures drawn by plotly.js, which
is inlined: nothing is fetched from a CDN or anywhere else. Either way a Content-Security-
Policy forbids any network load; with interactive figures it allows exactly the page's own
scripts, by their SHA-256 hashes, so injected markup could not run even if some escaped.
Every user string goes through :func:`html_text`; figure JSON escapes ``<``, ``>`` and ``&``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from accounting.reports.document import TRAILER_TAG, Document, Table, build_document
from accounting.reports.escape import html_text
from accounting.reports.facts import ReportContent

FIGURE_START = "<!-- figure -->"
FIGURE_END = "<!-- /figure -->"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class InteractiveFigures:
    """Figures for plotly.js: ``figures`` are (name, caption, Plotly figure JSON text)."""

    plotly_js: str
    figures: tuple[tuple[str, str, str], ...]


Figures = InteractiveFigures | Sequence[tuple[str, str, str]]
"""A report's figures: (name, caption, SVG data URI) each, or interactive ones."""


def script_json(text: str) -> str:
    """JSON safe inside ``<script>``: no ``</script>``, no comment or entity opener."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _sha256(script: str) -> str:
    return (
        "'sha256-"
        + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        + "'"
    )


def csp_with_scripts(scripts: Sequence[str]) -> str:
    hashes = " ".join(_sha256(s) for s in scripts)
    return CSP.replace("img-src data:", f"script-src {hashes}; img-src data: blob:")


def interactive_parts(figures: InteractiveFigures) -> tuple[list[str], list[str]]:
    """(HTML lines of the figures section, the inline scripts in it)."""
    scripts = [figures.plotly_js]
    lines = [f"<script>{figures.plotly_js}</script>"]
    for name, caption, figure_json in figures.figures:
        element = f"plot-{name}"
        script = (
            f"(function(f){{Plotly.newPlot(document.getElementById({json.dumps(element)}),"
            f"f.data,f.layout,{json.dumps(PLOT_CONFIG)});}})({script_json(figure_json)});"
        )
        scripts.append(script)
        lines.append(
            f'<figure id="fig-{html_text(name)}"><div class="plotly-figure" id="{html_text(element)}">'
            f"</div><script>{script}</script><figcaption>{html_text(caption)}</figcaption></figure>"
        )
    return lines, scripts


CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 70rem;
       margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.4rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
p.statement { background: #f5f7f5; border-left: 4px solid #2e7d32; padding: 0.8rem 1rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
thead th { border-top: 2px solid #222; border-bottom: 1px solid #222; text-align: left;
           padding: 0.25rem 0.6rem; }
tbody td { padding: 0.2rem 0.6rem; vertical-align: top; }
tbody tr:last-child td { border-bottom: 2px solid #222; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { background: #f4f4f4; padding: 0.6rem; white-space: pre-wrap; word-break: break-all; }
figure { margin: 1rem 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


def table_html(table: Table) -> list[str]:
    head = "".join(
        f'<th class="num">{html_text(h)}</th>' if n else f"<th>{html_text(h)}</th>"
        for h, n in zip(table.headers, table.numeric, strict=True)
    )
    out = ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{html_text(c)}</td>' if n else f"<td>{html_text(c)}</td>"
            for c, n in zip(row, table.numeric, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    return out


def document_html(doc: Document, figures: Figures = ()) -> str:
    """``figures``: (name, caption, SVG data URI) to show after the summary, or
    :class:`InteractiveFigures`."""
    figure_lines: list[str] = []
    csp = CSP
    if isinstance(figures, InteractiveFigures):
        figure_lines, scripts = interactive_parts(figures)
        csp = csp_with_scripts(scripts)
    else:
        for name, caption, uri in figures:
            figure_lines.append(
                f'<figure id="fig-{html_text(name)}"><img src="{uri}" '
                f'alt="{html_text(caption)}"><figcaption>{html_text(caption)}</figcaption>'
                "</figure>"
            )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="generator" content="ecoledger">',
        f"<title>{html_text(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html_text(doc.title)}</h1>",
        f'<p class="statement">{html_text(doc.statement)}</p>',
    ]
    for section in doc.sections:
        out.append(f'<section id="{section.key}">')
        out.append(f"<h2>{html_text(section.title)}</h2>")
        out += [f"<p>{html_text(p)}</p>" for p in section.paragraphs]
        if section.code is not None:
            out.append(f"<pre>{html_text(section.code)}</pre>")
        if section.table is not None:
            out += table_html(section.table)
        if section.items:
            tag = "ol" if section.key == "references" else "ul"
            out.append(f"<{tag}>")
            out += [f"<li>{html_text(item)}</li>" for item in section.items]
            out.append(f"</{tag}>")
        out += [f"<p>{html_text(p)}</p>" for p in section.after]
        out.append("</section>")
        if section.key == "summary" and figure_lines:
            out.append(FIGURE_START)
            out.append('<section id="figures">')
            out.append("<h2>Figures</h2>")
            out += figure_lines
            out.append("</section>")
            out.append(FIGURE_END)
    out += ["</body>", f"<!-- {TRAILER_TAG} {doc.trailer} -->", "</html>"]
    return "\n".join(out) + "\n"


def render_html(content: ReportContent, figures: Figures = (), fmt: str = "html") -> str:
    return document_html(build_document(content, fmt), figures)


def without_figures(text: str) -> str:
    """The HTML with its figures section removed, and the policy that figures' scripts
    needed put back to the figure-less one (what ``verify`` compares)."""
    text = CSP_META.sub(
        lambda _: f'<meta http-equiv="Content-Security-Policy" content="{CSP}">', text, count=1
    )
    out, rest = [], text
    while FIGURE_START in rest:
        before, _, after = rest.partition(FIGURE_START)
        out.append(before.removesuffix("\n"))
        rest = after.partition(FIGURE_END)[2]
    out.append(rest)
    return "".join(out)
