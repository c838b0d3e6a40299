"""The ecoledger cost dashboard (Streamlit). Start it with ``ecoledger dashboard``.

The ledger comes from ``$ECOLEDGER_LEDGER`` (a SQLite path or a PostgreSQL URL). Pages:
overview, runs, cost–benefit, compare, report. Every number comes from the library (the
same assessment as ``ecoledger assess``); the dashboard writes only benefit and assumption
entries.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# ``streamlit run dashboard/app.py`` puts dashboard/ first on sys.path; the package is wanted.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboard import ui  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="ecoledger", layout="wide", initial_sidebar_state="expanded")

pages = [
    st.Page(str(VIEWS / "overview.py"), title="Overview", default=True),
    st.Page(str(VIEWS / "runs.py"), title="Runs", url_path="runs"),
    st.Page(str(VIEWS / "cost_benefit.py"), title="Cost–benefit", url_path="cost_benefit"),
    st.Page(str(VIEWS / "compare.py"), title="Compare", url_path="compare"),
    st.Page(str(VIEWS / "report.py"), title="Report", url_path="report"),
]
navigation = st.navigation(pages)
# metric values carry their unit ("198.4 gCO₂e"): a smaller font keeps them on one line
st.markdown(
    "<style>[data-testid='stMetricValue'] { font-size: 1.35rem; }</style>",
    unsafe_allow_html=True,
)

state = ui.ledger_or_stop()
with st.sidebar:
    st.caption(f"Ledger: {ui.plain(state.shown)}  \n{state.head_seq:,} entries")
navigation.run()
