"""Report: generate a run's (or a project's) report in each format of ``ecoledger report``
and download it."""

from __future__ import annotations

import streamlit as st

from accounting.assessment import AssumptionSettings
from accounting.errors import EcoledgerError
from dashboard import report_files, ui

st.title("Report")
state = ui.ledger_or_stop()
views = ui.runs_or_stop(state)

formats = report_files.available_formats()
if not formats:
    st.warning("The report library is not installed: no report can be generated.")
    st.stop()

from accounting.reports.facts import Scope  # noqa: E402  (after the library check)

kind = st.radio("Report on", ["one run", "a project"], horizontal=True, key="report_kind")
if kind == "one run":
    view = ui.pick_run(views, key="report_run")
    scope = Scope("run", run_id=view.run_id)
    st.caption(
        "A run report covers the run and, for an inference run, the training run it amortizes."
    )
else:
    projects = sorted({v.project for v in views if v.project})
    if not projects:
        st.info("No run has a project yet (`ecoledger run --project NAME ...`).")
        st.stop()
    project = st.selectbox("Project", projects, key="report_project")
    scope = Scope("project", project=project)
    st.caption("A project report covers every run of the project, failed ones included.")

fmt = st.selectbox(
    "Format",
    formats,
    format_func=lambda f: report_files.FORMATS[f][0],
    key="report_format",
)
st.caption(
    "Default assumptions, or the run's recorded ones (save yours on the Cost–benefit page). "
    "Same content as `ecoledger report`."
    + (" " + report_files.BROWSER_NOTES[fmt] if fmt in report_files.BROWSER_NOTES else "")
)
wanted = (scope, fmt)
if st.button("Generate the report", key="report_generate", type="primary"):
    try:
        with st.spinner("Generating…"):
            files = report_files.make_report(state.ledger, scope, fmt, AssumptionSettings())
    except EcoledgerError as exc:
        st.error(ui.error_text(exc))
        st.stop()
    st.session_state["report_files"] = (wanted, files)

made = st.session_state.get("report_files")
if made and made[0] == wanted:
    for i, file in enumerate(made[1]):
        st.download_button(
            f"Download {file.name}",
            data=file.data,
            file_name=file.name,
            mime=file.mime,
            key=f"report_download_{i}",
            type="primary" if i == 0 else "secondary",
        )
    first = made[1][0]
    if first.mime in ("text/markdown", "application/json", "application/x-tex"):
        with st.expander("Preview", expanded=first.mime == "text/markdown"):
            text = first.data.decode("utf-8")
            if first.mime == "text/markdown":
                st.markdown(text)
            else:
                st.code(text[:20000], language="json" if fmt == "json" else "latex")
