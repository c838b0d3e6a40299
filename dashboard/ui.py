"""Small pieces every page uses: the ledger guard, the run picker, charts, numbers with units.

Numbers are formatted here for display only; every value comes from the library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from datetime import UTC, datetime, time
from typing import Any

import streamlit as st

from accounting.reports.escape import markdown_text
from accounting.runs import RunView
from dashboard import data

Period = tuple[datetime, datetime]

PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
STATUS_BADGES = {
    "completed": ":green-badge[completed]",
    "running": ":blue-badge[running]",
    "stalled": ":orange-badge[stalled]",
    "failed": ":red-badge[failed]",
    "lost": ":red-badge[lost]",
    "interrupted": ":orange-badge[interrupted]",
    "budget_exceeded": ":orange-badge[budget exceeded]",
}
FIRST_RUN_HELP = """\
This ledger has no runs yet. Record a first one:

```sh
# meter any command (a training script, a notebook export, a server)
ecoledger run --ledger {ledger} --name my-first-run --country FRA -- python train.py

# or write a short demonstration run
ecoledger demo --ledger {ledger}
```

Inside Python, `ecoledger.track(...)` records a run from the training loop.
This page refreshes by itself once the run is recorded.
"""
RUN_PARAM = "run"


OPTION_NAMES = {
    "pue_preset": "--pue",
    "benefit_per_use_usd": "--benefit-per-use",
    "social_benefit_usd": "--social-benefit",
}
"""Settings whose ``ecoledger assess`` option is not ``--`` + the name with dashes."""


def cli_option(name: str) -> str:
    """The ``ecoledger`` option that sets ``name`` (the dashboard mirrors the CLI)."""
    return OPTION_NAMES.get(name, "--" + name.replace("_", "-"))


def error_text(error: object) -> str:
    """A library error's first line for the page, each `field` shown as its CLI option."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return plain(re.sub(r"`([a-z][a-z0-9_]*)`", lambda m: cli_option(m.group(1)), first))


def plain(text: object) -> str:
    """User text (a name, a project, a tag, a note, a problem, an error) for any Streamlit
    element that renders Markdown: shown as the text itself, never as a link, an image,
    math, an emoji or colour code, nor HTML."""
    return markdown_text(text).replace(":", "\\:")


def code_safe(text: object) -> str:
    """User text for inside a code block (no backticks, one line)."""
    return " ".join(str(text).replace("`", "'").split())


def ledger_or_stop(banner: bool = True) -> data.LedgerState:
    """The open ledger; a clear message (never a traceback) and stop when it is unusable.
    ``banner``: say when the chain does not verify (a page that shows one run calls
    :func:`chain_banner` with it instead)."""
    state = data.current()
    if state.error is not None:
        st.error(f"Cannot open the ledger. {plain(state.error)}", icon=None)
        st.markdown(
            "Start the dashboard on an ecoledger ledger: `ecoledger dashboard --ledger "
            "PATH_OR_URL` (or set `ECOLEDGER_LEDGER`)."
        )
        st.stop()
    if banner:
        chain_banner(state)
    return state


def chain_banner(state: data.LedgerState, run_id: str | None = None) -> None:
    """A banner when the chain does not verify (with ``run_id``: that run's rows included).
    The check runs in the background; the page waits for it at most ``CHAIN_WAIT_S``."""
    check = data.chain_check(state, run_id)
    try:
        _show_chain_warning(check.result(timeout=data.CHAIN_WAIT_S))
    except FuturesTimeout:
        st.fragment(run_every=2)(_chain_banner_later)(check)


def _chain_banner_later(check: Future[str | None]) -> None:
    if check.done():
        _show_chain_warning(check.result())
    else:
        st.caption("Checking the ledger's hash chain…")


def _show_chain_warning(warning: str | None) -> None:
    if warning:
        # the reason may quote tampered columns: shown as plain text, never Markdown
        st.error("This ledger does not verify: the figures below may have been tampered with.")
        st.text(warning)


def runs_or_stop(state: data.LedgerState) -> tuple[RunView, ...]:
    """The runs; on an empty ledger, how to record a first run (and a refresh every 5 s)."""
    views = data.runs(state)
    if not views:
        st.info("No runs recorded yet.")
        st.markdown(FIRST_RUN_HELP.format(ledger=code_safe(state.shown)))
        _wait_for_first_run(state.head_seq)
        st.stop()
    synthetic = sum(1 for v in views if v.synthetic)
    if synthetic:
        st.warning(
            f"SYNTHETIC DATA: {synthetic} of {len(views)} runs were made up by "
            "`ecoledger demo --synthetic` to try the tools; nothing of theirs was measured.",
            icon="⚠️",
        )
    return views


@st.fragment(run_every=5)
def _wait_for_first_run(seen_head: int) -> None:
    state = data.current()
    if state.ledger is not None and state.head_seq != seen_head:
        st.rerun()


def chart(fig: Any, key: str | None = None) -> None:
    st.plotly_chart(fig, theme=None, config=PLOTLY_CONFIG, key=key)


def run_label(view: RunView) -> str:
    started = view.started_at.strftime("%Y-%m-%d %H:%M")
    return f"{view.name} · {view.status} · {started} · {view.run_id[:8]}"


def pick_run(
    views: Sequence[RunView], *, key: str, label: str = "Run", default_id: str | None = None
) -> RunView:
    """A run chooser shared by the pages: the ``?run=`` query parameter (a full id or a
    prefix), then the run last chosen on any page, then ``default_id``, then the newest."""
    ids = [v.run_id for v in views]
    wanted = st.query_params.get(RUN_PARAM) or st.session_state.get("selected_run") or default_id
    index = 0
    if wanted:
        match = [i for i, run_id in enumerate(ids) if run_id.startswith(str(wanted).lower())]
        if match:
            index = match[0]
    if key in st.session_state and st.session_state[key] in ids:
        index = ids.index(st.session_state[key])
    chosen = st.selectbox(
        label,
        ids,
        index=index,
        key=key,
        format_func=lambda run_id: run_label(views[ids.index(run_id)]),
    )
    st.session_state["selected_run"] = chosen
    st.query_params[RUN_PARAM] = chosen
    return views[ids.index(chosen)]


def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, status)


def _amount(value: float, unit: str, thousandth: str) -> str:
    """``value`` in ``unit``; under 1, in ``thousandth`` (Wh for kWh, g for kg)."""
    if value == 0:
        return f"0 {unit}"
    if abs(value) < 1:
        return f"{value * 1000:.4g} {thousandth}"
    return f"{value:,.4g} {unit}" if abs(value) < 1e4 else f"{value:,.0f} {unit}"


def kwh(value: float) -> str:
    return _amount(value, "kWh", "Wh")


def kg(value: float) -> str:
    return _amount(value, "kgCO₂e", "gCO₂e")


def period_input(container: Any, label: str, views: Sequence[RunView], key: str) -> Period:
    """A date range over the days the runs started (UTC), as (since, until) spanning whole
    days; an empty or half-picked range means all of them."""
    first_day = min(v.started_at for v in views).date()
    last_day = max(v.started_at for v in views).date()
    period = container.date_input(
        label,
        value=(first_day, last_day),
        min_value=first_day,
        max_value=last_day,
        key=key,
    )
    start_day, end_day = (
        (period[0], period[-1]) if isinstance(period, tuple) and period else (first_day, last_day)
    )
    return datetime.combine(start_day, time.min, UTC), datetime.combine(end_day, time.max, UTC)


def litres(value: float) -> str:
    return f"{value:,.4g} L" if abs(value) < 1e4 else f"{value:,.0f} L"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{seconds:.1f} s"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {sec:02d} s"
