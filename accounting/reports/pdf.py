"""The report as PDF: the self-contained HTML printed by headless chromium.

Chromium is the system's (``/usr/bin/chromium``, or ``ECOLEDGER_CHROMIUM``), started once
with networking features off and a throwaway profile; ``--print-to-pdf`` writes the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from accounting.errors import EcoledgerError

CHROMIUM_ENV = "ECOLEDGER_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-pdf-header-footer",
)
TIMEOUT_S = 120


class PdfError(EcoledgerError):
    """Chromium is missing or failed to print."""


def find_chromium() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        f"pdf: no chromium found (install Debian's chromium, or set {CHROMIUM_ENV} to its path)"
    )


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` (a self-contained document) to the PDF file ``out``."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="ecoledger-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(f"pdf: chromium failed to start or timed out ({exc})") from None
        if proc.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise PdfError(f"pdf: chromium could not print the report ({tail[0]})")
        shutil.copyfile(target, out)
    return out
