"""Plotly figures of the Data and Compare pages: scatter matrix, KMeans and GMM panels.

Every function here is a pure builder, ``*_figure(...) -> go.Figure``: it takes
arrays that are already computed (points in the plotted units, labels,
means, covariances, grids) and returns a figure.  No fitting, no Streamlit.

Colours are explicit and shared (:mod:`gmm_core.plots.theme`), so after
:func:`gmm_core.mixture.align_labels` one segment has one colour in both the
KMeans and the GMM panel.  Large point clouds are drawn with ``Scattergl``; callers
pass a display subsample, never the data that was fitted.

Examples
--------
>>> import numpy as np
>>> fig = scatter_matrix_figure(__import__("pandas").DataFrame({"a": [1, 2], "b": [3, 4]}))
>>> fig.data[0].type
'scattergl'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from gmm_core.analysis.geometry import ellipse_points
from gmm_core.plots.theme import (
    FONT,
    GAPS_ENTRY,
    INK,
    PALETTE,
    RowHover,
    colour,
    gaps_legend_trace,
    halo,
    legend_room,
    legend_traces,
    point_style,
    segment_names,
    segment_point_traces,
    symbol,
)
from gmm_core.plots.theme import escape as _text

__all__ = [
    "PLOT_HEIGHT",
    "legend_room",
    "scatter_matrix_figure",
    "kmeans_figure",
    "gmm_figure",
]

#: Plot-area height of the two panels, px (the figure grows with its legend instead).
PLOT_HEIGHT = 390
_TOP = 44
_AXIS_ROOM = 62  # tick labels and the x axis title below the plot area


def _legend_entries(names, extra):
    return [*[_text(n) for n in names], *extra]


def _layout(fig, *, title, x_range, y_range, axis_titles, legend_entries):
    # The plot area has a fixed size, the same in both panels whatever their legends
    # hold: the legend sits at the bottom of the figure and the figure grows by the
    # room it needs (callers pass the same entries to both panels).
    bottom = _AXIS_ROOM + legend_room(legend_entries)
    fig.update_layout(
        title=dict(text=_text(title), x=0.0, xanchor="left", font=dict(size=18)),
        font=FONT,
        height=_TOP + PLOT_HEIGHT + bottom,
        margin=dict(l=64, r=12, t=_TOP, b=bottom, autoexpand=False),
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom",
                    xref="container", x=0.0, xanchor="left", font=dict(size=13),
                    itemsizing="constant", tracegroupgap=0),
        hovermode="closest",
        hoverlabel=dict(align="left", bgcolor="white", font=dict(color=INK, size=13)),
    )
    grid = dict(showgrid=True, gridcolor="#E5E5E5", zeroline=False, showline=True,
                linecolor="#888888", mirror=True, ticks="outside")
    fig.update_xaxes(range=list(x_range), title_text=_text(axis_titles[0]), title_standoff=6,
                     **grid)
    fig.update_yaxes(range=list(y_range), title_text=_text(axis_titles[1]), title_standoff=4,
                     **grid)
    return fig


def _slots(slots, k):
    return list(range(k)) if slots is None else [int(s) for s in slots]


def _regions_trace(regions, slots, opacity=0.16):
    xs, ys, z = regions
    k = max(len(slots), 1)
    scale = []
    for j in range(k):
        scale += [(j / k, colour(slots[j])), ((j + 1) / k, colour(slots[j]))]
    return go.Heatmap(x=xs, y=ys, z=z, zmin=-0.5, zmax=k - 0.5, colorscale=scale,
                      showscale=False, opacity=opacity, hoverinfo="skip", zsmooth=False,
                      name="decision regions", meta="background")


def _density_trace(density):
    xs, ys, z = density
    logz = np.log(np.maximum(np.asarray(z, dtype=float), 1e-300))
    top = float(np.max(logz))
    return go.Contour(x=xs, y=ys, z=np.maximum(logz, top - 9.0), showscale=False,
                      contours=dict(coloring="lines", start=top - 8.0, end=top - 0.5, size=1.0),
                      colorscale=[(0, "#9A9A9A"), (1, "#333333")], line=dict(width=1),
                      hoverinfo="skip", name="GMM density", meta="background")


def _points_traces(points, labels, names, slots, sure=None, hover=None, gaps=None):
    """One WebGL trace per segment: its colour and marker shape, size and opacity by count.

    ``sure`` (in [0, 1], per point) fades the points the model is unsure of:
    their opacity runs from a quarter of the cloud's opacity up to all of it.
    Rows with ``gaps`` are drawn hollow (:func:`~gmm_core.plots.theme.segment_point_traces`).
    """
    labels = np.asarray(labels, dtype=int)
    size, opacity = point_style(labels.shape[0])
    # Per-point certainty goes in marker.opacity, a numeric array: a list of
    # rgba strings costs plotly a regex check per point (seconds at 20k points).
    if sure is not None:
        opacity = opacity * (0.25 + 0.75 * np.asarray(sure, dtype=float))
    traces = segment_point_traces(points, labels, names, slots, size=size, opacity=opacity,
                                  hover=hover, gaps=gaps)
    legend = [gaps_legend_trace()] if gaps is not None and np.any(gaps) else []
    return [*legend_traces(names, slots), *legend, *traces]


def _disagree_trace(points, disagree):
    pts = np.asarray(points, dtype=float)[np.asarray(disagree, dtype=bool)]
    return go.Scattergl(x=pts[:, 0], y=pts[:, 1], mode="markers", name="models disagree",
                        hoverinfo="skip", meta="rings",
                        marker=dict(size=9, symbol="circle-open", color=INK, line=dict(width=1.4)))


def _centres_trace(centres, name, slots, names):
    """The centres, drawn after every point in the same WebGL layer: on top, dark-edged."""
    centres = np.asarray(centres, dtype=float)
    k = centres.shape[0]
    return go.Scattergl(
        x=centres[:, 0], y=centres[:, 1], mode="markers", name=name, meta="centres",
        text=[_text(n) for n in names],
        marker=dict(size=17, symbol=[symbol(slots[j]) for j in range(k)],
                    color=[colour(slots[j]) for j in range(k)],
                    line=dict(width=2.5, color=INK), opacity=1.0),
        hovertemplate=f"{name[:-1]} of %{{text}}<br>x=%{{x:.4g}}<br>y=%{{y:.4g}}<extra></extra>")


def _ellipse_traces(means, covariances, levels, level_names, slots):
    """Each ellipse as a contrasting halo under its coloured line, WebGL, after the points."""
    dashes = ("solid", "dash", "dot")
    traces = []
    for i, (lv, lname) in enumerate(zip(levels, level_names, strict=True)):
        dash = dashes[i % 3]
        # legend entry only; the ellipses themselves take their segment's colour
        traces.append(go.Scattergl(x=[None], y=[None], mode="lines", name=_text(lname),
                                   hoverinfo="skip", meta="legend",
                                   line=dict(color=INK, width=2, dash=dash)))
        for j in range(means.shape[0]):
            pts = ellipse_points(means[j], covariances[j], level=lv, n_points=90)
            for width, col, part in ((6.0, halo(slots[j]), "halo"),
                                     (3.0, colour(slots[j]), "line")):
                traces.append(go.Scattergl(
                    x=pts[:, 0], y=pts[:, 1], mode="lines", showlegend=False, hoverinfo="skip",
                    legendgroup=f"seg{j}", meta=f"ellipse {part}",
                    line=dict(color=col, width=width, dash="solid" if part == "halo" else dash)))
    return traces


def scatter_matrix_figure(frame: pd.DataFrame, *, labels: ArrayLike | None = None,
                          label_names: Sequence[str] | None = None,
                          title: str | None = None) -> go.Figure:
    """Scatter matrix (lower triangle: every pair of columns once) of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The (display-subsampled) rows and the chosen feature columns; with one
        column, a histogram.
    labels : array-like of int, optional
        Colours the points by known label.
    label_names : sequence of str, optional
        Legend text for each label value.
    """
    n = frame.shape[1]
    values = [frame.iloc[:, j].to_numpy(dtype=float) for j in range(n)]
    cols = [_text(c) for c in frame.columns]
    if labels is None:
        groups = [(None, np.ones(len(frame), dtype=bool), PALETTE[0])]
    else:
        labels = np.asarray(labels)
        groups = []
        for i, v in enumerate(sorted(np.unique(labels).tolist())):
            known = label_names is not None and 0 <= int(v) < len(label_names)
            groups.append((_text(label_names[int(v)]) if known else str(v), labels == v,
                           colour(i)))
    side = max(n - 1, 1)
    size, opacity = point_style(len(frame))
    size = max(2.5, size - 1.5)  # small panels
    fig = make_subplots(rows=side, cols=side, shared_xaxes="columns", shared_yaxes="rows",
                        horizontal_spacing=0.03 if side > 1 else 0.0,
                        vertical_spacing=0.03 if side > 1 else 0.0)
    for g, (name, mask, col) in enumerate(groups):
        if n == 1:
            fig.add_trace(go.Histogram(x=values[0][mask], name=name or "rows", marker_color=col,
                                       opacity=0.7, showlegend=name is not None), 1, 1)
            continue
        for r in range(1, n):          # y = column r
            for c in range(r):         # x = column c
                fig.add_trace(go.Scattergl(
                    x=values[c][mask], y=values[r][mask], mode="markers", name=name or "rows",
                    legendgroup=f"g{g}", showlegend=name is not None and r == 1 and c == 0,
                    marker=dict(size=size, color=col, opacity=opacity),
                    hovertemplate=f"{cols[c]}=%{{x:.4g}}<br>{cols[r]}=%{{y:.4g}}"
                                  f"<extra>{name or ''}</extra>"),
                    r, c + 1)
    grid = dict(showgrid=True, gridcolor="#E5E5E5", zeroline=False, showline=True,
                linecolor="#888888", mirror=True)
    fig.update_xaxes(**grid)
    fig.update_yaxes(**grid)
    if n == 1:
        fig.update_xaxes(title_text=cols[0], row=1, col=1)
        fig.update_yaxes(title_text="rows", row=1, col=1)
        fig.update_layout(barmode="overlay")
    for c in range(side):
        fig.update_xaxes(title_text=cols[c] if n > 1 else cols[0], row=side, col=c + 1)
    for r in range(1, n):
        fig.update_yaxes(title_text=cols[r], row=r, col=1)
    for r in range(1, side + 1):       # hide the empty upper triangle
        for c in range(r + 1, side + 1):
            fig.update_xaxes(visible=False, row=r, col=c)
            fig.update_yaxes(visible=False, row=r, col=c)
    per = 380 if side == 1 else (260 if side <= 2 else 170)
    fig.update_layout(
        title=dict(text=_text(title or ""), x=0.0, xanchor="left"),
        font=FONT, plot_bgcolor="white", paper_bgcolor="white",
        height=per * side + 110, width=None,
        margin=dict(l=70, r=10, t=(40 if title else 20) + (40 if labels is not None else 0), b=60),
        legend=dict(orientation="h", yref="container", yanchor="top", y=1.0, x=0.0,
                    title_text="Known label: ", itemsizing="constant"),
    )
    return fig


#: Legend entries the panels may add after the segments (widest wording): both panels
#: reserve room for all of them, so their plot areas match.
_EXTRA_ENTRIES = ("centroids", "models disagree", "1σ ellipse (39% of the segment)",
                  "2σ ellipse (86%)")


def _extra_entries(gaps):
    """The extra legend entries, with the hollow markers' when rows with gaps are drawn."""
    return _EXTRA_ENTRIES + ((GAPS_ENTRY,) if gaps is not None and np.any(gaps) else ())


def kmeans_figure(points: np.ndarray, labels: np.ndarray, centroids: np.ndarray, *,
                  x_range: tuple[float, float], y_range: tuple[float, float],
                  axis_titles: tuple[str, str],
                  regions: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                  disagree: np.ndarray | None = None, names: Sequence[str] | None = None,
                  slots: Sequence[int] | None = None, hover: RowHover | None = None,
                  title: str = "KMeans", gaps: np.ndarray | None = None) -> go.Figure:
    """KMeans panel: points coloured and shaped by cluster, centroids, optional Voronoi regions.

    Points, rings and centroids are WebGL traces in that order, so the
    centroids are drawn above every point (plotly paints all WebGL traces
    above the SVG ones, and WebGL traces in their order).

    Parameters
    ----------
    points : ndarray (n, 2)
        Displayed points in plot units.
    labels : ndarray (n,) of int
        Cluster of each point, already aligned to the GMM's colours.
    centroids : ndarray (k, 2)
        Cluster centres in plot units, aligned order.
    x_range, y_range : (float, float)
    axis_titles : (str, str)
    regions : (xs, ys, z), optional
        Grid of cluster labels from :func:`gmm_core.analysis.compare.decision_grid`.
    disagree : ndarray (n,) of bool, optional
        Rings the points where the two models disagree.
    names : list of str, optional
        Legend text per cluster (default: the slots' letters).
    slots : sequence of int, optional
        Colour and marker slot of each cluster (default ``0..k-1``).
    hover : gmm_core.plots.theme.RowHover, optional
        Row keys, feature values and probabilities of the drawn points.
    gaps : ndarray (n,) of bool, optional
        Rows with blank cells (drawn at the values the model expects): hollow markers.
    """
    k = np.asarray(centroids).shape[0]
    slots = _slots(slots, k)
    names = names or segment_names(k, slots)
    fig = go.Figure()
    if regions is not None:
        fig.add_trace(_regions_trace(regions, slots))
    for tr in _points_traces(points, labels, names, slots, hover=hover, gaps=gaps):
        fig.add_trace(tr)
    if disagree is not None and np.any(disagree):
        fig.add_trace(_disagree_trace(points, disagree))
    fig.add_trace(_centres_trace(centroids, "centroids", slots, names))
    return _layout(fig, title=title, x_range=x_range, y_range=y_range, axis_titles=axis_titles,
                   legend_entries=_legend_entries(names, _extra_entries(gaps)))


def gmm_figure(points: np.ndarray, labels: np.ndarray, certainty: np.ndarray, means: np.ndarray,
               covariances: np.ndarray, *, x_range: tuple[float, float],
               y_range: tuple[float, float], axis_titles: tuple[str, str],
               levels: Sequence[float] = (0.3935, 0.8647), level_names: Sequence[str] | None = None,
               regions: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
               density: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
               disagree: np.ndarray | None = None, names: Sequence[str] | None = None,
               slots: Sequence[int] | None = None, hover: RowHover | None = None,
               title: str = "Gaussian mixture", gaps: np.ndarray | None = None) -> go.Figure:
    """GMM panel: points faded by uncertainty, covariance ellipses and means on top.

    Points, rings, ellipses (a contrasting halo under each coloured line) and means
    are WebGL traces in that order: whatever the number of points, the
    ellipses and means are drawn above them.

    Parameters
    ----------
    points : ndarray (n, 2)
    labels : ndarray (n,) of int
        Most likely component of each point.
    certainty : ndarray (n,)
        Probability of that component; opaque when sure, faint when unsure.
    means : ndarray (k, 2)
    covariances : ndarray (k, 2, 2)
        In plot units (projected with ``A S A^T`` when plotting a projection).
    levels : sequence of float
        Probability inside each drawn ellipse (default: the 1- and 2-sigma
        ellipses of a 2-D Gaussian).
    level_names : sequence of str, optional
        Legend text per level.
    regions, density : (xs, ys, z), optional
        Shaded most-likely-component grid, or density contours.
    names, slots, hover, gaps
        As in :func:`kmeans_figure`.
    """
    means = np.asarray(means, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    k = means.shape[0]
    slots = _slots(slots, k)
    names = names or segment_names(k, slots)
    certainty = np.asarray(certainty, dtype=float)
    floor = 1.0 / max(k, 1)
    sure = (np.clip((certainty - floor) / max(1.0 - floor, 1e-12), 0.0, 1.0) if k > 1
            else np.ones_like(certainty))
    fig = go.Figure()
    if regions is not None:
        fig.add_trace(_regions_trace(regions, slots))
    if density is not None:
        fig.add_trace(_density_trace(density))
    for tr in _points_traces(points, labels, names, slots, sure=sure, hover=hover, gaps=gaps):
        fig.add_trace(tr)
    if disagree is not None and np.any(disagree):
        fig.add_trace(_disagree_trace(points, disagree))
    level_names = level_names or [f"{lv:.0%} ellipse" for lv in levels]
    for tr in _ellipse_traces(means, covariances, levels, level_names, slots):
        fig.add_trace(tr)
    fig.add_trace(_centres_trace(means, "means", slots, names))
    return _layout(fig, title=title, x_range=x_range, y_range=y_range, axis_titles=axis_titles,
                   legend_entries=_legend_entries(names, _extra_entries(gaps)))
