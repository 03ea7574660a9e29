"""Plotly figures of the "EM step by step" page (Choose k's are in :mod:`gmm_core.plots.choose_k`).

Pure builders like :mod:`gmm_core.plots.compare` (``*_figure(...) -> go.Figure``,
explicit colours, no fitting, no Streamlit), with the same component colours:
component ``j`` is ``figures.PALETTE[j]``.

* :func:`em_animation_figure` -- the data coloured by responsibility (each
  point takes its most likely component's colour, faded when the
  responsibilities are shared, as on the Compare page), the 1σ and 2σ ellipses and means of a step with the
  previous step's ghosted, and the log-likelihood curve with the step
  marked.  It carries one plotly *frame* per animated step, so Play/Pause
  and its slider run in the browser without asking the server.
* :func:`responsibility_heatmap_figure` -- points x components.
"""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gmm_core.analysis.geometry import ellipse_points
from gmm_core.plots.theme import AXIS_STYLE as _GRID
from gmm_core.plots.theme import FONT as _FONT
from gmm_core.plots.theme import INK as _INK
from gmm_core.plots.theme import PALETTE, escape, rgba, segment_names

__all__ = [
    "point_style",
    "em_animation_figure",
    "responsibility_heatmap_figure",
]

_ELLIPSE_POINTS = 49
_UNASSIGNED = "#A6A6A6"  # points before the first E-step

def point_style(resp, n_components):
    """Colour value and opacity of each point: its most likely component, faded when unsure.

    As on the Compare page, a point is opaque when one component is sure of it
    and faint when the responsibilities are shared evenly.  ``resp=None`` (before
    the first E-step) gives colour value -1, drawn grey.  Numbers, not colour
    strings, so that animation frames stay cheap to build.

    >>> c, a = point_style(np.array([[1.0, 0.0], [0.5, 0.5]]), 2)
    >>> c.tolist(), a.round(2).tolist()
    ([0, 0], [0.95, 0.12])
    """
    if resp is None:
        return None, None
    resp = np.asarray(resp, dtype=float)
    k = int(n_components)
    certainty = resp.max(axis=1)
    floor = 1.0 / max(k, 1)
    sure = (np.clip((certainty - floor) / (1.0 - floor), 0.0, 1.0) if k > 1
            else np.ones_like(certainty))
    return resp.argmax(axis=1), 0.12 + 0.83 * sure


def _colourscale(k):
    """Discrete scale over values -1 (grey, unassigned), 0, ..., k-1 (palette)."""
    colours = [_UNASSIGNED] + [PALETTE[j % len(PALETTE)] for j in range(k)]
    n = len(colours)
    scale = []
    for i, c in enumerate(colours):
        scale += [(i / n, c), ((i + 1) / n, c)]
    return scale


def _ellipse(mean, cov, radius):
    pts = ellipse_points(mean, cov, radius=radius, n_points=_ELLIPSE_POINTS).astype(np.float32)
    return pts[:, 0], pts[:, 1]


def _frame_traces(points, frame, k, with_points=False):
    """Every animated trace of one step, in a fixed order (see :func:`em_animation_figure`)."""
    values, alpha = point_style(frame["resp"], k)
    if values is None:
        values, alpha = np.full(points.shape[0], -1), np.full(points.shape[0], 0.6)
    trace = go.Scatter
    # the points never move: frames carry only their colours (compact dtypes keep
    # the figure light; 60 frames of 2,000 points)
    first = dict(x=points[:, 0], y=points[:, 1]) if with_points else {}
    traces = [trace(marker=dict(color=np.asarray(values, dtype=np.int8),
                                opacity=np.asarray(alpha, dtype=np.float32)), **first)]
    for j in range(k):
        for radius in (1.0, 2.0):
            x, y = _ellipse(frame["prev_means"][j], frame["prev_covariances"][j], radius)
            traces.append(trace(x=x, y=y))
    for j in range(k):
        for radius in (1.0, 2.0):
            x, y = _ellipse(frame["means"][j], frame["covariances"][j], radius)
            traces.append(trace(x=x, y=y))
    traces.append(trace(x=frame["prev_means"][:, 0], y=frame["prev_means"][:, 1]))
    traces.append(trace(x=frame["means"][:, 0], y=frame["means"][:, 1]))
    traces.append(trace(x=[frame["index"]], y=[frame["log_likelihood"]]))
    return traces


def _title(frame):
    return f"step {frame['index']}: {frame['label']}"


def em_animation_figure(points, frames, log_likelihoods, *, x_range, y_range, axis_titles,
                        current=0, names=None, frame_ms=450):
    """The EM run as an animation: data and components left, log-likelihood right.

    Parameters
    ----------
    points : ndarray (n, 2)
        Displayed points in plot units (a subsample; the same in every frame).
    frames : list of dict
        One per animated step (see :class:`gmm_core.analysis.explain.EMView`): ``index``,
        ``label``, ``resp`` (n, K; None: grey, not yet assigned), ``means`` (K, 2), ``covariances`` (K, 2, 2),
        ``prev_means``, ``prev_covariances``, ``log_likelihood``.
    log_likelihoods : ndarray (n_steps,)
        Mean log-likelihood at every step of the run.
    current : int
        Position in ``frames`` of the step drawn before Play is pressed.
    names : list of str, optional
        Legend text per component.
    frame_ms : int
        Milliseconds per frame when playing.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces, in order: points; previous-step 1σ/2σ ellipses per component;
        current 1σ/2σ ellipses per component; previous means; means; the
        log-likelihood curve; the current-step marker.  Every trace but the
        curve is animated.
    """
    points = np.asarray(points, dtype=float)
    k = frames[0]["means"].shape[0]
    names = names or segment_names(k)
    current = int(np.clip(current, 0, len(frames) - 1))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.64, 0.36], horizontal_spacing=0.1,
                        subplot_titles=("Points coloured by responsibility",
                                        "Log-likelihood per point"))
    base = _frame_traces(points, frames[current], k, with_points=True)
    # styles (kept by frames, which only replace data arrays)
    base[0].update(mode="markers", name="points", hoverinfo="skip", showlegend=False,
                   marker=dict(size=6, line=dict(width=0), colorscale=_colourscale(k),
                               cmin=-1.5, cmax=k - 0.5, showscale=False))
    pos = 1
    for j in range(k):
        for i, _ in enumerate((1, 2)):
            base[pos].update(mode="lines", hoverinfo="skip", legendgroup="previous",
                             name="previous step", showlegend=(j == 0 and i == 0),
                             line=dict(color=rgba(j, 0.55), width=1.5, dash="dot"))
            pos += 1
    for j in range(k):
        for i, dash in enumerate(("solid", "dash")):
            base[pos].update(mode="lines", hoverinfo="skip", legendgroup=f"c{j}",
                             name=names[j], showlegend=(i == 0),
                             line=dict(color=PALETTE[j % len(PALETTE)], width=3, dash=dash))
            pos += 1
    base[pos].update(mode="markers", name="previous means", legendgroup="previous",
                     showlegend=False, hoverinfo="skip",
                     marker=dict(size=11, symbol="diamond-open",
                                 color=[rgba(j, 0.7) for j in range(k)], line=dict(width=2)))
    base[pos + 1].update(mode="markers", name="means", showlegend=False,
                         marker=dict(size=15, symbol="diamond",
                                     color=[PALETTE[j % len(PALETTE)] for j in range(k)],
                                     line=dict(width=2, color=_INK)),
                         hovertemplate="mean<br>x=%{x:.3g}<br>y=%{y:.3g}<extra></extra>")
    marker = base[pos + 2]
    marker.update(mode="markers", name="this step", showlegend=False,
                  marker=dict(size=13, color="#C0392B", line=dict(width=2, color="white")),
                  hovertemplate="step %{x}<br>log-likelihood %{y:.4f}<extra></extra>")
    for tr in base[:-1]:
        fig.add_trace(tr, row=1, col=1)
    steps = np.arange(len(log_likelihoods))
    fig.add_trace(go.Scatter(x=steps, y=np.asarray(log_likelihoods, dtype=float),
                             mode="lines+markers", name="log-likelihood", showlegend=False,
                             line=dict(color="#555555", width=2), marker=dict(size=4),
                             hovertemplate="step %{x}<br>%{y:.4f}<extra></extra>"), row=1, col=2)
    fig.add_trace(marker, row=1, col=2)
    n_traces = len(fig.data)
    animated = list(range(n_traces - 2)) + [n_traces - 1]

    fig.frames = [go.Frame(name=str(f["index"]), data=_frame_traces(points, f, k),
                           traces=animated) for f in frames]
    play = dict(frame=dict(duration=int(frame_ms), redraw=False), fromcurrent=True,
                transition=dict(duration=int(frame_ms * 0.6), easing="cubic-in-out"),
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                 mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.16, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=10), showactive=False,
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], pause])])],
        sliders=[dict(active=current, x=0.2, len=0.8, y=-0.13, yanchor="top",
                      currentvalue=dict(prefix="Showing ", font=dict(size=14, color=_INK)),
                      font=dict(color="rgba(0,0,0,0)"), ticklen=3, pad=dict(t=0, b=0),
                      steps=[dict(label=_title(f), method="animate",
                                  args=[[str(f["index"])], pause]) for f in frames])],
        font=_FONT, height=660, plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=64, r=16, t=40, b=190),
        legend=dict(orientation="h", x=0.0, y=-0.3, yanchor="top", font=dict(size=13)),
        hovermode="closest",
    )
    fig.update_xaxes(**_GRID)
    fig.update_yaxes(**_GRID)
    fig.update_xaxes(range=list(x_range), title_text=escape(axis_titles[0]), row=1, col=1)
    fig.update_yaxes(range=list(y_range), title_text=escape(axis_titles[1]), row=1, col=1)
    ll = np.asarray(log_likelihoods, dtype=float)
    lo, hi = float(np.min(ll)), float(np.max(ll))
    pad = 0.06 * (hi - lo) if hi > lo else 0.1
    fig.update_xaxes(range=[-0.5, len(ll) - 0.5], title_text="step (half-steps: E, M, E, M, …)",
                     row=1, col=2)
    fig.update_yaxes(range=[lo - pad, hi + pad], title_text="mean log-likelihood", row=1, col=2)
    return fig


def responsibility_heatmap_figure(resp, hover, *, names=None, title=None):
    """Responsibilities as a heatmap: one column per point, one row per component.

    Parameters
    ----------
    resp : ndarray (n, K)
        Rows already chosen and sorted (:func:`gmm_core.analysis.explain.heatmap_rows`).
    hover : sequence of str
        What hovering a point names (row number and feature values); escaped
        here, so user strings are shown as text.
    names : list of str, optional
        Component names; the tick labels take the component colours.
    """
    resp = np.asarray(resp, dtype=float)
    n, k = resp.shape
    names = names or segment_names(k)
    safe = [escape(str(h)) for h in hover]
    custom = np.array([safe] * k, dtype=object)
    ticks = [f"<span style='color:{PALETTE[j % len(PALETTE)]}'><b>{names[j]}</b></span>"
             for j in range(k)]
    fig = go.Figure(go.Heatmap(
        z=resp.T, x=np.arange(n), y=np.arange(k), customdata=custom, zmin=0.0, zmax=1.0,
        colorscale=[(0.0, "#FFFFFF"), (0.5, "#8C9DB5"), (1.0, "#1D2B44")],
        colorbar=dict(title=dict(text="r", side="right"), thickness=12, len=0.9),
        hovertemplate="%{customdata}<br>component %{y}: responsibility %{z:.3f}<extra></extra>",
        xgap=0, ygap=2))
    fig.update_layout(
        title=dict(text=title or f"Responsibilities of {n} points", x=0.0, xanchor="left",
                   font=dict(size=16)),
        font=_FONT, height=150 + 34 * k, plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=80, r=10, t=44, b=44))
    fig.update_yaxes(tickvals=list(range(k)), ticktext=ticks, autorange="reversed")
    fig.update_xaxes(title_text="points, grouped by most likely component, most certain first",
                     showticklabels=False)
    return fig
