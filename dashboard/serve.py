"""Start Streamlit on ``dashboard/app.py`` with the dashboard warmed up first.

``ecoledger dashboard`` runs ``python -m dashboard.serve [streamlit run options]``. Before
Streamlit accepts connections, the heavy modules are imported: the assessment, SQLAlchemy,
Plotly, and pandas (which Streamlit's tables import on first use). Then, while the server
starts, a background thread fills the dashboard's caches with the run list, every run's
overview assessment and their totals, through the same cached functions the pages call. The first page a
user opens is then served from warm caches. Warming is only an optimisation: any failure in
it is ignored (the page reports the problem itself).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def warm() -> None:
    try:
        from dashboard import data

        state = data.current()
        if state.ledger is None:
            return
        views = data.runs(state)
        data.overview_totals(state, data.overview_assessments(state, views))
    except Exception:  # noqa: BLE001 - an optimisation must never stop the server
        return


def main(argv: list[str]) -> int:
    import logging

    import pandas  # noqa: F401  - st.dataframe imports it on the overview's first table
    import plotly.graph_objects  # noqa: F401
    import plotly.subplots  # noqa: F401

    import accounting.reports.figures  # noqa: F401
    import dashboard.data  # noqa: F401

    # cached functions called outside a script run log a harmless "no runtime" warning
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    threading.Thread(target=warm, name="ecoledger-warm", daemon=True).start()
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return int(streamlit_cli.main(prog_name="streamlit") or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
