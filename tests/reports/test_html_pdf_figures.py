"""HTML (in chromium, no external request), PDF (has pages) and the figures (SVG, PDF, PNG
through kaleido, in a worker process bounded by a deadline)."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from accounting.assessment import AssumptionSettings
from accounting.reports.content import Scope
from accounting.reports.generate import write_report
from accounting.reports.verify_report import verify_report
from accounting.store import open_ledger
from tests.fixtures.report_ledger import INJECTION, build_report_ledger

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
FIGURES = (
    "power_timeline",
    "energy_by_device_and_phase",
    "net_benefit_waterfall",
    "break_even",
    "counterfactuals",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("html")
    ids = build_report_ledger(root / "ledger.db")
    bad = build_report_ledger(root / "inject.db", INJECTION)
    settings = AssumptionSettings(compare_countries=("POL", "SWE"))
    lines: list[str] = []
    out: dict[str, Any] = {"ids": ids, "bad": bad, "root": root, "progress": lines}
    with open_ledger(str(ids.path)) as ledger:
        out["run_html"] = write_report(
            ledger,
            Scope("run", run_id=ids.serve),
            "html",
            root / "run.html",
            settings=settings,
            figures_dir=root / "figures",
            say=lines.append,
        )
        out["project_pdf"] = write_report(
            ledger,
            Scope("project", project=ids.project),
            "pdf",
            root / "project.pdf",
            settings=settings,
        )
    with open_ledger(str(bad.path)) as ledger:
        out["bad_html"] = write_report(
            ledger, Scope("run", run_id=bad.train), "html", root / "bad.html"
        )
        out["bad_pdf"] = write_report(
            ledger, Scope("run", run_id=bad.train), "pdf", root / "bad.pdf"
        )
    yield out


def test_interactive_html_draws_every_figure_offline(tmp_path: Path) -> None:
    """No browser needed to write it; opened in chromium, plotly.js (inline) draws the five
    figures under the page's policy, with no error and no request outside the file."""
    ids = build_report_ledger(tmp_path / "ledger.db", INJECTION)
    out = tmp_path / "run.html"
    with open_ledger(str(ids.path)) as ledger:
        write_report(
            ledger, Scope("run", run_id=ids.serve), "html", out, html_figures="interactive"
        )
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
            page.goto(out.as_uri(), wait_until="load")
            page.wait_for_selector(".plotly-figure .main-svg")
            drawn = page.eval_on_selector_all(
                ".plotly-figure", "els => els.map(e => e.querySelectorAll('.main-svg').length)"
            )
            text = page.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert len(drawn) == len(FIGURES) and all(n > 0 for n in drawn), drawn
    assert "Power per device" in text and "Net benefit" in text
    with open_ledger(str(ids.path)) as ledger:
        assert verify_report(ledger, out).ok


def _load(path: Path) -> tuple[list[str], list[str], str, list[int]]:
    """Open a file in chromium; (request URLs, dialogs, body text, image widths)."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            text = page.inner_text("body")
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        finally:
            browser.close()
    return requests, dialogs, text, widths


def test_html_loads_with_no_external_request(built: dict[str, Any]) -> None:
    path = built["root"] / "run.html"
    requests, dialogs, text, widths = _load(path)
    external = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert external == [], external
    assert dialogs == []
    assert "Carbon report: run bert-serve" in text and "Net benefit, p05" in text
    assert len(widths) == len(FIGURES) and all(w > 0 for w in widths)
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "Content-Security-Policy" in html


def test_html_report_verifies_against_the_ledger(built: dict[str, Any]) -> None:
    with open_ledger(str(built["ids"].path)) as ledger:
        check = verify_report(ledger, built["root"] / "run.html")
    assert check.ok, check.message


def test_progress_is_reported_while_drawing_figures(built: dict[str, Any]) -> None:
    lines = built["progress"]
    assert any(line.startswith("figure 1/5") for line in lines)
    assert any(line.startswith("figure 5/5") for line in lines)


def test_pdf_has_pages(built: dict[str, Any]) -> None:
    reader = PdfReader(str(built["root"] / "project.pdf"))
    assert len(reader.pages) >= 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Carbon report: project paper-2026" in text
    assert "sweep lr=0.1" in text  # the failed run is in the project report


def test_injection_in_html_and_pdf_is_inert(built: dict[str, Any]) -> None:
    path = built["root"] / "bad.html"
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 50% $x_1$ #1 \\input{/etc/passwd}" in html
    requests, dialogs, text, _ = _load(path)
    assert dialogs == []
    assert INJECTION in text
    assert all(u.startswith(("file:", "data:")) for u in requests)
    pdf_text = "".join(p.extract_text() for p in PdfReader(str(built["root"] / "bad.pdf")).pages)
    assert "alert(1)" in pdf_text


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_figures_export_as_svg_pdf_png(built: dict[str, Any]) -> None:
    folder = built["root"] / "figures"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{name}.{ext}" for name in FIGURES for ext in ("svg", "pdf", "png")
    )
    expected_text = {
        "power_timeline": ("Power per device", "Power (W)", "Time (UTC)"),
        "energy_by_device_and_phase": ("Energy by device and phase",),
        "net_benefit_waterfall": ("Net benefit", "Money (2024 USD)"),
        "break_even": ("Break-even", "Net benefit (2024 USD)"),
        "counterfactuals": ("The same energy elsewhere", "SWE", "POL"),
    }
    for name in FIGURES:
        root = ET.parse(folder / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
        svg_text = " ".join(t for t in root.itertext())
        for wanted in expected_text[name]:
            assert wanted in svg_text, (name, wanted)
        assert (folder / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        width, height = _png_size(folder / f"{name}.png")
        assert width >= 1600 and height >= 500
