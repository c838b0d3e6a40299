"""User strings in the real browser: a run whose name, project, tags, benefit note and
problem are Markdown images, links, raw HTML and KaTeX is shown as text, and the browser
makes no request for any of them (counted at a local HTTP server the strings point to, and
by Playwright for every host other than this machine).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from accounting.entries import Benefit, EntrySource, Problem, RunEnded, RunStarted, new_id
from tests.dashboard.server import dashboard
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, _need_chromium
from tests.fixtures.ledgers import write_ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 45_000


class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        Counter.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def hostile(base: str, what: str) -> str:
    return (
        f"![{what}]({base}/{what}.png) [click]({base}/{what}-link) "
        f'<img src="{base}/{what}-html.png"> $\\href{{{base}/{what}-katex}}{{x}}$ '
        f":red[{what}] http://203.0.113.9/{what}.png"
    )


@pytest.fixture(scope="module")
def counter() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def hostile_ledger(counter: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("hostile") / "ledger.db"
    run_id = new_id()
    source = EntrySource(host="h", pid=1, origin="test")
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    write_ledger(
        path,
        [
            [
                RunStarted(
                    run_id=run_id,
                    source=source,
                    name=hostile(counter, "name"),
                    project=hostile(counter, "project"),
                    started_at=start,
                    tags=(hostile(counter, "tag"),),
                ),
                Benefit(
                    run_id=run_id,
                    source=source,
                    benefit_kind="social",
                    usd=10.0,
                    rationale=hostile(counter, "rationale"),
                    reference=hostile(counter, "reference"),
                ),
                Problem(
                    run_id=run_id,
                    source=source,
                    code="meter_failed",
                    message=hostile(counter, "problem"),
                ),
                RunEnded(
                    run_id=run_id,
                    source=source,
                    status="completed",
                    ended_at=start + timedelta(minutes=5),
                    duration_s=300.0,
                    exit_code=0,
                ),
            ]
        ],
    )
    return path, run_id


def test_user_strings_are_text_and_load_nothing(
    counter: str, hostile_ledger: tuple[Path, str], tmp_path: Path
) -> None:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    path, run_id = hostile_ledger
    outside: list[str] = []
    Counter.hits.clear()
    with dashboard(path, tmp_path) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)

        def watch(request: Any) -> None:
            parsed = urlparse(request.url)
            if parsed.scheme not in ("data", "blob", "about") and (
                parsed.hostname not in LOCAL_HOSTS or parsed.port != server.port
            ):
                outside.append(request.url)

        page.on("request", watch)
        for where in ("", "runs", "cost_benefit", "compare"):
            page.goto(f"{server.url}/{where}?run={run_id}")
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0
            body = page.inner_text("body")
            if where == "runs":
                # shown as the text itself: the image syntax, the tag and the math are visible
                assert f"![name]({counter}/name.png)" in body, body[:2000]
                assert f"![problem]({counter}/problem.png)" in body
                assert '<img src="' in body
                assert "$\\href{" in body
            assert page.locator("img[src*='127.0.0.1'], img[src*='203.0.113.9']").count() == 0
            assert page.locator(".katex").count() == 0
        browser.close()
    assert Counter.hits == [], Counter.hits
    assert outside == [], outside
