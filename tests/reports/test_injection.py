"""A run named `<script>alert(1)</script> & 50% $x_1$ #1 \\input{/etc/passwd}` renders safely
in Markdown, LaTeX, JSON and the model card (HTML and PDF: test_html_pdf_figures)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.fixtures.report_ledger import INJECTION, FixtureIds
from tests.reports.helpers import read, report


def _write(capsys: Any, ids: FixtureIds, fmt: str, out: Path) -> str:
    result = report(capsys, ids.path, ids.train, "--format", fmt, "--out", str(out))
    assert result.code == 0, result.err
    return read(out)


def test_markdown_escapes_the_name(
    capsys: Any, tmp_path: Path, injection_ledger: FixtureIds
) -> None:
    text = _write(capsys, injection_ledger, "md", tmp_path / "r.md")
    assert "<script" not in text.lower()
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in rendered.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    # the name stays in its table cell: every summary row keeps three cells
    row = next(line for line in text.splitlines() if line.startswith("| &lt;script"))
    assert row.count(" | ") == 9  # the runs table has 10 columns


def test_model_card_yaml_parses_back_to_the_same_name(
    capsys: Any, tmp_path: Path, injection_ledger: FixtureIds
) -> None:
    text = _write(capsys, injection_ledger, "model-card", tmp_path / "README.md")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["model_name"] == INJECTION
    assert set(front) == {"model_name", "co2_eq_emissions"}
    body = text.split("---\n", 2)[2]
    assert "<script" not in body.lower()


def test_json_keeps_the_name_verbatim(
    capsys: Any, tmp_path: Path, injection_ledger: FixtureIds
) -> None:
    doc = json.loads(_write(capsys, injection_ledger, "json", tmp_path / "r.json"))
    assert doc["runs"][0]["name"] == INJECTION
    assert INJECTION in doc["statement"]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive)")
def test_latex_typesets_the_name_and_runs_nothing(
    capsys: Any, tmp_path: Path, injection_ledger: FixtureIds
) -> None:
    text = _write(capsys, injection_ledger, "latex", tmp_path / "r.tex")
    assert r"\input{" not in text and r"\write18" not in text
    assert r"\textbackslash{}input\{/etc/passwd\}" in text
    assert r"50\% \$x\_1\$ \#1" in text
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "r.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tmp_path / "r.log").read_text(encoding="latin-1")
    assert "/etc/passwd" not in log.split("(./r.tex", 1)[1].split(")", 1)[0]  # never opened
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", "r.pdf", "-"], cwd=tmp_path, capture_output=True, text=True
        ).stdout
        assert "alert(1)" in words and "/etc/passwd" in words
