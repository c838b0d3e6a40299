"""The package as a user gets it: ``python -m build`` makes a wheel and an sdist that pass
``twine check``; the wheel, installed core-only into a fresh venv that already has a torch of
its own, installs no torch, streamlit, plotly or kaleido, leaves that torch alone, and runs
the core commands; pip's resolver never lists torch, even for ``[all]``; a user's mypy sees
the installed package's types. One venv for the module; it needs the package index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import REPO
from tests.package.test_typing import check_user_view, mypy_on_user_script

pytestmark = pytest.mark.slow
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
VERSION = PROJECT["version"]
PACKAGES = ("meter", "accounting", "train_hooks", "dashboard", "ecoledger")
USERS_TORCH = "2.99.0"  # a torch newer than any ecoledger was tested with (a nightly, say)
NOT_CORE = ("torch", "streamlit", "plotly", "kaleido", "lightning", "transformers", "mlflow")


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    venv: Path
    work: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def pip(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.bin / "python"), "-m", "pip", *argv, timeout=900)

    def installed(self) -> dict[str, str]:
        out = self.pip("list", "--format", "json")  # (--quiet would silence the list)
        assert out.returncode == 0, out.stderr
        return {p["name"].lower(): p["version"] for p in json.loads(out.stdout)}


def _fake_users_torch(venv_dir: Path) -> None:
    """The user's own torch, as pip sees it: an installed distribution ``torch 2.99.0``.
    (No module: ``import torch`` fails, so the venv is also one without torch.)"""
    purelib = subprocess.run(
        [
            str(venv_dir / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    info = Path(purelib) / f"torch-{USERS_TORCH}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: torch\nVersion: {USERS_TORCH}\n", encoding="utf-8"
    )
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = dist.glob("ecoledger-*.whl")
    (sdist,) = dist.glob("ecoledger-*.tar.gz")
    venv.create(root / "venv", with_pip=True)
    _fake_users_torch(root / "venv")
    work = root / "work"
    work.mkdir()
    yield Built(wheel, sdist, root / "venv", work)
    shutil.rmtree(root / "venv", ignore_errors=True)


def test_wheel_and_sdist_pass_twine_and_carry_the_package(built: Built) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(built.wheel), str(built.sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    names = set(zipfile.ZipFile(built.wheel).namelist())
    expected = {
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.suffix in (".py", ".typed") and "__pycache__" not in path.parts
    }
    assert expected - names == set()
    for package in ("meter", "accounting", "train_hooks", "ecoledger"):
        assert f"{package}/py.typed" in names
    assert not any(name.startswith("tests/") for name in names)
    metadata = zipfile.ZipFile(built.wheel).read(f"ecoledger-{VERSION}.dist-info/METADATA")
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    core = [r for r in requires if "extra ==" not in r]
    assert not [r for r in core if r.split()[0].lower().startswith(NOT_CORE)], core


def test_resolver_never_lists_torch_even_for_all(built: Built) -> None:
    """pip's own resolver, in a venv whose torch is newer than ecoledger's tests."""
    report = built.work / "dry-run.json"
    proc = built.pip(
        "install", "--quiet", "--dry-run", "--report", str(report), f"{built.wheel}[all]"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    install = json.loads(report.read_text(encoding="utf-8"))["install"]
    names = {item["metadata"]["name"].lower() for item in install}
    assert "torch" not in names
    assert {"ecoledger", "streamlit", "kaleido", "lightning", "mlflow"} <= names


def test_core_install_runs_without_torch_or_extras(built: Built) -> None:
    proc = built.pip("install", "--quiet", str(built.wheel))
    assert proc.returncode == 0, proc.stderr[-3000:]
    installed = built.installed()
    assert installed["torch"] == USERS_TORCH  # the user's torch, untouched
    assert not [name for name in NOT_CORE[1:] if name in installed]

    def ok(*argv: str) -> str:
        done = built.run(*argv)
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout

    ledger = ("--ledger", str(built.work / "core.db"))
    assert ok("ecoledger", "--version").strip() == f"ecoledger {VERSION}"
    run_id = ok("ecoledger", "run", *ledger, "--name", "core", "--", "python", "-c", "pass")
    run_id = run_id.strip().splitlines()[-1]
    assert len(run_id) == 32
    assert run_id[:8] in ok("ecoledger", "runs", *ledger)
    assert json.loads(ok("ecoledger", "show", run_id, *ledger, "--json"))["run_id"] == run_id
    assert json.loads(ok("ecoledger", "assess", run_id, *ledger, "--json"))["run_id"] == run_id
    assert "ledger intact" in ok("ecoledger", "verify", *ledger)
    for fmt in ("md", "latex", "json", "model-card"):
        out = built.work / f"report.{fmt}"
        ok("ecoledger", "report", run_id, *ledger, "--format", fmt, "--out", str(out))
        assert out.stat().st_size > 0
    # what needs an extra says which, in one line, exit 2
    for argv, extra in (
        (("report", run_id, "--format", "html", "--out", "r.html"), "reports"),
        (("report", run_id, "--format", "pdf", "--out", "r.pdf"), "reports"),
        (("dashboard",), "dashboard"),
    ):
        done = built.run("ecoledger", *argv, *ledger)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stderr.strip().endswith(f"pip install 'ecoledger[{extra}]'"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    demo = built.run("ecoledger", "demo", *ledger)
    assert demo.returncode == 2 and "torch is not installed" in demo.stderr

    # with [reports] and no browser (chromium hidden), HTML has interactive figures
    proc = built.pip("install", "--quiet", f"{built.wheel}[reports]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert built.installed()["torch"] == USERS_TORCH
    if os.geteuid() == 0 and shutil.which("unshare") and Path("/usr/bin/chromium").exists():
        html = built.work / "report.html"
        hide = 'mount --bind /dev/null /usr/bin/chromium && exec "$@"'
        ok(
            "unshare", "-m", "sh", "-c", hide, "sh",
            "ecoledger", "report", run_id, *ledger, "--format", "html", "--out", str(html),
        )  # fmt: skip
        assert html.read_text(encoding="utf-8").count("Plotly.newPlot(") == 5


def test_users_mypy_sees_the_installed_types(built: Built, tmp_path: Path) -> None:
    proc = built.pip("install", "--quiet", str(built.wheel))
    assert proc.returncode == 0, proc.stderr[-3000:]
    python = str(built.bin / "python")
    env = {"MYPY_CACHE_DIR": str(tmp_path / "cache")}
    env["PYTHONPATH"] = ""  # the installed package, not this tree
    check_user_view(mypy_on_user_script(tmp_path, env, "--python-executable", python))
