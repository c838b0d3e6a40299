"""Charts as pure functions, shared by the dashboard and the reports: data in, Plotly figure out.

Run data (:class:`~accounting.runs.RunView`, the store's downsampled power series) or an
:class:`~accounting.assessment.Assessment` go in; a ``plotly.graph_objects.Figure`` comes
out, with a title, axis titles with units and no LaTeX (nothing is fetched from the network).
Plotly is imported inside the functions, so importing this package stays light.
"""

from accounting.reports.figures.assessment_charts import (
    break_even_curve,
    costliest_runs,
    counterfactual_bars,
    net_benefit_interval,
    net_benefit_waterfall,
    sensitivity_tornado,
)
from accounting.reports.figures.run_charts import (
    energy_by_device_and_phase,
    energy_per_request,
    energy_per_step,
    power_timeline,
)
from accounting.reports.figures.style import MAX_POINTS_PER_SERIES

__all__ = [
    "MAX_POINTS_PER_SERIES",
    "break_even_curve",
    "costliest_runs",
    "counterfactual_bars",
    "energy_by_device_and_phase",
    "energy_per_request",
    "energy_per_step",
    "net_benefit_interval",
    "net_benefit_waterfall",
    "power_timeline",
    "sensitivity_tornado",
]
