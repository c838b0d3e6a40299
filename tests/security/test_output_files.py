"""``--out`` and ``--figures`` never replace what is not a regular file, even with
``--force``, and never write through a symlink (export, report, figures). A regular file is
replaced only with ``--force``, through a temporary file renamed into place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.cli.helpers import cli_process


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("out") / "ledger.db"
    done = cli_process("run", "--ledger", str(path), "--name", "r", "--", "true")
    assert done.code == 0, done.err
    return path, done.out.strip().splitlines()[-1]


def targets(folder: Path) -> dict[str, Path]:
    """A FIFO, a symlink to a file that is not ours, a folder, and (as root) a device."""
    victim = folder / "victim.txt"
    victim.write_text("not yours\n")
    made = {"fifo": folder / "fifo", "symlink": folder / "link", "folder": folder / "dir"}
    os.mkfifo(made["fifo"])
    made["symlink"].symlink_to(victim)
    made["folder"].mkdir()
    if os.geteuid() == 0:  # a copy of /dev/null, in our own folder
        made["device"] = folder / "null"
        os.mknod(made["device"], stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return made


def commands(ledger: Path, run_id: str, out: Path) -> dict[str, list[str]]:
    base = ["--ledger", str(ledger), "--out", str(out), "--force"]
    return {
        "export": ["export", "--format", "jsonl", *base],
        "report": ["report", run_id, "--format", "md", *base],
    }


def test_no_target_that_is_not_a_regular_file_is_replaced(
    ledger: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = ledger
    for kind, target in targets(tmp_path).items():
        before = os.lstat(target)
        for name, argv in commands(path, run_id, target).items():
            done = cli_process(*argv)
            assert done.code == 2, (kind, name, done.err)
            assert done.err.count("\n") == 1 and "--out" in done.err, done.err
            after = os.lstat(target)
            assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode), (kind, name)
    assert (tmp_path / "victim.txt").read_text() == "not yours\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file


def test_a_figure_file_that_is_a_symlink_is_refused(
    ledger: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = ledger
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    figures = tmp_path / "figs"
    figures.mkdir()
    done = cli_process("report", run_id, "--ledger", str(path), "--format", "md",
                       "--out", str(tmp_path / "r.md"), "--figures", str(figures),
                       "--force")  # fmt: skip
    names = sorted(p.name for p in figures.iterdir()) if done.code == 0 else []
    if done.code != 0:
        pytest.skip(f"figures cannot be drawn here: {done.err.strip()}")
    for name in names:
        (figures / name).unlink()
    (figures / names[0]).symlink_to(victim)
    done = cli_process("report", run_id, "--ledger", str(path), "--format", "md",
                       "--out", str(tmp_path / "r.md"), "--figures", str(figures),
                       "--force")  # fmt: skip
    assert done.code == 2 and "--figures" in done.err and "symbolic link" in done.err, done.err
    assert victim.read_text() == "not yours\n"
    assert (figures / names[0]).is_symlink()


def test_a_figures_folder_that_is_a_symlink_is_refused(
    ledger: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = ledger
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "figs").symlink_to(elsewhere)
    done = cli_process("report", run_id, "--ledger", str(path), "--format", "md",
                       "--out", str(tmp_path / "r.md"), "--figures", str(tmp_path / "figs"))  # fmt: skip
    assert done.code == 2 and "--figures" in done.err, done.err
    assert list(elsewhere.iterdir()) == []


def test_a_regular_file_is_replaced_only_with_force(
    ledger: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = ledger
    out = tmp_path / "r.md"
    out.write_text("old\n")
    done = cli_process("report", run_id, "--ledger", str(path), "--format", "md", "--out", str(out))
    assert done.code == 2 and "--force" in done.err
    assert out.read_text() == "old\n"
    done = cli_process("report", run_id, "--ledger", str(path), "--format", "md",
                       "--out", str(out), "--force")  # fmt: skip
    assert done.code == 0, done.err
    assert out.read_text().startswith("# ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]
