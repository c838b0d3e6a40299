"""The browser that draws static figures and prints PDFs: found, checked, and always bounded.

Static figures (kaleido) and PDF printing need a Chromium-based browser. It is looked up as
kaleido looks it up (``BROWSER_PATH``, then ``chromium``/``google-chrome`` on ``PATH``, then a
browser fetched with ``plotly_get_chrome``); ``ECOLEDGER_CHROMIUM`` is still honoured. Every
call into a browser runs in a child process group with a deadline (60 s by default,
``ECOLEDGER_BROWSER_TIMEOUT_S``): a browser that is missing, not executable, exits at once,
crashes or hangs ends the report with one line and exit code 2, never a wait.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from accounting.errors import InputError

BROWSER_ENV = "BROWSER_PATH"
LEGACY_ENV = "ECOLEDGER_CHROMIUM"
TIMEOUT_ENV = "ECOLEDGER_BROWSER_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 60.0
PROBE_TIMEOUT_S = 20.0
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HEADLESS_SWITCHES = (
    "headless",
    "no-sandbox",
    "disable-gpu",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-extensions",
    "no-first-run",
)
"""Chromium switches (names without their dashes) for a headless browser with networking
features, the sandbox, the GPU and extensions off: every browser call starts with these."""
REMEDY = (
    "install Debian's chromium package (apt-get install chromium), set BROWSER_PATH to a "
    "Chrome or Chromium, or run plotly_get_chrome where the internet is reachable"
)


def switches(*names: str, **values: object) -> list[str]:
    """Chromium command-line switches: ``--name`` for each name, then ``--name=value`` for
    each value (``user_data_dir`` is the switch ``--user-data-dir``)."""
    named = [f"--{name}" for name in names]
    valued = [f"--{name.replace('_', '-')}={value}" for name, value in values.items()]
    return named + valued


class BrowserError(InputError):
    """No usable browser, or the browser failed or ran past its deadline (exit code 2)."""


def missing_extra(what: str, *modules: str) -> str | None:
    """The one-line remedy when ``modules`` of the ``reports`` extra are not installed."""
    missing = [m for m in modules if find_spec(m) is None]
    if not missing:
        return None
    return f"{what} needs {' and '.join(missing)}: pip install 'ecoledger[reports]'"


def require_modules(what: str, *modules: str) -> None:
    message = missing_extra(what, *modules)
    if message:
        raise InputError(message)


def timeout_s() -> float:
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{TIMEOUT_ENV} must be a number of seconds > 0, got {text!r}")
    return value


def _choreographer_browser() -> str | None:
    """kaleido's own search (a browser fetched with ``plotly_get_chrome`` included)."""
    if find_spec("choreographer") is None:
        return None
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - a search that fails finds nothing
        return None
    return str(found) if found else None


def find_browser() -> str | None:
    """The configured or installed browser's path, or None. A configured path is returned
    as given (``check_browser`` says what is wrong with it)."""
    for env in (BROWSER_ENV, LEGACY_ENV):
        configured = os.environ.get(env)
        if configured:
            return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return _choreographer_browser()


def _source(path: str) -> str:
    for env in (BROWSER_ENV, LEGACY_ENV):
        if os.environ.get(env) == path:
            return f"{env}={path}"
    return path


def require_browser(what: str) -> str:
    """The browser to use for ``what`` (e.g. ``--format pdf``), or a one-line BrowserError."""
    path = find_browser()
    if path is None:
        raise BrowserError(f"{what} needs a browser and none was found: {REMEDY}")
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        raise BrowserError(
            f"{what} needs a browser: {_source(path)} is not an executable file; {REMEDY}"
        )
    return path


@dataclass(frozen=True)
class Deadline:
    """An absolute deadline on the monotonic clock, shared by every browser call of a report."""

    at: float
    total_s: float

    @classmethod
    def start(cls, seconds: float | None = None) -> Deadline:
        total = timeout_s() if seconds is None else seconds
        return cls(time.monotonic() + total, total)

    def left(self) -> float:
        return self.at - time.monotonic()


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a child started with ``start_new_session=True`` and everything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass


def last_line(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def run_browser(
    argv: list[str], deadline: Deadline, what: str, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a browser command line to completion before ``deadline`` (its whole process group
    is killed at the deadline). Output goes to files, so no grandchild holding a pipe can
    keep us waiting. Returns the exit code and the last line of stderr."""
    with tempfile.TemporaryDirectory(prefix="ecoledger-browser-") as tmp:
        err_path = Path(tmp) / "stderr"
        with open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise BrowserError(
                    f"{what}: the browser {argv[0]} could not start ({exc.strerror or exc}); "
                    f"{REMEDY}"
                ) from None
            try:
                code = proc.wait(timeout=max(deadline.left(), 0.1))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                raise BrowserError(
                    f"{what}: the browser did not finish within {deadline.total_s:g} s "
                    f"(set {TIMEOUT_ENV} to wait longer)"
                ) from None
            kill_group(proc)  # helpers it left behind
        return subprocess.CompletedProcess(argv, code, "", last_line(err_path))


def probe_browser(path: str, what: str, deadline: Deadline) -> None:
    """Start the browser once on an empty page: one that exits at once or cannot run fails
    here in a second, with its own last words, instead of inside kaleido."""
    with tempfile.TemporaryDirectory(prefix="ecoledger-probe-") as tmp:
        probe_deadline = Deadline(
            min(deadline.at, time.monotonic() + PROBE_TIMEOUT_S),
            min(deadline.total_s, PROBE_TIMEOUT_S),
        )
        done = run_browser(
            [
                path,
                *switches(*HEADLESS_SWITCHES, "dump-dom", user_data_dir=Path(tmp) / "profile"),
                "about:blank",
            ],
            probe_deadline,
            what,
        )
    if done.returncode != 0:
        said = f": {done.stderr}" if done.stderr else ""
        raise BrowserError(
            f"{what}: the browser {_source(path)} exited with code {done.returncode} at start{said}"
        )
