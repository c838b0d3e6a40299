"""The report as PDF: the self-contained HTML printed by a headless browser.

The browser is found and bounded by :mod:`accounting.reports.browser` (``BROWSER_PATH``, the
system's chromium, ...). It runs once, with networking features off and a throwaway profile,
in its own process group under the report's deadline; ``--print-to-pdf`` writes the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from accounting.reports.browser import (
    HEADLESS_SWITCHES,
    BrowserError,
    Deadline,
    require_browser,
    run_browser,
    switches,
)


class PdfError(BrowserError):
    """The browser is missing or failed to print."""


def html_to_pdf(
    html: str, out: Path, browser: str | None = None, deadline: Deadline | None = None
) -> Path:
    """Print ``html`` (a self-contained document) to the PDF file ``out``."""
    browser = browser or require_browser("`format` pdf")
    deadline = deadline or Deadline.start()
    with tempfile.TemporaryDirectory(prefix="ecoledger-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        command = [
            browser,
            *switches(
                *HEADLESS_SWITCHES,
                "no-pdf-header-footer",
                user_data_dir=Path(tmp) / "profile",
                print_to_pdf=target,
            ),
            page.as_uri(),
        ]
        done = run_browser(command, deadline, "pdf")
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            said = done.stderr or f"exit code {done.returncode}"
            raise PdfError(f"pdf: the browser could not print the report ({said})")
        out.write_bytes(target.read_bytes())
    return out
