"""The look shared by every chart: fonts, colours, margins, titles, axis labels with units.

Text never uses LaTeX (MathJax would be fetched from the network): ``CO2`` is written with
HTML, ``CO<sub>2</sub>``, which Plotly renders itself.
"""

from __future__ import annotations

from typing import Any

from accounting.units import J_PER_KWH, J_PER_WH

CO2 = "CO<sub>2</sub>"
KGCO2E = f"kg{CO2}e"
MAX_POINTS_PER_SERIES = 5000
"""No chart sends more points than this per series; power series are downsampled first."""

FONT = "Helvetica, Arial, sans-serif"
INK = "#222222"
GRID = "#e6e6e6"
PALETTE = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#7f7f7f",  # grey
    "#17becf",  # teal
)
POSITIVE = "#2e7d32"
NEGATIVE = "#c62828"
TOTAL = "#37474f"
APPROXIMATED_PATTERN = "/"

DEFAULT_HEIGHT = 440


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def new_figure() -> Any:
    import plotly.graph_objects as go

    return go.Figure()


TITLE_TOP_PX = 12


def finish(
    fig: Any,
    title: str,
    x_title: str | None,
    y_title: str | None,
    *,
    subtitle: str | None = None,
    legend: bool = True,
    height: int = DEFAULT_HEIGHT,
) -> Any:
    """Apply the house style: a left-aligned title, axis titles with units, legend below."""
    text = f"<b>{title}</b>"
    if subtitle:
        text += f"<br><span style='font-size:12px;color:#555'>{subtitle}</span>"
    fig.update_layout(
        title={
            "text": text,
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            # a little below the container's top edge: a multi-line title anchored at exactly
            # 1.0 loses its first line in static (kaleido) exports
            "y": 1.0 - TITLE_TOP_PX / height,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 12, "l": 12},
        },
        font={"family": FONT, "size": 13, "color": INK},
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 90 if subtitle else 60, "b": 110 if legend else 60},
        showlegend=legend,
        legend={
            "orientation": "h",
            "xref": "container",
            "x": 0.0,
            "xanchor": "left",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "font": {"size": 12},
            "bgcolor": "rgba(0,0,0,0)",
        },
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title, gridcolor=GRID, zerolinecolor="#bbbbbb")
    if y_title is not None:
        fig.update_yaxes(title_text=y_title, gridcolor=GRID, zerolinecolor="#bbbbbb")
    return fig


def empty_note(fig: Any, message: str) -> Any:
    """A chart with nothing to draw says so in its middle, and hides its empty axes."""
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": "#666666"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def short_device(device_id: str) -> str:
    """``GPU-6f1c2a10-…-00000000a100`` → ``GPU …a100``; short ids stay as they are."""
    if len(device_id) <= 12:
        return device_id
    head = device_id.split("-", 1)[0]
    return f"{head} …{device_id[-4:]}"


def short_devices(device_ids: list[str]) -> dict[str, str]:
    """Short names that still tell the devices apart: ``GPU-6f1c2a10`` (the UUID's first
    group), else ``GPU …a100`` (its end), else the full id."""
    ids = list(dict.fromkeys(device_ids))

    def head(d: str) -> str:
        parts = d.split("-")
        return "-".join(parts[:2]) if len(parts) > 2 and len(d) > 12 else d

    for shorten in (head, short_device, lambda d: d):
        names = {d: shorten(d) for d in ids}
        if len(set(names.values())) == len(ids):
            return names
    return {d: d for d in ids}


def short_model(model: str, limit: int = 18) -> str:
    """``NVIDIA A100-SXM4-40GB`` → ``A100-SXM4-40GB``; long names end with an ellipsis."""
    text = model.removeprefix("NVIDIA ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def device_label(device_id: str, kind: str | None = None, model: str | None = None) -> str:
    """A device on one line: ``GPU …a100 (A100-SXM4-40GB)``."""
    name = short_device(device_id)
    if model:
        return f"{name} ({short_model(model)})"
    if kind and kind.lower() not in name.lower():
        return f"{kind} {name}"
    return name


def energy_scale(max_j: float) -> tuple[str, float]:
    """The unit that shows ``max_j`` joules with a readable number: (unit, joules per unit)."""
    for unit, joules in (("MWh", 1000 * J_PER_KWH), ("kWh", J_PER_KWH), ("Wh", J_PER_WH)):
        if max_j >= joules:
            return unit, joules
    return ("J", 1.0) if max_j < 36.0 else ("Wh", J_PER_WH)
