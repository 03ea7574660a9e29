"""The look every chart shares: segment colours, ink, fonts, axes, and escaping of user text.

Segment ``j`` is ``PALETTE[j]`` (Tableau 10, distinguishable for most
colour-blind readers) in every chart, so after
:func:`gmm_core.mixture.align_labels` one segment has one colour on every
page.  Plotly renders a subset of HTML in titles, legends, hover labels and
annotations (``<b>``, ``<a href>``, ...), so every piece of user text -- column,
file and segment names, cells -- goes through :func:`escape` and is shown
literally.
"""

import html

__all__ = ["PALETTE", "COLOUR_NAMES", "INK", "GRID", "FAMILY", "FONT", "AXIS_STYLE",
           "colour", "rgba", "segment_names", "escape"]

#: Tableau 10: one colour per segment, in segment order.
PALETTE = ("#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
           "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC")
#: Plain names of :data:`PALETTE`, used in captions and sentences.
COLOUR_NAMES = ("blue", "orange", "red", "teal", "green",
                "yellow", "purple", "pink", "brown", "grey")
INK = "#222222"
GRID = "#E5E5E5"
FAMILY = "Source Sans Pro, Arial, sans-serif"
FONT = dict(family=FAMILY, size=14, color=INK)
#: Axes with a light grid and a frame, as every chart draws them.
AXIS_STYLE = dict(showgrid=True, gridcolor=GRID, zeroline=False, showline=True,
                  linecolor="#888888", mirror=True, ticks="outside")


def colour(j):
    """Colour of segment ``j`` (cycles after 10).

    >>> colour(0), colour(10)
    ('#4E79A7', '#4E79A7')
    """
    return PALETTE[int(j) % len(PALETTE)]


def rgba(j, alpha):
    """Segment ``j``'s colour with opacity ``alpha``, as plotly's ``rgba(...)``.

    >>> rgba(0, 0.5)
    'rgba(78,121,167,0.5)'
    """
    h = colour(j).lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def segment_names(k):
    """Display names "blue", "orange", ... for ``k`` segments (numbered past 10).

    >>> segment_names(3)
    ['blue', 'orange', 'red']
    """
    return [COLOUR_NAMES[j] if j < len(COLOUR_NAMES) else f"segment {j + 1}" for j in range(int(k))]


def escape(text):
    """User text for a plotly label: markup characters escaped so it shows literally.

    >>> escape("<b>A & B</b>")
    '&lt;b&gt;A &amp; B&lt;/b&gt;'
    """
    return html.escape(str(text), quote=False)

