"""A user's type checker sees ``ecoledger.track(...)`` yield a ``Run`` and keep a decorated
function's type: mypy (strict) on a small user script, against this tree."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import train_hooks
from tests.cli.helpers import REPO
from train_hooks.options import TrackOptions

USER_SCRIPT = """
import ecoledger


def train() -> float:
    with ecoledger.track(name="mlp", project="demo", country="FRA") as run:
        reveal_type(run)
        with run.phase("train"):
            pass
        return run.energy_j


@ecoledger.track
def serve(n: int) -> int:
    return n


@ecoledger.track(kind="inference")
def serve_more(n: int) -> int:
    return n


reveal_type(serve(3))
reveal_type(serve_more(3))
typo = ecoledger.track(name="x").__enter__().energy_jj
"""


def mypy_on_user_script(folder: Path, env: dict[str, str], *extra: str) -> str:
    script = folder / "user_train.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *extra, script.name],
        cwd=folder,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.stdout + proc.stderr


def check_user_view(output: str) -> None:
    assert 'user_train.py:7: note: Revealed type is "train_hooks.run.Run"' in output, output
    assert 'user_train.py:23: note: Revealed type is "int"' in output, output
    assert 'user_train.py:24: note: Revealed type is "int"' in output, output
    assert 'user_train.py:25: error: "Run" has no attribute "energy_jj"' in output, output
    assert "Found 1 error in 1 file" in output, output


@pytest.mark.slow
def test_mypy_sees_track_yield_a_run(tmp_path: Path) -> None:
    env = {"MYPYPATH": str(REPO), "MYPY_CACHE_DIR": str(tmp_path / "cache")}
    check_user_view(mypy_on_user_script(tmp_path, env))


def test_the_typed_overload_has_the_options_parameters() -> None:
    """track()'s typed overload (what a user's type checker sees) lists TrackOptions' fields,
    the same ones positional and keyword-only: when a field is added to TrackOptions, add it
    to the overload in train_hooks/track.py too."""
    tree = ast.parse((REPO / "train_hooks" / "track.py").read_text(encoding="utf-8"))
    overloads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name == "track"
        and any(getattr(d, "id", None) == "overload" for d in node.decorator_list)
    ]
    assert len(overloads) == 2
    args = overloads[1].args
    positional = [a.arg for a in args.posonlyargs + args.args]
    keyword_only = [a.arg for a in args.kwonlyargs]
    fields = dataclasses.fields(TrackOptions)
    assert positional == [f.name for f in fields if not f.kw_only]
    assert keyword_only == [f.name for f in fields if f.kw_only]
    assert positional[:3] == ["name", "project", "kind"] and "shared_gpu" in keyword_only
    # help() and inspect show the same parameters, with their kinds
    shown = inspect.signature(train_hooks.track).parameters.values()
    assert [(p.name, p.kind == p.KEYWORD_ONLY) for p in shown] == [
        (f.name, f.kw_only) for f in fields
    ]
