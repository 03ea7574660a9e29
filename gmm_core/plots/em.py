"""Plotly figures of the "EM step by step" page (Choose k's are in :mod:`gmm_core.plots.choose_k`).

Pure builders like :mod:`gmm_core.plots.compare` (``*_figure(...) -> go.Figure``,
explicit colours, no fitting, no Streamlit), with the same component colours:
component ``j`` is ``theme.colour(j)``.

* :func:`em_step_figure` -- one step: the data coloured by responsibility (each
  point takes its most likely component's colour, faded when the
  responsibilities are shared, as on the Compare page), the 1σ and 2σ ellipses
  and means with the previous step's ghosted, the explained row ringed, and
  the log-likelihood curve with the step marked (:func:`log_likelihood_range`
  keeps it readable whatever the start).  The page steps by redrawing it:
  one step, one figure, so nothing in the browser can show another step.
* :func:`responsibility_heatmap_figure` -- points x components.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from gmm_core.analysis.geometry import ellipse_points
from gmm_core.plots.theme import AXIS_STYLE as _GRID
from gmm_core.plots.theme import FONT as _FONT
from gmm_core.plots.theme import INK as _INK
from gmm_core.plots.theme import colour, escape, rgba, segment_names

__all__ = [
    "point_style",
    "em_step_figure",
    "choose_start_figure",
    "restarts_figure",
    "log_likelihood_range",
    "OFF_SCALE",
    "responsibility_heatmap_figure",
]

_ELLIPSE_POINTS = 49
_UNASSIGNED = "#A6A6A6"  # points before the first E-step
_HALO = "white"  # outline that keeps ellipses and means visible over any point colour

def point_style(resp: np.ndarray | None,
                n_components: int) -> tuple[np.ndarray | None, np.ndarray | None]:
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
    colours = [_UNASSIGNED] + [colour(j) for j in range(k)]
    n = len(colours)
    scale = []
    for i, c in enumerate(colours):
        scale += [(i / n, c), ((i + 1) / n, c)]
    return scale


def _ellipse(mean, cov, radius):
    pts = ellipse_points(mean, cov, radius=radius, n_points=_ELLIPSE_POINTS)
    return pts[:, 0], pts[:, 1]


def _outlined_path(fig, x, y, *, colour_, width, dash, name, group, legend):
    """A line drawn twice in the WebGL layer: a wide white halo, then the line."""
    fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", hoverinfo="skip", showlegend=False,
                               legendgroup=group, name=f"{name} (outline)",
                               line=dict(color=_HALO, width=width + 3)), row=1, col=1)
    fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", hoverinfo="skip", showlegend=legend,
                               legendgroup=group, name=name,
                               line=dict(color=colour_, width=width, dash=dash)), row=1, col=1)


#: A start this many times the rest's span below the rest is drawn off the scale (the rest
#: keeps at least a fifth of the axis).
OFF_SCALE = 4.0


def log_likelihood_range(log_likelihoods: ArrayLike) -> tuple[float, float, np.ndarray]:
    """``(lo, hi, off)``: a readable y-range for the curve and which steps fall below it.

    The range covers the steps from the first M-step on (index 2); the start
    (and its E-step, which has the same likelihood) is kept in range unless it
    lies more than :data:`OFF_SCALE` times the rest's span below it, when
    ``off`` marks it as off the scale.

    >>> lo, hi, off = log_likelihood_range([-4e5, -4e5, -2.2, -2.1, -2.05])
    >>> off.tolist(), lo > -3
    ([True, True, False, False, False], True)
    >>> log_likelihood_range([-2.104, -2.104, -2.07, -2.06, -2.052])[2].any()
    np.False_
    """
    ll = np.asarray(log_likelihoods, dtype=float)
    rest = ll[2:] if ll.size > 2 else ll
    lo, hi = float(np.min(rest)), float(np.max(ll))
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 1e-3
    off = ll < lo - OFF_SCALE * span
    lo = float(np.min(ll[~off]))
    pad = 0.08 * (hi - lo) if hi > lo else 0.1
    return lo - pad, hi + pad, off


def _hollow(gaps, n):
    """Marker ``symbol`` and ``line`` of the points: hollow circles for the rows with gaps."""
    if gaps is None or not np.any(gaps):
        return dict(line=dict(width=0))
    gaps = np.asarray(gaps, dtype=bool).reshape(n)
    return dict(symbol=np.where(gaps, "circle-open", "circle").tolist(),
                line=dict(width=np.where(gaps, 1.5, 0.0)))


def em_step_figure(points: np.ndarray, frame: dict, log_likelihoods: np.ndarray, *,
                   x_range: tuple[float, float], y_range: tuple[float, float],
                   axis_titles: tuple[str, str], names: Sequence[str] | None = None,
                   point_ids: Sequence[int] | None = None, point_keys: Sequence[str] | None = None,
                   explained: tuple[np.ndarray, str] | None = None, seeds: np.ndarray | None = None,
                   chosen: np.ndarray | None = None, height: int = 420,
                   gaps: np.ndarray | None = None) -> go.Figure:
    """One EM step: the points coloured by responsibility with the components, and the
    log-likelihood curve with this step marked.

    Parameters
    ----------
    points : ndarray (n, 2)
        Drawn points in plot units (the same at every step).
    frame : dict
        :func:`gmm_core.analysis.em_canvas.em_frame`: ``index``, ``label``,
        ``resp`` (n, K; None: grey, not yet assigned), ``means`` (K, 2),
        ``covariances`` (K, 2, 2), ``prev_means``, ``prev_covariances``.
    log_likelihoods : ndarray (n_steps,)
        Mean log-likelihood at every step of the run.
    names : list of str, optional
        Legend text per component.
    point_ids : sequence of int, optional
        Each point's row position, carried as ``customdata`` so that a click
        names its row.
    point_keys : sequence of str, optional
        Each point's row key, shown on hover (escaped here).
    explained : (ndarray (2,), str), optional
        The row explained in the formulas, in plot units, and its key: ringed.
    seeds, chosen : ndarray (m, 2), optional
        Seed points of the start (×), and points clicked so far for a start.
    gaps : ndarray (n,) of bool, optional
        Rows with blank cells (drawn at the values the model expects): hollow circles.

    Returns
    -------
    plotly.graph_objects.Figure
        Every trace of the scatter is WebGL (``scattergl``), so they share one
        layer and are painted in order: points first, then the previous step's
        ellipses, the ellipses (each over a white halo), the means (outlined),
        seeds, and the explained row's ring -- all above the points.  The
        right panel holds the curve and a ``"this step"`` marker at ``x =
        frame["index"]``; ``layout.meta`` is ``{"step": frame["index"]}``.
    """
    points = np.asarray(points, dtype=float)
    k = frame["means"].shape[0]
    names = names or segment_names(k)
    index = int(frame["index"])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.66, 0.34], horizontal_spacing=0.09,
                        subplot_titles=("", ""))
    values, alpha = point_style(frame["resp"], k)
    if values is None:
        values, alpha = np.full(points.shape[0], -1), np.full(points.shape[0], 0.6)
    n = points.shape[0]
    ids = np.arange(n) if point_ids is None else np.asarray(point_ids)
    keys = [escape(str(v)) for v in (point_keys if point_keys is not None else ids)]
    size = 6 if n <= 2500 else 4
    fig.add_trace(go.Scattergl(
        x=points[:, 0], y=points[:, 1], mode="markers", name="points", showlegend=False,
        customdata=ids, text=keys,
        hovertemplate=(f"%{{text}}<br>{escape(axis_titles[0])} = %{{x:.4g}}<br>"
                       f"{escape(axis_titles[1])} = %{{y:.4g}}<extra>click to explain</extra>"),
        marker=dict(size=size, color=np.asarray(values, dtype=np.int8),
                    opacity=np.asarray(alpha, dtype=np.float32), **_hollow(gaps, n),
                    colorscale=_colourscale(k), cmin=-1.5, cmax=k - 0.5, showscale=False)),
        row=1, col=1)
    for j in range(k):
        for i, radius in enumerate((1.0, 2.0)):
            x, y = _ellipse(frame["prev_means"][j], frame["prev_covariances"][j], radius)
            fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", hoverinfo="skip",
                                       legendgroup="previous", name="previous step",
                                       showlegend=(j == 0 and i == 0),
                                       line=dict(color=rgba(j, 0.6), width=1.5, dash="dot")),
                          row=1, col=1)
    for j in range(k):
        for i, (radius, dash) in enumerate(((1.0, "solid"), (2.0, "dash"))):
            x, y = _ellipse(frame["means"][j], frame["covariances"][j], radius)
            _outlined_path(fig, x, y, colour_=colour(j), width=3, dash=dash, name=names[j],
                           group=f"c{j}", legend=(i == 0))
    pm = np.asarray(frame["prev_means"])
    fig.add_trace(go.Scattergl(x=pm[:, 0], y=pm[:, 1], mode="markers", name="previous means",
                               legendgroup="previous", showlegend=False, hoverinfo="skip",
                               marker=dict(size=10, symbol="diamond-open", line=dict(width=2),
                                           color=[rgba(j, 0.8) for j in range(k)])),
                  row=1, col=1)
    m = np.asarray(frame["means"])
    fig.add_trace(go.Scattergl(
        x=m[:, 0], y=m[:, 1], mode="markers", name="means", showlegend=False,
        text=[escape(str(nm)) for nm in names[:k]],
        hovertemplate="mean of %{text}<br>x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>",
        marker=dict(size=16, symbol="diamond", color=[colour(j) for j in range(k)],
                    line=dict(width=2.5, color=_HALO))), row=1, col=1)
    for pts, colour_, label in ((seeds, _INK, "seed points of the start"),
                                (chosen, "#C0392B", "your start points")):
        if pts is not None and len(pts):
            pts = np.asarray(pts, dtype=float)
            fig.add_trace(go.Scattergl(
                x=pts[:, 0], y=pts[:, 1], mode="markers", name=label, showlegend=True,
                hovertemplate=f"{label}<extra></extra>",
                marker=dict(size=15, symbol="x", color=colour_,
                            line=dict(width=1.5, color=_HALO))), row=1, col=1)
    if explained is not None:
        where, key = explained
        for width, colour_ in ((6, _HALO), (3, _INK)):
            fig.add_trace(go.Scattergl(
                x=[float(where[0])], y=[float(where[1])], mode="markers",
                name="explained row", showlegend=False, text=[escape(str(key))],
                hovertemplate="%{text}: the row in the formulas<extra></extra>",
                marker=dict(size=22, symbol="circle-open", color=colour_,
                            line=dict(width=width, color=colour_))), row=1, col=1)
    ll = np.asarray(log_likelihoods, dtype=float)
    lo, hi, off = log_likelihood_range(ll)
    steps = np.arange(len(ll))
    shown = np.where(off, lo, ll)
    fig.add_trace(go.Scatter(x=steps, y=shown, mode="lines+markers", name="log-likelihood",
                             showlegend=False, customdata=ll,
                             line=dict(color="#555555", width=2), marker=dict(size=4),
                             hovertemplate="step %{x}<br>%{customdata:.6g}<extra></extra>"),
                  row=1, col=2)
    if off.any():
        first = int(np.flatnonzero(off)[0])
        fig.add_annotation(x=first, y=lo, xref="x2", yref="y2", yanchor="bottom", ax=30, ay=-30,
                           text=f"step {first}: {ll[first]:,.4g} (off the scale)",
                           font=dict(size=12, color=_INK), bgcolor="rgba(255,255,255,0.85)")
    fig.add_trace(go.Scatter(x=[index], y=[shown[index]], mode="markers", name="this step",
                             showlegend=False, customdata=[ll[index]],
                             marker=dict(size=13, color="#C0392B",
                                         line=dict(width=2, color="white")),
                             hovertemplate="step %{x}<br>%{customdata:.6g}<extra></extra>"),
                  row=1, col=2)
    fig.update_layout(
        font=_FONT, height=int(height), plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=60, r=10, t=36, b=50), meta=dict(step=index), uirevision="em",
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.01, yanchor="bottom",
                    font=dict(size=12), itemwidth=30),
        hovermode="closest", dragmode="zoom", clickmode="event+select")
    fig.update_xaxes(**_GRID)
    fig.update_yaxes(**_GRID)
    fig.update_xaxes(range=list(x_range), title_text=escape(axis_titles[0]), row=1, col=1)
    fig.update_yaxes(range=list(y_range), title_text=escape(axis_titles[1]), row=1, col=1)
    fig.update_xaxes(range=[-0.5, len(ll) - 0.5], title_text="step (E, M, E, M, …)", row=1, col=2)
    fig.update_yaxes(range=[lo, hi], title_text="log-likelihood per point", row=1, col=2)
    return fig


def choose_start_figure(points: np.ndarray, *, point_ids: Sequence[int], point_keys: Sequence[str],
                        chosen: ArrayLike, x_range: tuple[float, float],
                        y_range: tuple[float, float], axis_titles: tuple[str, str],
                        height: int = 420) -> go.Figure:
    """The points alone, grey, with the start points clicked so far (×): click to add one.

    ``point_ids`` (row positions) ride as ``customdata`` so a click names its
    row; the clicked points are WebGL markers drawn after the points, so they
    stay on top.
    """
    points = np.asarray(points, dtype=float)
    fig = go.Figure(go.Scattergl(
        x=points[:, 0], y=points[:, 1], mode="markers", name="points", showlegend=False,
        customdata=np.asarray(point_ids), text=[escape(str(v)) for v in point_keys],
        hovertemplate="%{text}<extra>click to start a component here</extra>",
        marker=dict(size=7, color=_UNASSIGNED, opacity=0.7, line=dict(width=0))))
    pts = np.asarray(chosen, dtype=float).reshape(-1, 2)
    fig.add_trace(go.Scattergl(
        x=pts[:, 0], y=pts[:, 1], mode="markers+text", name="your start points",
        text=[str(i + 1) for i in range(len(pts))], textposition="top center",
        hoverinfo="skip", marker=dict(size=16, symbol="x", color="#C0392B",
                                      line=dict(width=1.5, color=_HALO))))
    fig.update_layout(font=_FONT, height=int(height), plot_bgcolor="white",
                      paper_bgcolor="white", margin=dict(l=60, r=10, t=20, b=50),
                      hovermode="closest", clickmode="event+select", showlegend=False)
    fig.update_xaxes(range=list(x_range), title_text=escape(axis_titles[0]), **_GRID)
    fig.update_yaxes(range=list(y_range), title_text=escape(axis_titles[1]), **_GRID)
    return fig


def restarts_figure(points: np.ndarray, panels: Sequence[dict], *, x_range: tuple[float, float],
                    y_range: tuple[float, float], axis_titles: tuple[str, str],
                    names: Sequence[str] | None = None, cols: int = 3,
                    panel_height: int = 230) -> go.Figure:
    """Small multiples of distinct optima: each panel the points coloured by its partition
    and its components' 1σ ellipses and means.

    Parameters
    ----------
    points : ndarray (n, 2)
        Drawn points in plot units (the same in every panel).
    panels : list of dict
        One per optimum: ``title``, ``labels`` (n,) of the drawn points,
        ``means`` (K, 2), ``covariances`` (K, 2, 2) in plot units.
    """
    points = np.asarray(points, dtype=float)
    n = len(panels)
    cols = max(1, min(int(cols), n))
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.04,
                        vertical_spacing=0.16 if rows > 1 else 0.0,
                        subplot_titles=[escape(p["title"]) for p in panels])
    for i, panel in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        k = panel["means"].shape[0]
        fig.add_trace(go.Scattergl(
            x=points[:, 0], y=points[:, 1], mode="markers", showlegend=False, hoverinfo="skip",
            name="points", marker=dict(size=4, opacity=0.6, color=np.asarray(panel["labels"]),
                                       colorscale=_colourscale(k), cmin=-1.5, cmax=k - 0.5)),
            row=r, col=c)
        for j in range(k):
            x, y = _ellipse(panel["means"][j], panel["covariances"][j], 1.0)
            fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", hoverinfo="skip", showlegend=False,
                                       name="outline", line=dict(color=_HALO, width=5)),
                          row=r, col=c)
            fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", hoverinfo="skip", showlegend=False,
                                       name=(names or segment_names(k))[j],
                                       line=dict(color=colour(j), width=2.5)), row=r, col=c)
        m = np.asarray(panel["means"])
        fig.add_trace(go.Scattergl(x=m[:, 0], y=m[:, 1], mode="markers", hoverinfo="skip",
                                   showlegend=False, name="means",
                                   marker=dict(size=10, symbol="diamond",
                                               color=[colour(j) for j in range(k)],
                                               line=dict(width=1.5, color=_HALO))),
                      row=r, col=c)
    fig.update_layout(font=_FONT, height=int(panel_height * rows + 40), plot_bgcolor="white",
                      paper_bgcolor="white", margin=dict(l=10, r=10, t=44, b=10))
    fig.update_xaxes(range=list(x_range), showticklabels=False, **_GRID)
    fig.update_yaxes(range=list(y_range), showticklabels=False, **_GRID)
    fig.update_annotations(font=dict(size=13), yshift=6)  # titles clear of the frame line
    return fig


def responsibility_heatmap_figure(resp: np.ndarray, hover: Sequence[str], *,
                                  names: Sequence[str] | None = None,
                                  title: str | None = None) -> go.Figure:
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
    ticks = [f"<span style='color:{colour(j)}'><b>{escape(names[j])}</b></span>"
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
