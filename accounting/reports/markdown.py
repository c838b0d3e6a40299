"""The report as Markdown (CommonMark with GFM tables). Every user string is escaped."""

from __future__ import annotations

from accounting.reports.document import TRAILER_TAG, Document, Table, build_document
from accounting.reports.escape import markdown_text as md
from accounting.reports.facts import ReportContent


def table_markdown(table: Table) -> list[str]:
    lines = ["| " + " | ".join(md(h) for h in table.headers) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in table.numeric) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(md(cell) for cell in row) + " |")
    return lines


def document_markdown(doc: Document, heading_level: int = 1) -> str:
    h = "#" * heading_level
    out = [f"{h} {md(doc.title)}", "", md(doc.statement), ""]
    for section in doc.sections:
        out += [f"{h}# {md(section.title)}", ""]
        for paragraph in section.paragraphs:
            out += [md(paragraph), ""]
        if section.code is not None:
            out += ["```sh", section.code.replace("```", "'''"), "```", ""]
        if section.table is not None:
            out += [*table_markdown(section.table), ""]
        if section.items:
            if section.key == "references":
                out += [f"{i}. {md(item)}" for i, item in enumerate(section.items, 1)]
            else:
                out += [f"- {md(item)}" for item in section.items]
            out.append("")
        for paragraph in section.after:
            out += [md(paragraph), ""]
    out.append(f"<!-- {TRAILER_TAG} {doc.trailer} -->")
    return "\n".join(out) + "\n"


def render_markdown(content: ReportContent) -> str:
    return document_markdown(build_document(content, "md"))
