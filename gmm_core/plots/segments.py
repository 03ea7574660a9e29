"""Plotly figures for the Segments page and the HTML report.

Pure builders, ``*_figure(...) -> go.Figure``, in the conventions of
:mod:`gmm_core.plots.compare`: segment ``j`` is ``PALETTE[j]`` everywhere, point
clouds are ``Scattergl`` over a display subsample, colours are explicit.

* :func:`overview_figure` -- every row coloured by its segment's name, each
  segment's name written at its typical member, unusual rows ringed;
* :func:`difference_figure` -- one segment against everyone: per feature,
  where its typical member stands among all rows (percentile, 50 = middle);
* :func:`certainty_figure` -- per segment, the share of members assigned
  with at least 90% probability.

``large=True`` sets big type for presenting on a screen.  Segment and column
names are user text: they are shown literally (``<`` and ``&`` are escaped
for plotly's label markup).

Examples
--------
>>> import numpy as np
>>> fig = difference_figure([0.9, 0.1], ["income", "spending"], 0)
>>> [round(v) for v in fig.data[0].x], fig.data[0].base, fig.data[0].y[0].split("<br>")[0]
([40, -40], 50, 'income')
>>> [shape.x0 for shape in fig.layout.shapes][:2]     # the dotted lines, on the 25 % / 75 % ticks
[25.0, 75.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gmm_core.analysis.segments import HIGH_CUT, LOW_CUT, standing
from gmm_core.plots.theme import (
    AXIS_STYLE,
    FAMILY,
    GAPS_ENTRY,
    INK,
    RowHover,
    colour,
    gaps_legend_trace,
    legend_room,
    legend_traces,
    point_style,
    segment_point_traces,
    symbol,
)
from gmm_core.plots.theme import escape as label_text

__all__ = ["overview_figure", "difference_figure", "certainty_figure"]

#: The difference chart's ticks, in percent; its dotted lines sit on the 25 and 75.
TICKS = (0, 25, 50, 75, 100)
#: The overview spans the page: its legend wraps at about this width, px.
_LEGEND_WIDTH = 900


def _font(large, base=14):
    return dict(family=FAMILY, size=int(base * (1.45 if large else 1.0)), color=INK)


def _axes(fig, font, **extra):
    # explicit tick and title fonts: a host's theme (Streamlit's) would otherwise set its own
    style = dict(AXIS_STYLE, tickfont=dict(family=FAMILY, size=font["size"] - 1, color=INK),
                 title_font=dict(family=FAMILY, size=font["size"], color=INK))
    fig.update_xaxes(**{**style, **extra.get("x", {})})
    fig.update_yaxes(**{**style, **extra.get("y", {})})
    return fig


def overview_figure(points: np.ndarray, labels: np.ndarray, names: Sequence[str], *,
                    means: np.ndarray | None = None, unusual: np.ndarray | None = None,
                    x_range: tuple[float, float] | None = None,
                    y_range: tuple[float, float] | None = None,
                    axis_titles: tuple[str, str] = ("", ""), large: bool = False,
                    title: str | None = None, height: int | None = None,
                    slots: Sequence[int] | None = None, hover: RowHover | None = None,
                    gaps: np.ndarray | None = None) -> go.Figure:
    """Every drawn row coloured and shaped by segment, names at typical members, unusual ringed.

    Points, rings and typical members are WebGL traces in that order (the
    members drawn last, dark-edged, above every point); the names are
    annotations, above everything.

    Parameters
    ----------
    points : ndarray (n, 2)
        Drawn rows in plot units (a display subsample).
    labels : ndarray (n,) of int
        Segment of each drawn row.
    names : sequence of str
        Segment names, in segment order (legend and labels).
    means : ndarray (k, 2), optional
        Typical members in plot units; each gets its segment's name.
    unusual : ndarray (m, 2), optional
        Unusual rows in plot units, ringed (draw all of them, not a sample).
    x_range, y_range : (float, float), optional
    axis_titles : (str, str)
    large : bool
        Big type for presenting.
    slots : sequence of int, optional
        Colour and marker slot of each segment (default ``0..k-1``).
    hover : gmm_core.plots.theme.RowHover, optional
        Row keys, feature values and probabilities of the drawn points.
    gaps : ndarray (n,) of bool, optional
        Rows with blank cells, drawn at the values the model expects: hollow markers.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    labels = np.asarray(labels, dtype=int)
    k = len(names)
    slots = list(range(k)) if slots is None else [int(s) for s in slots]
    fig = go.Figure()
    size, opacity = point_style(points.shape[0])
    size = size * (1.3 if large else 1.0)
    for tr in legend_traces(names, slots, size=12 if large else 10):
        fig.add_trace(tr)
    if gaps is not None and np.any(gaps):
        fig.add_trace(gaps_legend_trace(size=12 if large else 10))
    for tr in segment_point_traces(points, labels, names, slots, size=size, opacity=opacity,
                                   hover=hover, gaps=gaps):
        fig.add_trace(tr)
    if unusual is not None and len(unusual):
        pts = np.asarray(unusual, dtype=float).reshape(-1, 2)
        # thousands of rings (1% of 200,000 rows) must not bury the clusters: thinner, smaller
        many = pts.shape[0] >= 200
        ring, _ = point_style(pts.shape[0])
        fig.add_trace(go.Scattergl(
            x=pts[:, 0], y=pts[:, 1], mode="markers", name="unusual rows", meta="rings",
            marker=dict(size=ring + (3 if many else 6) + (2 if large else 0), symbol="circle-open",
                        color="#B00020", opacity=0.6 if many else 0.9,
                        line=dict(width=1.0 if many else 2.0)),
            hovertemplate="unusual row<br>x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>"))
    if means is not None:
        means = np.asarray(means, dtype=float).reshape(-1, 2)
        m = min(k, means.shape[0])
        fig.add_trace(go.Scattergl(
            x=means[:m, 0], y=means[:m, 1], mode="markers", showlegend=False, meta="centres",
            text=[label_text(n) for n in names[:m]],
            marker=dict(size=19 if large else 16, symbol=[symbol(slots[j]) for j in range(m)],
                        color=[colour(slots[j]) for j in range(m)], opacity=1.0,
                        line=dict(width=2.5, color=INK)),
            hovertemplate="typical member of %{text}<br>x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>"))
        for j in range(m):
            fig.add_annotation(
                x=means[j, 0], y=means[j, 1], text=f"<b>{label_text(names[j])}</b>",
                showarrow=False, yshift=24 if large else 20,
                font=dict(family=FAMILY, size=20 if large else 14, color=INK),
                bgcolor="rgba(255,255,255,0.85)", bordercolor=colour(slots[j]), borderwidth=2,
                borderpad=3)
    font = _font(large)
    entries = [label_text(n) for n in names] + ["unusual rows"] + (
        [GAPS_ENTRY] if gaps is not None and np.any(gaps) else [])
    # the legend sits at the bottom of the figure, below the x axis title, with the room it needs
    bottom = (80 if large else 62) + legend_room(entries, width=_LEGEND_WIDTH,
                                                 font_size=font["size"])
    top = 50 if title else 20
    fig.update_layout(
        title=dict(text=label_text(title or ""), x=0.0, xanchor="left",
                   font=dict(size=font["size"] + 6)),
        font=font, height=height or ((560 if large else 440) + top + bottom),
        margin=dict(l=70, r=20, t=top, b=bottom),
        plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
        hoverlabel=dict(align="left", bgcolor="white", font=dict(color=INK, size=13)),
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0,
                    itemsizing="constant", font=dict(size=font["size"])),
    )
    xa = dict(title_text=label_text(axis_titles[0]), title_standoff=8)
    ya = dict(title_text=label_text(axis_titles[1]), title_standoff=6)
    if x_range is not None:
        xa["range"] = list(x_range)
    if y_range is not None:
        ya["range"] = list(y_range)
    return _axes(fig, font, x=xa, y=ya)


def difference_figure(percentiles: Sequence[float], words: Sequence[str], index: int, *,
                      large: bool = False, height: int | None = None,
                      noun: str = "rows") -> go.Figure:
    """How one segment differs from everyone: per feature, its typical member's percentile.

    Bars start at the middle (50) and reach the typical member's percentile:
    right of the line means higher than most rows, left lower.  Each feature's
    label says where it stands in words (:func:`gmm_core.analysis.segments.standing`,
    "top 10 %"); the dotted lines sit on the 25 % and 75 % ticks, where *low*
    and *high* begin (:data:`~gmm_core.analysis.segments.LOW_CUT`, ``HIGH_CUT``).

    Parameters
    ----------
    percentiles : sequence of float in [0, 1]
    words : sequence of str
        Feature words, one per percentile.
    index : int
        The segment's colour slot.
    noun : str
        What a row is, for the hover text ("rows", "customers").
    """
    pct = 100.0 * np.asarray(percentiles, dtype=float)
    said = [standing(p, "").removesuffix(" for ") for p in pct / 100.0]
    words = [label_text(w) for w in words]
    n = len(words)
    font = _font(large, 13)
    # each feature's label says where it stands, so the bars get the full width
    ticks = [f"{w}<br><span style='color:#5f6368'>{s}</span>"
             for w, s in zip(words, said, strict=True)]
    fig = go.Figure(go.Bar(
        y=ticks, x=pct - 50.0, base=50, orientation="h",
        marker=dict(color=colour(index), line=dict(width=0)), customdata=np.column_stack([pct]),
        hovertemplate=[f"{w}: {s}, higher than %{{customdata[0]:.0f}}% of "
                       f"{label_text(noun)}<extra></extra>"
                       for w, s in zip(words, said, strict=True)]))
    for cut in (100.0 * LOW_CUT, 100.0 * HIGH_CUT):
        fig.add_vline(x=cut, line=dict(color="#999999", width=1, dash="dot"))
    fig.add_vline(x=50, line=dict(color=INK, width=1.5))
    row = 50 if large else 38
    fig.update_layout(
        font=font, height=height or (56 + row * n), bargap=0.3,
        margin=dict(l=10, r=34 if large else 28, t=8, b=34 if large else 30),
        plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
    )
    _axes(fig, font, x=dict(range=[0, 100], tickvals=TICKS,
                            ticktext=["lowest", "bottom 25 %", "middle", "top 25 %", "highest"],
                            title_text=None, fixedrange=True),
          y=dict(autorange="reversed", automargin=True, showgrid=False, fixedrange=True,
                 ticks=""))
    return fig


def certainty_figure(sure_shares: Sequence[float], names: Sequence[str], *, large: bool = False,
                     height: int | None = None, slots: Sequence[int] | None = None) -> go.Figure:
    """Per segment: the share of members the model is at least 90% sure of, and the rest.

    >>> fig = certainty_figure([0.9, 0.5], ["A", "B"])
    >>> fig.data[0].x.tolist(), fig.data[1].x.tolist()
    ([90.0, 50.0], [10.0, 50.0])
    """
    sure = 100.0 * np.nan_to_num(np.asarray(sure_shares, dtype=float))
    labels = [label_text(n) for n in names]
    font = _font(large, 13)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=sure, orientation="h", name="sure (90% or more)",
        marker=dict(color=[colour(j) for j in (range(len(labels)) if slots is None else slots)]),
        text=[f"{v:.0f}% sure" for v in sure], textposition="inside", insidetextanchor="start",
        textfont=dict(color="white"), hovertemplate="%{y}: %{x:.0f}% sure<extra></extra>"))
    fig.add_trace(go.Bar(
        y=labels, x=100.0 - sure, orientation="h", name="less sure",
        marker=dict(color="#D9D9D9"), hovertemplate="%{y}: %{x:.0f}% less sure<extra></extra>"))
    row = 46 if large else 34
    fig.update_layout(
        barmode="stack", font=font, height=height or (90 + row * len(labels)), bargap=0.3,
        margin=dict(l=10, r=30, t=10, b=40), plot_bgcolor="white", paper_bgcolor="white",
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0,
                    traceorder="normal"),
    )
    return _axes(fig, font, x=dict(range=[0, 100], ticksuffix="%", fixedrange=True),
                 y=dict(autorange="reversed", automargin=True, showgrid=False, fixedrange=True,
                        ticks=""))
