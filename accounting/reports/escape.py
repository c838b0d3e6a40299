"""Escaping of user text (run names, projects, rationales, tags) for every report format.

User text never reaches a report unescaped: HTML gets entities, LaTeX gets its ten special
characters spelled out (so ``\\input`` or ``\\write18`` cannot appear), Markdown gets its
inline markup and raw HTML neutralized, YAML is written by ``yaml.safe_dump`` (which quotes
what needs quoting). Line breaks and control characters become spaces everywhere: a name
cannot start a new Markdown block or a new YAML key.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def one_line(text: object) -> str:
    """``text`` as a single line: control characters and line breaks become one space."""
    return _CONTROL.sub(" ", str(text)).strip()


def html_text(text: object) -> str:
    """Text for HTML element content and quoted attribute values."""
    return html.escape(one_line(text), quote=True)


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
    "`": r"\textasciigrave{}",
}
_LATEX_TYPOGRAPHY = {
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "…": r"\ldots{}",
    "×": r"\texttimes{}",
    "−": "-",
    "≥": r"\ensuremath{\geq}",
    "≤": r"\ensuremath{\leq}",
    "±": r"\textpm{}",
    "€": "EUR",
    "µ": r"\textmu{}",
    "°": r"\textdegree{}",
    "·": r"\textperiodcentered{}",
    "₂": r"\textsubscript{2}",
}


def latex_text(text: object) -> str:
    """Text for LaTeX (pdflatex, T1 fonts): every special character spelled out.

    Characters outside Latin-1 that pdflatex cannot typeset without extra packages are
    written as ``[U+XXXX]`` rather than failing the build.
    """
    out: list[str] = []
    for char in one_line(text):
        if char in _LATEX_SPECIALS:
            out.append(_LATEX_SPECIALS[char])
        elif char in _LATEX_TYPOGRAPHY:
            out.append(_LATEX_TYPOGRAPHY[char])
        elif " " <= char <= "~" or "\u00a0" <= char <= "\u00ff":
            out.append(char)
        else:
            out.append(f"[U+{ord(char):04X}]")
    return "".join(out)


_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_PUNCTUATION = set("\\`*_[]#|~$")


def markdown_text(text: object) -> str:
    """Text for Markdown (CommonMark/GFM), safe in a paragraph, a list item or a table cell.

    Raw HTML is written as entities, inline markup characters are backslash-escaped
    (``|`` too, so a name cannot split a table row), and ``$`` so that no math renders.
    """
    out: list[str] = []
    for char in one_line(text):
        if char in _MARKDOWN_ENTITIES:
            out.append(_MARKDOWN_ENTITIES[char])
        elif char in _MARKDOWN_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
