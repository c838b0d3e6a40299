"""Everything the pages read, through the library only (no SQL here): the ledger, its runs,
their assessments and their power series, cached per ledger state.

Caches are keyed by the ledger's location and by the last entry of what they depend on
(the head of the chain, or a run's last seq), so a run being written shows its consistent
prefix and refreshes as entries arrive, while finished runs are not recomputed.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import streamlit as st

from accounting.assessment import Assessment, AssumptionSettings, Totals, aggregate, assess_run
from accounting.errors import EcoledgerError
from accounting.runs import RunView, list_runs, load_run
from accounting.store import Ledger, ledger_location, mask_url, open_ledger
from accounting.store.location import LEDGER_ENV
from accounting.store.power import PowerSeries

POWER_POINTS = 2000
"""Points per device sent to the browser (the store downsamples; the limit is 5,000)."""
STATUS_BUCKET_S = 5.0
"""A run with no run_ended turns from running to lost with time alone: views of the run
list are recomputed at least this often."""
CHAIN_WAIT_S = 1.0
"""How long a page waits for the chain check before drawing; a longer check (the first on a
large ledger) shows its banner when it ends, without holding the page."""
OVERVIEW_DRAWS = 1000
"""Monte Carlo draws per run for the overview's summed interval (central values do not
depend on draws; a run's own page uses the default 10,000, as ``ecoledger assess``)."""


@dataclass(frozen=True)
class LedgerState:
    """The open ledger, or the one-line reason it could not be opened."""

    location: str
    ledger: Ledger | None
    error: str | None
    head_seq: int = 0

    @property
    def shown(self) -> str:
        return mask_url(self.location)


@st.cache_resource(show_spinner=False)
def _open(location: str) -> Ledger:
    return open_ledger(location, create=False)


def current() -> LedgerState:
    """The ledger named by ``$ECOLEDGER_LEDGER`` (else ./ecoledger.db), opened read-mostly."""
    location = ledger_location(os.environ.get(LEDGER_ENV))
    try:
        ledger = _open(location)
        head = ledger.head()[0]
    except EcoledgerError as exc:
        _open.clear()
        return LedgerState(location, None, _first_line(exc))
    except Exception as exc:  # a database error: one line, never a traceback
        _open.clear()
        return LedgerState(
            location,
            None,
            f"ledger: cannot read {mask_url(location)}: "
            f"{exc.__class__.__name__}: {_first_line(exc)}",
        )
    return LedgerState(location, ledger, None, head)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return mask_url(text.splitlines()[0]) if text else exc.__class__.__name__


def _bucket() -> int:
    return int(time.time() // STATUS_BUCKET_S)


@st.cache_resource(show_spinner=False, max_entries=8)
def _runs(location: str, head_seq: int, bucket: int, _ledger: Ledger) -> tuple[RunView, ...]:
    return tuple(list_runs(_ledger))


def runs(state: LedgerState) -> tuple[RunView, ...]:
    """Every run, newest first."""
    assert state.ledger is not None
    return _runs(state.location, state.head_seq, _bucket(), state.ledger)


@st.cache_resource(show_spinner=False)
def _chain_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecoledger-chain-check")


@st.cache_resource(show_spinner=False, max_entries=16)
def _chain_check(
    location: str, head_seq: int, bucket: int, run_id: str | None, _ledger: Ledger
) -> Future[str | None]:
    from accounting.store.checkpoint import chain_warning

    return _chain_pool().submit(chain_warning, _ledger, [run_id] if run_id else [])


def chain_check(state: LedgerState, run_id: str | None = None) -> Future[str | None]:
    """The chain check, running in the background (a ledger never verified is read whole
    once): its result is why the chain does not verify, or None. With ``run_id``, every row
    of that run is checked too."""
    assert state.ledger is not None
    return _chain_check(state.location, state.head_seq, _bucket(), run_id, state.ledger)


@st.cache_resource(show_spinner=False, max_entries=4)
def _last_seqs(location: str, head_seq: int, _ledger: Ledger) -> dict[str, int]:
    return {row.run_id: row.last_seq for row in _ledger.runs_index()}


def last_seq(state: LedgerState, run_id: str) -> int:
    assert state.ledger is not None
    return _last_seqs(state.location, state.head_seq, state.ledger).get(run_id, 0)


@st.cache_resource(show_spinner=False, max_entries=64)
def _run(location: str, run_id: str, seq: int, bucket: int, _ledger: Ledger) -> RunView:
    return load_run(_ledger, run_id)


def run(state: LedgerState, run_id: str) -> RunView:
    assert state.ledger is not None
    return _run(state.location, run_id, last_seq(state, run_id), _bucket(), state.ledger)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _assessment(
    location: str,
    run_id: str,
    seq: int,
    parent_seq: int,
    settings_json: str,
    bucket: int,
    _ledger: Ledger,
) -> Assessment:
    settings = AssumptionSettings.model_validate_json(settings_json)
    return assess_run(_ledger, run_id, settings)


def assessment(
    state: LedgerState, view: RunView, settings: AssumptionSettings | None = None
) -> Assessment:
    """The run's assessment under ``settings``: the same call as ``ecoledger assess``."""
    assert state.ledger is not None
    settings = settings or AssumptionSettings()
    parent_seq = last_seq(state, view.parent_run_id) if view.parent_run_id else 0
    bucket = _bucket() if not view.finished else 0
    return _assessment(
        state.location,
        view.run_id,
        last_seq(state, view.run_id),
        parent_seq,
        settings.model_dump_json(),
        bucket,
        state.ledger,
    )


def _overview_settings(settings: AssumptionSettings | None) -> AssumptionSettings:
    return (settings or AssumptionSettings()).model_copy(update={"draws": OVERVIEW_DRAWS})


def overview_assessments(
    state: LedgerState, views: tuple[RunView, ...], settings: AssumptionSettings | None = None
) -> list[tuple[RunView, Assessment]]:
    """Assess every run for the overview (fewer Monte Carlo draws; central values are exact)."""
    chosen = _overview_settings(settings)
    return [(view, assessment(state, view, chosen)) for view in views]


@st.cache_resource(show_spinner=False, max_entries=8)
def _overview_totals(
    location: str,
    head_seq: int,
    bucket: int,
    run_ids: tuple[str, ...],
    settings_json: str,
    _assessments: tuple[Assessment, ...],
) -> Totals:
    return aggregate(_assessments)


def overview_totals(
    state: LedgerState,
    assessed: list[tuple[RunView, Assessment]],
    settings: AssumptionSettings | None = None,
) -> Totals:
    """The totals of ``assessed`` (from :func:`overview_assessments`) with their joint
    interval, computed once per ledger head and selection of runs (a reload, or going back to
    the overview, does not draw again)."""
    views = [view for view, _ in assessed]
    return _overview_totals(
        state.location,
        state.head_seq,
        0 if all(view.finished for view in views) else _bucket(),
        tuple(view.run_id for view in views),
        _overview_settings(settings).model_dump_json(),
        tuple(a for _, a in assessed),
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _power(
    location: str, run_id: str, seq: int, max_points: int, _ledger: Ledger
) -> tuple[PowerSeries, ...]:
    return _ledger.power_series(run_id, max_points=max_points)


def power(
    state: LedgerState, run_id: str, max_points: int = POWER_POINTS
) -> tuple[PowerSeries, ...]:
    """Each device's power, downsampled on the server to at most ``max_points`` points."""
    assert state.ledger is not None
    return _power(state.location, run_id, last_seq(state, run_id), max_points, state.ledger)


def append(state: LedgerState, entries: list[Any]) -> list[str]:
    """Append benefit or assumption entries (the only entries the dashboard writes)."""
    assert state.ledger is not None
    allowed = {"benefit", "assumptions"}
    kinds = {entry.kind for entry in entries}
    if not kinds <= allowed:
        raise ValueError(f"the dashboard writes only benefit and assumption entries, not {kinds}")
    return state.ledger.append(entries)
