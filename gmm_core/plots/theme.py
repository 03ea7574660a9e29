"""The look every chart shares: segment colours and marks, ink, fonts, axes, escaping of user text.

Segment identity never rests on colour alone.  Segment ``j`` of a chart has a
colour (:data:`PALETTE`), a marker shape (:data:`SYMBOLS`) and a letter
(:func:`segment_names`: "A", "B", ...), all taken from the same *slot*; a page
that keeps a segment's slot when the model changes (see
:func:`gmm_core.analysis.compare.reordered`) keeps all three.

The palette is Paul Tol's *muted* qualitative scheme (Tol, "Colour Schemes",
SRON/EPS/TN/09-002, 2021: nine colours chosen to stay distinct for readers with
deuteranopia, protanopia or tritanopia), in an order that puts strongly
different hues first.  Tol's tenth "muted" entry, pale grey ``#DDDDDD``, is
reserved for bad data and too faint on white, so the tenth segment is a medium
grey; its marker shape and letter tell it apart.

Plotly renders a subset of HTML in titles, legends, hover labels and
annotations (``<b>``, ``<a href>``, ...), so every piece of user text -- column,
file and segment names, cells -- goes through :func:`escape` and is shown
literally.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

__all__ = ["PALETTE", "COLOUR_NAMES", "SYMBOLS", "INK", "GRID", "FAMILY", "FONT", "AXIS_STYLE",
           "colour", "rgba", "halo", "symbol", "segment_names", "point_style", "escape",
           "template_text",
           "RowHover", "hover_args", "legend_room", "legend_traces", "LEGEND_WIDTH",
           "GAPS_ENTRY", "gaps_legend_trace", "segment_point_traces", "clear_subplot_titles"]

#: Paul Tol's "muted" scheme (colour-blind safe), strongly different hues first, then a grey.
PALETTE = ("#332288", "#DDCC77", "#CC6677", "#44AA99", "#117733",
           "#88CCEE", "#882255", "#999933", "#AA4499", "#777777")
#: Plain names of :data:`PALETTE` (Tol's names), for captions that describe a colour.
COLOUR_NAMES = ("indigo", "sand", "rose", "teal", "green",
                "cyan", "wine", "olive", "purple", "grey")
#: One marker shape per segment slot (all drawn by plotly's WebGL scatter too).
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross",
           "triangle-down", "x", "star", "pentagon", "hourglass")
INK = "#222222"
GRID = "#E5E5E5"
FAMILY = "Source Sans Pro, Arial, sans-serif"
FONT = dict(family=FAMILY, size=14, color=INK)
#: Axes with a light grid and a frame, as every chart draws them.
AXIS_STYLE = dict(showgrid=True, gridcolor=GRID, zeroline=False, showline=True,
                  linecolor="#888888", mirror=True, ticks="outside")


def colour(j: int) -> str:
    """Colour of segment slot ``j`` (cycles after 10).

    >>> colour(0), colour(10)
    ('#332288', '#332288')
    """
    return PALETTE[int(j) % len(PALETTE)]


def rgba(j: int, alpha: float) -> str:
    """Segment ``j``'s colour with opacity ``alpha``, as plotly's ``rgba(...)``.

    >>> rgba(0, 0.5)
    'rgba(51,34,136,0.5)'
    """
    h = colour(j).lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def halo(j: int) -> str:
    """The outline under segment ``j``'s lines: white under dark colours, ink under light ones.

    A white halo alone would vanish around the light colours (sand, cyan) on a
    white or pale background.

    >>> halo(0), halo(1)
    ('rgba(255,255,255,0.95)', 'rgba(34,34,34,0.8)')
    """
    r, g, b = (int(colour(j)[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "rgba(34,34,34,0.8)" if luminance > 0.55 else "rgba(255,255,255,0.95)"


def symbol(j: int) -> str:
    """Marker shape of segment slot ``j`` (cycles after 10).

    >>> symbol(0), symbol(1), symbol(10)
    ('circle', 'square', 'circle')
    """
    return SYMBOLS[int(j) % len(SYMBOLS)]


def _letters(j):
    j = int(j)
    out = ""
    while True:
        out = chr(ord("A") + j % 26) + out
        j = j // 26 - 1
        if j < 0:
            return out


def segment_names(k: int, slots: Sequence[int] | None = None) -> list[str]:
    """Default names of ``k`` segments: the letter of each one's slot ("A", "B", ...; "AA" past Z).

    >>> segment_names(3), segment_names(3, slots=(0, 2, 4)), segment_names(28)[-1]
    (['A', 'B', 'C'], ['A', 'C', 'E'], 'AB')
    """
    slots = range(int(k)) if slots is None else list(slots)[:int(k)]
    return [_letters(s) for s in slots]


def point_style(n_drawn: int) -> tuple[float, float]:
    """``(marker size, opacity)`` of a cloud of ``n_drawn`` points.

    A few hundred points are drawn large and nearly opaque; tens of thousands
    small and faint, so that overlapping points add up to density and the
    shape of each cluster shows instead of a solid blob.

    >>> point_style(200), point_style(2_000), point_style(20_000)
    ((7.0, 0.85), (5.5, 0.7), (3.0, 0.35))
    """
    t = float(np.log10(max(int(n_drawn), 1)))
    size = float(np.interp(t, [2.3, 3.3, 4.3], [7.0, 5.5, 3.0]))
    opacity = float(np.interp(t, [2.3, 3.3, 4.3], [0.85, 0.7, 0.35]))
    return round(size, 2), round(opacity, 2)


#: Width a legend is assumed to have for wrapping (a half-width panel at 1400 px), px.
LEGEND_WIDTH = 440


def legend_room(entries: Sequence[str], *, width: int = LEGEND_WIDTH, font_size: int = 13) -> int:
    """Height in px a horizontal legend of ``entries`` (their texts) needs at ``width``.

    An estimate of plotly's own packing (symbol, text, gap per item; rows
    wrap at ``width``), generous so that the legend is never cut off.

    >>> legend_room(["A", "B"]), legend_room([f"segment {j}" for j in range(10)])
    (30, 84)
    """
    rows, used = 1, 0.0
    for text in entries:
        w = 46 + 0.58 * font_size * len(str(text))
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return 12 + 18 * rows


def legend_traces(names: Sequence[str], slots: Sequence[int] | None, *,
                  size: int = 10) -> list[go.Scattergl]:
    """One legend entry per segment: its marker shape and colour, opaque and full size.

    The points themselves are drawn small and faint when there are many; their
    traces join these entries' ``legendgroup`` (a click on the entry hides them).
    """
    return [go.Scattergl(x=[None], y=[None], mode="markers", name=escape(name), meta="legend",
                         legendgroup=f"seg{j}", hoverinfo="skip",
                         marker=dict(size=size, color=colour(slots[j]), symbol=symbol(slots[j]),
                                     line=dict(width=0.5, color="white")))
            for j, name in enumerate(names)]


#: Legend text of the hollow markers: rows drawn with blank cells at their expected values.
GAPS_ENTRY = "had gaps (hollow: blank cells at the values the model expects)"


def gaps_legend_trace(size: float = 10) -> go.Scattergl:
    """The legend entry of the hollow markers of rows with gaps (one grey hollow circle)."""
    return go.Scattergl(x=[None], y=[None], mode="markers", name=GAPS_ENTRY, meta="legend",
                        hoverinfo="skip",
                        marker=dict(size=size, color=INK, symbol="circle-open",
                                    line=dict(width=1.5)))


def segment_point_traces(points: np.ndarray, labels: ArrayLike, names: Sequence[str],
                         slots: Sequence[int], *, size: float, opacity: float | ArrayLike,
                         hover: RowHover | None = None,
                         gaps: ArrayLike | None = None) -> list[go.Scattergl]:
    """The drawn rows, per segment one WebGL trace (``meta="points"``) in its colour and shape.

    ``opacity`` is one number or one per point.  Rows with ``gaps`` (per point,
    True when a blank cell was drawn at the value the model expects) get a trace of
    their own in the same colour with the hollow (``-open``) version of the
    shape, so they are drawn, never dropped, and never mistaken for rows
    with every value.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    labels = np.asarray(labels, dtype=int)
    opacity = np.broadcast_to(np.asarray(opacity, dtype=float), labels.shape)
    gaps = (np.zeros(labels.shape, dtype=bool) if gaps is None
            else np.asarray(gaps, dtype=bool).reshape(labels.shape))
    traces = []
    for j, name in enumerate(names):
        for hollow in (False, True):
            mask = (labels == j) & (gaps == hollow)
            if hollow and not mask.any():
                continue
            if hover is not None:
                extra = hover_args(hover, mask, name)
            else:
                extra = dict(hovertemplate="x=%{x:.4g}<br>y=%{y:.4g}"
                                           f"<extra>{template_text(name)}</extra>")
            alpha = np.maximum(opacity[mask], 0.8) if hollow else opacity[mask]  # rings: visible
            alpha = float(alpha[0]) if alpha.size and np.all(alpha == alpha[0]) else alpha
            traces.append(go.Scattergl(
                x=points[mask, 0], y=points[mask, 1], mode="markers",
                name=escape(name) + (" (had gaps)" if hollow else ""),
                legendgroup=f"seg{j}", meta="points", showlegend=False,
                hoverlabel=dict(bordercolor=colour(slots[j])),
                marker=dict(size=size + (1.5 if hollow else 0.0), color=colour(slots[j]),
                            symbol=symbol(slots[j]) + ("-open" if hollow else ""),
                            opacity=alpha,
                            line=dict(width=1.5 if hollow else 0)),
                **extra))
    return traces


def clear_subplot_titles(fig: go.Figure, gap: float = 9) -> go.Figure:
    """Lift ``make_subplots`` titles ``gap`` px off their subplot's top frame line; returns ``fig``.

    Plotly puts a subplot title's baseline on the top edge of its subplot, so a
    framed axis (``mirror=True``, as :data:`AXIS_STYLE` draws them) strikes
    through the title's descenders.
    """
    for note in fig.layout.annotations:
        if note.xref == "paper" and note.yref == "paper" and note.yanchor == "bottom":
            note.yshift = gap
    return fig


def escape(text: object) -> str:
    """User text for a plotly label: markup characters escaped so it shows literally.

    >>> escape("<b>A & B</b>")
    '&lt;b&gt;A &amp; B&lt;/b&gt;'
    """
    return html.escape(str(text), quote=False)


def template_text(text: object) -> str:
    """User text for a plotly ``hovertemplate``: escaped, and ``%`` written as an entity.

    A column named ``%{x}`` would otherwise be read as a template field.

    >>> template_text("share %{x} <b>")
    'share &#37;{x} &lt;b&gt;'
    """
    return escape(text).replace("%", "&#37;")


#: At most this many feature values are listed in a hover label.
MAX_HOVER_FEATURES = 12


@dataclass(frozen=True, eq=False)
class RowHover:
    """What the hover label of each drawn row shows, aligned with the drawn points.

    ``keys`` name the rows (the user's ID cells, file lines or row numbers,
    under ``key_name``); ``values`` are the features in the data's original
    units; ``proba`` (optional) the probability of each segment, in the
    order of ``names``.
    """

    key_name: str
    keys: object
    feature_names: tuple
    values: object
    proba: object = None
    names: tuple = ()
    proba_label: str = "probability"
    #: Per row, a remark shown under the key ("gaps filled in: Age"), or "".
    notes: object = None


def hover_args(hover: RowHover, mask: np.ndarray, segment: str = "") -> dict:
    """``text``, ``customdata`` and ``hovertemplate`` for the points ``mask`` of a trace.

    Numbers travel as one numeric ``customdata`` array (cheap for plotly at
    20,000 points); only the row keys are per-point text, escaped.
    """
    mask = np.asarray(mask, dtype=bool)
    names = [str(f) for f in hover.feature_names][:MAX_HOVER_FEATURES]
    values = np.asarray(hover.values, dtype=float)[mask][:, :len(names)]
    lines = [f"{template_text(f)}: %{{customdata[{i}]:.4~g}}" for i, f in enumerate(names)]
    if len(hover.feature_names) > MAX_HOVER_FEATURES:
        lines.append(f"… and {len(hover.feature_names) - MAX_HOVER_FEATURES} more features")
    columns = [values]
    if hover.proba is not None:
        proba = np.asarray(hover.proba, dtype=float)[mask]
        parts = [f"{template_text(n)} %{{customdata[{len(names) + j}]:.0%}}"
                 for j, n in enumerate(hover.names)]
        lines.append(f"{template_text(hover.proba_label)}: " + "<br>".join(
            " · ".join(parts[i:i + 5]) for i in range(0, len(parts), 5)))
        columns.append(proba)
    keys = np.asarray(hover.keys, dtype=object)[mask]
    text = [escape(k) for k in keys]
    if hover.notes is not None:
        notes = np.asarray(hover.notes, dtype=object)[mask]
        text = [t + (f"<br>({escape(n)})" if n else "") for t, n in zip(text, notes, strict=True)]
    return dict(
        text=text,
        customdata=np.column_stack(columns),
        hovertemplate=(f"<b>{template_text(hover.key_name)} %{{text}}</b><br>" + "<br>".join(lines)
                       + f"<extra>{template_text(segment)}</extra>"))
