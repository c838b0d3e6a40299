"""The dashboard in a real browser: Debian's chromium driven by Playwright against
``ecoledger dashboard`` on a free local port. Each page draws its charts; the SCC preset
changes the net benefit to what ``ecoledger assess --json`` says; a run shows its power
timeline; a report downloads; no request leaves the machine. Full-page screenshots are
written to ``test-output/screenshots/``.

Chromium missing: skipped here, a failure under ``CI=true`` (CI must run these).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.dashboard.helpers import REPO, assess_json, shows
from tests.dashboard.server import Dashboard, dashboard
from tests.fixtures.ledgers import FixtureLedger

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "test-output" / "screenshots"
DOWNLOADS = REPO / "test-output" / "downloads"
PAGES = {"overview": "", "runs": "runs", "cost_benefit": "cost_benefit", "compare": "compare",
         "report": "report"}  # fmt: skip
CHART = '[data-testid="stPlotlyChart"] .main-svg'
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 45_000


def _need_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture(scope="module")
def servers(
    fixture_ledger: FixtureLedger, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Dashboard]]:
    _need_chromium()
    logs = tmp_path_factory.mktemp("dashboard-logs")
    from tests.fixtures.ledgers import build_empty_ledger

    empty = build_empty_ledger(logs / "empty.db")
    with dashboard(fixture_ledger.path, logs) as full, dashboard(empty, logs) as bare:
        yield {"fixture": full, "empty": bare}


@pytest.fixture(scope="module")
def browser(servers: dict[str, Dashboard]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def outside_requests() -> list[str]:
    """Every request to a host other than this machine, over the whole module."""
    return []


@pytest.fixture
def page(browser: Any, outside_requests: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)

    def watch(request: Any) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        if parsed.hostname not in LOCAL_HOSTS:
            outside_requests.append(request.url)

    pg.on("request", watch)
    yield pg
    context.close()


def _settled(pg: Any) -> None:
    """Wait until Streamlit has finished running the script."""
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    pg.wait_for_timeout(300)


def screenshot(pg: Any, name: str) -> Path:
    """A full-page screenshot: the viewport is grown to the app's scroll height first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate(
        "() => Math.max(document.body.scrollHeight, ...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stMainBlockContainer]')].map(e => e.scrollHeight))"
    )
    pg.set_viewport_size({"width": 1400, "height": min(int(height) + 60, 16000)})
    pg.wait_for_timeout(250)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size({"width": 1400, "height": 900})
    assert path.stat().st_size > 10_000
    return path


def _svg_texts(locator: Any) -> list[str]:
    return [str(t) for t in locator.evaluate_all("els => els.map(e => e.textContent)")]


def _metric(pg: Any, label: str) -> str:
    block = pg.locator('[data-testid="stMetric"]').filter(
        has=pg.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return str(block.first.locator('[data-testid="stMetricValue"]').inner_text()).strip()


def _choose(pg: Any, label: str, option: str) -> None:
    box = pg.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    pg.get_by_role("option", name=option, exact=True).click()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_draws_its_charts(page: Any, servers: dict[str, Dashboard], name: str) -> None:
    page.goto(f"{servers['fixture'].url}/{PAGES[name]}")
    if name == "report":
        page.get_by_role("button", name="Generate the report").wait_for()
    else:
        page.wait_for_selector(CHART)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    if name != "report":
        titles = _svg_texts(page.locator(".gtitle"))
        assert titles and all(t.strip() for t in titles)
    screenshot(page, name)


def test_every_page_on_an_empty_ledger(page: Any, servers: dict[str, Dashboard]) -> None:
    for name, path in PAGES.items():
        page.goto(f"{servers['empty'].url}/{path}")
        page.get_by_text("No runs recorded yet").wait_for()
        page.get_by_text("ecoledger demo --ledger").first.wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, f"empty-{name}")


def test_the_scc_preset_changes_the_net_benefit_to_the_cli_value(
    page: Any,
    servers: dict[str, Dashboard],
    fixture_ledger: FixtureLedger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = fixture_ledger.run_ids["sweep-lr-3e-4"]
    page.goto(f"{servers['fixture'].url}/cost_benefit?run={run_id}")
    page.wait_for_selector(CHART)
    _settled(page)
    default = assess_json(capsys, fixture_ledger.path, run_id)["net_benefit"]
    assert shows(_metric(page, "Net benefit"), default)

    expected = assess_json(capsys, fixture_ledger.path, run_id, "--scc", "scc:epa-2023-1.5")
    _choose(page, "Social cost of carbon", "scc:epa-2023-1.5")
    deadline = time.monotonic() + 20
    while not shows(_metric(page, "Net benefit"), expected["net_benefit"]):
        assert time.monotonic() < deadline, (_metric(page, "Net benefit"), expected["net_benefit"])
        page.wait_for_timeout(200)
    _settled(page)
    assert shows(_metric(page, "p05"), expected["net_benefit_p05"])
    screenshot(page, "cost_benefit-scc-1.5")


def test_opening_a_run_shows_its_power_timeline(
    page: Any, servers: dict[str, Dashboard], fixture_ledger: FixtureLedger
) -> None:
    page.goto(f"{servers['fixture'].url}/runs")
    page.wait_for_selector(CHART)
    _settled(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Open run").first
    box.click()
    page.get_by_role("option").filter(has_text="bert-finetune").first.click()
    page.locator(".gtitle", has_text="Energy per training step").wait_for()
    _settled(page)
    power = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Power per device")
    )
    assert power.count() == 1
    legend = _svg_texts(power.first.locator(".legendtext"))
    assert any("A100" in text for text in legend) and len(legend) >= 2
    assert power.first.locator("path.js-line").count() >= 2
    screenshot(page, "runs-bert-finetune")


def test_a_report_downloads(
    page: Any, servers: dict[str, Dashboard], fixture_ledger: FixtureLedger
) -> None:
    run_id = fixture_ledger.run_ids["bert-finetune"]
    page.goto(f"{servers['fixture'].url}/report?run={run_id}")
    page.get_by_role("button", name="Generate the report").click()
    button = page.get_by_role("button", name="Download ecoledger-report-f1e00000.md")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    target = DOWNLOADS / info.value.suggested_filename
    info.value.save_as(str(target))
    text = target.read_text(encoding="utf-8")
    assert target.name == "ecoledger-report-f1e00000.md"
    assert "bert-finetune" in text and "kWh" in text
    screenshot(page, "report-downloaded")


def test_no_request_left_the_machine(outside_requests: list[str]) -> None:
    """Runs last in the module: every page above was loaded and watched."""
    assert outside_requests == []
