"""Reports never hang on a browser: HTML needs none (interactive Plotly figures, plotly.js
inline); PDF and --figures without one, or with one that exits, hangs or cannot run, end with
one line and exit code 2 within a bounded time. The CLI runs as a real subprocess; chromium
is hidden with a private mount namespace (``unshare -m``), as on a machine without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounting.reports.html import script_json, without_figures
from tests.cli.helpers import REPO
from tests.fixtures.report_ledger import FixtureIds

pytestmark = pytest.mark.slow
REMEDY_WORDS = ("chromium", "BROWSER_PATH", "plotly_get_chrome")
CHROMIUM = "/usr/bin/chromium"


def _can_hide_chromium() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or not Path(CHROMIUM).exists():
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind /dev/null {CHROMIUM}"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


needs_hiding = pytest.mark.skipif(
    not _can_hide_chromium(), reason="hiding chromium needs root, unshare and /usr/bin/chromium"
)


def _report(
    ids: FixtureIds, *args: str, env: dict[str, str] | None = None, hide: bool = False
) -> tuple[int, str, str, float]:
    argv = [sys.executable, "-m", "ecoledger", "report", ids.serve, "--ledger", str(ids.path)]
    argv += [*args, "--force"]
    if hide:  # a private mount namespace where /usr/bin/chromium is /dev/null
        hider = f'mount --bind /dev/null {CHROMIUM} && exec "$@"'
        argv = ["unshare", "-m", "sh", "-c", hider, "sh", *argv]
    full_env = {**os.environ, **(env or {})}
    for name in ("BROWSER_PATH", "ECOLEDGER_CHROMIUM"):
        if env is None or name not in env:
            full_env.pop(name, None)
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=full_env, cwd=REPO, timeout=180)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


def _error_lines(err: str) -> list[str]:
    """stderr without the progress lines (``  [  1.2 s] ...``)."""
    return [line for line in err.splitlines() if line.strip() and not line.startswith("  [")]


@needs_hiding
def test_html_without_a_browser_has_interactive_figures_inline(
    own_ledger: FixtureIds, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    code, stdout, err, took = _report(own_ledger, "--format", "html", "--out", str(out), hide=True)
    assert code == 0, err
    assert took < 10, took
    html = out.read_text(encoding="utf-8")
    import plotly.offline

    plotly_js = plotly.offline.get_plotlyjs()
    assert f"<script>{plotly_js}</script>" in html  # inline, once
    markup = html.replace(plotly_js, "").lower()
    assert markup.count("plotly.newplot(") == 5  # the five figures of a run report
    assert "<img" not in markup and "<link" not in markup and "<script src" not in markup
    for loader in ('src="http', 'href="http', "url(http", "import(", "fetch("):
        assert loader not in markup, loader  # nothing from a CDN or the network
    assert "script-src 'sha256-" in markup  # only the page's own scripts may run
    assert f"wrote {out}" in stdout


@needs_hiding
def test_pdf_without_a_browser_fails_fast_with_the_remedy(
    own_ledger: FixtureIds, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    code, _, err, took = _report(own_ledger, "--format", "pdf", "--out", str(out), hide=True)
    assert code == 2
    assert took < 5, took
    lines = _error_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("ecoledger: error: --format pdf needs a browser")
    assert all(word in lines[0] for word in REMEDY_WORDS), lines[0]
    assert not out.exists()


@needs_hiding
def test_figures_without_a_browser_fail_fast(own_ledger: FixtureIds, tmp_path: Path) -> None:
    args = ("--format", "md", "--out", str(tmp_path / "r.md"), "--figures", str(tmp_path / "f"))
    code, _, err, took = _report(own_ledger, *args, hide=True)
    assert code == 2 and took < 5, (code, took, err)
    assert _error_lines(err)[0].startswith("ecoledger: error: --figures needs a browser")
    assert not (tmp_path / "r.md").exists() and not (tmp_path / "f").exists()


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("fmt", "figures"), [("html", False), ("pdf", False), ("md", True)], ids=["html", "pdf", "figs"]
)
def test_a_browser_that_exits_at_once_is_one_line_and_exit_2(
    own_ledger: FixtureIds, tmp_path: Path, fmt: str, figures: bool
) -> None:
    dead = _script(tmp_path, "dead-browser", "exit 1")
    out = tmp_path / f"report.{fmt}"
    args = ["--format", fmt, "--out", str(out)]
    if figures:
        args += ["--figures", str(tmp_path / "figs")]
    code, _, err, took = _report(own_ledger, *args, env={"BROWSER_PATH": str(dead)})
    assert code == 2, err
    assert took < 60, took
    lines = _error_lines(err)
    assert len(lines) == 1, err
    assert f"BROWSER_PATH={dead} exited with code 1 at start" in lines[0]
    assert "Traceback" not in err and not out.exists()


def test_a_browser_that_hangs_is_stopped_at_the_deadline(
    own_ledger: FixtureIds, tmp_path: Path
) -> None:
    hung = _script(tmp_path, "hung-browser", "exec sleep 600")
    out = tmp_path / "report.pdf"
    env = {"BROWSER_PATH": str(hung), "ECOLEDGER_BROWSER_TIMEOUT_S": "3"}
    code, _, err, took = _report(own_ledger, "--format", "pdf", "--out", str(out), env=env)
    assert code == 2, err
    assert took < 30, took
    lines = _error_lines(err)
    assert len(lines) == 1 and "did not finish within 3 s" in lines[0], err
    left = subprocess.run(["pgrep", "-f", str(hung)], capture_output=True, text=True)
    assert left.stdout.strip() == "", "the hung browser was left running"


def test_a_browser_path_that_is_not_executable_is_named(
    own_ledger: FixtureIds, tmp_path: Path
) -> None:
    text = tmp_path / "not-a-browser.txt"
    text.write_text("hello", encoding="utf-8")
    out = tmp_path / "report.pdf"
    code, _, err, took = _report(
        own_ledger, "--format", "pdf", "--out", str(out), env={"BROWSER_PATH": str(text)}
    )
    assert code == 2 and took < 5, (code, took, err)
    assert f"BROWSER_PATH={text} is not an executable file" in _error_lines(err)[0]


def test_html_without_plotly_names_the_extra(own_ledger: FixtureIds, tmp_path: Path) -> None:
    """As in a core-only install: plotly cannot be imported (the module is blocked)."""
    code = (
        "import sys; sys.modules['plotly'] = None; from ecoledger.cli.main import main; "
        f"sys.exit(main(['report', '{own_ledger.serve}', '--ledger', '{own_ledger.path}', "
        f"'--format', 'html', '--out', '{tmp_path / 'r.html'}']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "ecoledger: error: --format html needs plotly: pip install 'ecoledger[reports]'"
    )


def test_figure_json_cannot_close_its_script() -> None:
    hostile = '{"title": "</script><script>alert(1)</script> & <!--"}'
    safe = script_json(hostile)
    assert "<" not in safe and ">" not in safe and "&" not in safe
    assert safe == (
        '{"title": "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e '
        '\\u0026 \\u003c!--"}'
    )


def test_verify_ignores_the_interactive_figures_and_their_policy() -> None:
    head = '<head>\n<meta http-equiv="Content-Security-Policy" content="script-src \'sha256-x\'">'
    page = f"{head}\n<p>a</p>\n<!-- figure -->\n<script>x</script>\n<!-- /figure -->\n<p>b</p>"
    stripped = without_figures(page)
    assert "sha256" not in stripped and "<script" not in stripped
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in stripped
    assert stripped.endswith("<p>a</p>\n<p>b</p>")


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")
def test_a_browser_that_crashes_mid_figure_is_one_line_and_exit_2(
    own_ledger: FixtureIds, tmp_path: Path
) -> None:
    """The probe passes (a real chromium), then the browser kaleido drives dies after 2 s."""
    crash = _script(
        tmp_path,
        "crashing-browser",
        f'case "$*" in *--dump-dom*) exec {CHROMIUM} "$@";; esac\n'
        f'{CHROMIUM} "$@" &\nsleep 2\nkill -9 $!\nexit 139',
    )
    out = tmp_path / "report.md"
    env = {"BROWSER_PATH": str(crash), "ECOLEDGER_BROWSER_TIMEOUT_S": "20"}
    args = ("--format", "md", "--out", str(out), "--figures", str(tmp_path / "figs"))
    code, _, err, took = _report(own_ledger, *args, env=env)
    assert code == 2, err
    assert took < 40, took
    lines = _error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("ecoledger: error: figures: "), err
    assert "Traceback" not in err and not out.exists()
    left = subprocess.run(["pgrep", "-f", str(crash)], capture_output=True, text=True)
    assert left.stdout.strip() == "", "the crashing browser's script was left running"
