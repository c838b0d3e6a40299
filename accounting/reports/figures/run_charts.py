"""Charts of one run's measurements: power over time, energy by device and phase, energy per
step, energy per request. Input: a :class:`~accounting.runs.RunView` and the store's
downsampled :class:`~accounting.store.power.PowerSeries`; output: a Plotly figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from accounting.reports.figures.style import (
    APPROXIMATED_PATTERN,
    MAX_POINTS_PER_SERIES,
    colour,
    device_label,
    empty_note,
    energy_scale,
    finish,
    new_figure,
    rgba,
    short_devices,
    short_model,
)

_RANGE = re.compile(r"^(?P<kind>step|request|requests|batch):(?P<a>\d+)(?:-(?P<b>\d+))?$")


def _check_points(n: int, what: str) -> None:
    if n > MAX_POINTS_PER_SERIES:
        raise ValueError(
            f"{what}: {n} points in one series (max {MAX_POINTS_PER_SERIES}); "
            "downsample it first (Ledger.power_series(max_points=...))"
        )


def device_labels(run: Any) -> dict[str, str]:
    """``device_id`` → a short readable label that tells the run's devices apart."""
    short = short_devices([d.device_id for d in run.devices])
    return {d.device_id: f"{short[d.device_id]} ({short_model(d.model)})" for d in run.devices}


def power_timeline(
    series: Sequence[Any],
    labels: Mapping[str, str] | None = None,
    *,
    title: str = "Power per device",
    subtitle: str | None = None,
) -> Any:
    """Power (W) against time (UTC), one line per device; a downsampled series also shows
    the band between each bucket's minimum and maximum."""
    fig = new_figure()
    import plotly.graph_objects as go

    labels = labels or {}
    notes = []
    for i, s in enumerate(series):
        n = len(s.t_s)
        _check_points(n, f"power of {s.device_id}")
        if n == 0:
            continue
        x = [datetime.fromtimestamp(t, UTC) for t in s.t_s]
        name = labels.get(s.device_id) or device_label(s.device_id, s.device_kind)
        c = colour(i)
        if s.downsampled:
            notes.append(f"{s.samples:,} samples → {n:,} points")
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=list(s.power_max_w) + list(s.power_min_w)[::-1],
                    fill="toself",
                    fillcolor=rgba(c, 0.18),
                    line={"width": 0},
                    hoverinfo="skip",
                    name=f"{name} min–max",
                    showlegend=False,
                    legendgroup=s.device_id,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list(s.power_w),
                mode="lines",
                name=name,
                line={"color": c, "width": 1.6},
                legendgroup=s.device_id,
                hovertemplate="%{x|%Y-%m-%d %H:%M:%S} UTC<br>%{y:.1f} W<extra>" + name + "</extra>",
            )
        )
    if not fig.data:
        return finish(empty_note(fig, "No power samples recorded for this run"), title, None, None)
    if notes and subtitle is None:
        subtitle = "Downsampled on the server (bucket means, band: min–max): " + "; ".join(
            sorted(set(notes))
        )
    fig.update_yaxes(rangemode="tozero")
    return finish(fig, title, "Time (UTC)", "Power (W)", subtitle=subtitle)


def _phase_windows(run: Any) -> list[Any]:
    return [w for w in run.windows if w.key.startswith("phase:")]


def energy_by_device_and_phase(run: Any, *, title: str = "Energy by device and phase") -> Any:
    """The run's IT energy per device (coloured by method; approximated figures hatched and
    marked ≈) and, in a second panel, per phase window when the run recorded phases."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    phases = _phase_windows(run)
    max_j = max([d.energy_j for d in run.devices] + [w.energy_j for w in phases] + [0.0])
    unit, per = energy_scale(max_j)
    if phases:
        fig = make_subplots(
            rows=1,
            cols=2,
            column_widths=[0.68, 0.32],
            subplot_titles=("By device (colour: method)", "By phase"),
            horizontal_spacing=0.12,
        )
    else:
        fig = new_figure()
    place = {"row": 1, "col": 1} if phases else {}
    short = short_devices([d.device_id for d in run.devices])
    labels = {
        d.device_id: f"{short[d.device_id]}<br>{short_model(d.model, 16)}" for d in run.devices
    }
    methods: dict[str, int] = {}
    for d in run.devices:
        methods.setdefault(d.method, len(methods))
    for method, i in methods.items():
        devs = [d for d in run.devices if d.method == method]
        fig.add_trace(
            go.Bar(
                x=[labels[d.device_id] for d in devs],
                y=[d.energy_j / per for d in devs],
                name=method + (" (approximated)" if any(d.approximated for d in devs) else ""),
                marker={
                    "color": colour(i),
                    "pattern": {
                        "shape": [APPROXIMATED_PATTERN if d.approximated else "" for d in devs]
                    },
                },
                text=[("≈ " if d.approximated else "") + f"{d.energy_j / per:.3g}" for d in devs],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}<br>%{y:.4g} " + unit + "<extra>" + method + "</extra>",
            ),
            **place,
        )
    if phases:
        fig.add_trace(
            go.Bar(
                x=[w.key.removeprefix("phase:") for w in phases],
                y=[w.energy_j / per for w in phases],
                name="phase windows",
                marker={
                    "color": "#607d8b",
                    "pattern": {
                        "shape": [APPROXIMATED_PATTERN if w.approximated else "" for w in phases]
                    },
                },
                text=[("≈ " if w.approximated else "") + f"{w.energy_j / per:.3g}" for w in phases],
                textposition="outside",
                cliponaxis=False,
                showlegend=False,
                hovertemplate="%{x}<br>%{y:.4g} " + unit + "<extra>phase</extra>",
            ),
            row=1,
            col=2,
        )
    if not run.devices:
        return finish(empty_note(fig, "No energy recorded for this run"), title, None, None)
    subtitle = "IT energy measured at the devices; ≈ and hatching: approximated method"
    if not phases:
        subtitle += "; no phase windows recorded"
    finish(fig, title, None, None, subtitle=subtitle, height=460)
    fig.update_yaxes(rangemode="tozero", title_text=f"Energy ({unit})")
    fig.update_xaxes(tickangle=0, tickfont={"size": 11})
    if phases:
        fig.update_xaxes(title_text="Device", row=1, col=1)
        fig.update_xaxes(title_text="Phase", row=1, col=2)
        fig.update_layout(margin={"t": 110})
    else:
        fig.update_xaxes(title_text="Device")
    return fig


def range_windows(run: Any, kind: str) -> list[tuple[int, int, Any]]:
    """Windows ``kind:a-b`` with a count, as (a, b, window), in order of a."""
    found = []
    for w in run.windows:
        m = _RANGE.match(w.key)
        if m and m.group("kind").rstrip("s") == kind and w.count:
            a = int(m.group("a"))
            b = int(m.group("b") or a)
            found.append((a, b, w))
    return sorted(found, key=lambda item: item[0])


def energy_per_step(run: Any, *, title: str = "Energy per training step") -> Any:
    """J per step of each aggregated ``step:a-b`` window (all devices), against the step."""
    import plotly.graph_objects as go

    fig = new_figure()
    steps = range_windows(run, "step")
    _check_points(len(steps), "energy per step")
    if not steps:
        return finish(empty_note(fig, "No step windows recorded for this run"), title, None, None)
    approximated = any(w.approximated for _, _, w in steps)
    fig.add_trace(
        go.Scatter(
            x=[(a + b) / 2 for a, b, _ in steps],
            y=[w.energy_j / w.count for _, _, w in steps],
            customdata=[[a, b, w.count] for a, b, w in steps],
            mode="lines+markers",
            name="energy per step",
            line={"color": colour(0), "width": 2},
            marker={"size": 6},
            hovertemplate="steps %{customdata[0]}–%{customdata[1]} (%{customdata[2]} steps)"
            "<br>%{y:.4g} J/step<extra></extra>",
        )
    )
    fig.update_yaxes(rangemode="tozero")
    total = sum(w.count for _, _, w in steps)
    sub = f"{len(steps)} windows, {total:,} steps, all devices of the run"
    if approximated:
        sub += "; includes approximated energy"
    return finish(fig, title, "Training step", "Energy per step (J)", subtitle=sub, legend=False)


def energy_per_request(run: Any, *, title: str = "Inference: energy per request") -> Any:
    """J per request of each ``request:a-b`` window, against the request number."""
    import plotly.graph_objects as go

    fig = new_figure()
    batches = range_windows(run, "request")
    _check_points(len(batches), "energy per request")
    if not batches:
        return finish(
            empty_note(fig, "No request windows recorded for this run"), title, None, None
        )
    fig.add_trace(
        go.Bar(
            x=[(a + b) / 2 for a, b, _ in batches],
            y=[w.energy_j / w.count for _, _, w in batches],
            width=[max(1, b - a + 1) * 0.9 for a, b, _ in batches],
            customdata=[[a, b, w.count] for a, b, w in batches],
            marker={"color": colour(1)},
            name="energy per request",
            hovertemplate="requests %{customdata[0]}–%{customdata[1]} (%{customdata[2]})"
            "<br>%{y:.4g} J/request<extra></extra>",
        )
    )
    total = sum(w.count for _, _, w in batches)
    sub = f"{total:,} requests in {len(batches)} windows; energy of the metered devices"
    return finish(
        fig, title, "Request number", "Energy per request (J)", subtitle=sub, legend=False
    )
