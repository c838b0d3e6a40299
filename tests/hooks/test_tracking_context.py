"""The runs open in this process live in one TrackingContext: shared by threads, and
replaceable for a block (isolated_tracking)."""

from __future__ import annotations

import threading
from pathlib import Path

from train_hooks import Run, track
from train_hooks.context import isolated_tracking, tracking


def test_nested_runs_and_an_isolated_block(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.db")
    assert Run.current() is None
    with track(name="outer", ledger=ledger, flush_interval_s=0.5) as outer:
        assert Run.current() is outer
        with isolated_tracking() as context:
            assert Run.current() is None
            with track(name="inner", ledger=ledger, flush_interval_s=0.5) as inner:
                assert Run.current() is inner
                assert context.runs == [inner] and tracking() is context
            assert context.runs == [] and context.trackers == []
        assert Run.current() is outer
    assert Run.current() is None


def test_another_thread_sees_the_run_the_main_thread_opened(tmp_path: Path) -> None:
    seen: list[Run | None] = []
    with track(name="served", ledger=str(tmp_path / "l.db"), flush_interval_s=0.5) as run:
        worker = threading.Thread(target=lambda: seen.append(Run.current()))
        worker.start()
        worker.join()
    assert seen == [run]
