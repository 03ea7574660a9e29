"""A standalone HTML report of a segmentation: one file that opens offline anywhere.

:func:`html_report` writes the overview, one card per segment (size, typical
member, how it differs from everyone, how sure the assignments are, a few
borderline members), the unusual rows and a glossary into a single HTML page.
The charts stay interactive: plotly.js is *inlined once* (about 4.5 MB), so
the file needs no network and no server -- e-mail it, put it on a share, open
it in any browser.

Every string that comes from the user -- dataset and file names, column
names, segment names, cell values -- goes through :func:`html.escape` (tables
through pandas' escaping ``to_html(escape=True)``; figure JSON is written by
plotly, which escapes ``<`` in it), so a name like ``<script>`` is shown,
never run.  The page's own markup and CSS are constants in this module.

Examples
--------
>>> import numpy as np
>>> from gmm_core.analysis.segments import describe_segments
>>> s = describe_segments(np.array([[0.0], [1.0], [9.0]]), np.eye(2)[[0, 0, 1]],
...                       np.array([[0.5], [9.0]]), ["<b>x</b>"])
>>> page = html_report(s, ["Low <i>x</i>", "High"], title="T & Co")
>>> "<title>T &amp; Co</title>" in page, "<i>x</i>" in page, "Low &lt;i&gt;x&lt;/i&gt;" in page
(True, False, True)
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gmm_core.analysis.profiles import profile_frame
from gmm_core.analysis.segments import GLOSSARY, SURE, overview_sentence, typical_frame
from gmm_core.plots.compare import colour

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from gmm_core.analysis.profiles import ColumnProfile
    from gmm_core.analysis.segments import SegmentSummary
    from gmm_core.analysis.stability import Stability

__all__ = ["html_report"]

_CSS = """
:root { --ink: #222; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { font-family: "Source Sans Pro", "Segoe UI", Arial, sans-serif; color: var(--ink);
       margin: 0; background: #f6f7f9; font-size: 17px; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 60px; }
h1 { font-size: 2.1em; margin: 0 0 4px; }
h2 { font-size: 1.5em; margin: 34px 0 10px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.lead { font-size: 1.2em; margin: 12px 0 18px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
         margin: 12px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px;
        border-top: 8px solid var(--seg); }
.card h3 { font-size: 1.45em; margin: 2px 0 6px; }
.facts { display: flex; gap: 26px; flex-wrap: wrap; margin: 6px 0 10px; }
.fact b { display: block; font-size: 1.6em; }
.fact span { color: var(--muted); font-size: 0.92em; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 0.93em; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; }
th { background: #f1f3f4; font-weight: 600; }
h4 { margin: 12px 0 2px; font-size: 1.02em; }
details { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px;
          margin: 26px 0; }
summary { cursor: pointer; font-weight: 600; font-size: 1.1em; }
dt { font-weight: 600; margin-top: 8px; }
dd { margin: 0 0 4px 0; }
footer { color: var(--muted); font-size: 0.9em; margin-top: 30px; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _table(frame):
    return frame.to_html(index=False, escape=True, border=0, na_rep="")


class _Charts:
    """Figures to HTML, inlining plotly.js with the first one only."""

    def __init__(self):
        self.inlined = False

    def __call__(self, fig):
        if fig is None:
            return ""
        out = fig.to_html(full_html=False, include_plotlyjs=not self.inlined,
                          config={"displaylogo": False, "responsive": True})
        self.inlined = True
        return out


def html_report(summary: SegmentSummary, names: Sequence[str], *, title: str = "Segments",
                source: str = "", overview: go.Figure | None = None,
                differences: Sequence[go.Figure] | None = None, certainty: go.Figure | None = None,
                borderline: Sequence[pd.DataFrame] | None = None,
                unusual: pd.DataFrame | None = None, notes: Sequence[str] = (), noun: str = "rows",
                generated: _dt.datetime | None = None, stability: Stability | None = None,
                columns: Sequence[Sequence[ColumnProfile]] | None = None,
                slots: Sequence[int] | None = None) -> str:
    """The segmentation as one self-contained HTML page (a string).

    Parameters
    ----------
    summary : gmm_core.analysis.segments.SegmentSummary
    names : sequence of str
        Segment names to show (the user's edits), in segment order.
    title : str
        Page title and heading.
    source : str
        Where the data came from (dataset or file name), shown under the title.
    overview, certainty : plotly.graph_objects.Figure, optional
        The overview chart and the how-sure chart.
    differences : sequence of Figure, optional
        One difference-from-average chart per segment.
    borderline : sequence of pandas.DataFrame, optional
        A few borderline members per segment.
    unusual : pandas.DataFrame, optional
        The unusual rows to list.
    notes : sequence of str
        Sentences for the footer (e.g. how the model was fitted).
    noun : str
        What a row is ("rows", "customers").
    generated : datetime.datetime, optional
        The time stamp in the footer (default now).
    stability : gmm_core.analysis.stability.Stability, optional
        Adds each segment's "found again in n of B resamples" sentence.
    slots : sequence of int, optional
        Each segment's colour slot, as the charts draw it (default 0, 1, ...).
    columns : sequence of sequences of ColumnProfile, optional
        Per segment, the columns that were not features, described
        (:func:`gmm_core.analysis.profiles.column_profiles`).

    Returns
    -------
    str
        A complete HTML document, UTF-8, with no external resources.
    """
    chart = _Charts()
    k = summary.n_components
    names = [str(n) for n in names]
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} segments.")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title>", f"<style>{_CSS}</style></head><body><main>",
             f"<h1>{_e(title)}</h1>"]
    sub = [f"{summary.n_rows:,} {_e(noun)}", f"{k} segment{'s' if k != 1 else ''}"]
    if source:
        sub.insert(0, _e(source))
    parts.append(f'<p class="sub">{" · ".join(sub)}</p>')
    parts.append(f'<p class="lead">{_e(overview_sentence(summary, names, noun=noun))}</p>')
    if overview is not None:
        parts.append(f'<div class="panel" id="overview">{chart(overview)}</div>')

    parts.append("<h2>The segments</h2>")
    parts.append('<div class="cards">')
    for j, p in enumerate(summary.segments):
        sure = ("no members" if not p.count else
                f"{p.sure_share:.0%} of its members are assigned with {SURE:.0%} probability "
                "or more")
        card = [f'<section class="card" id="segment-{j + 1}" '
                f'style="--seg: {colour(j if slots is None else slots[j])}">',
                f"<h3>{_e(names[j])}</h3>",
                '<div class="facts">',
                f'<div class="fact"><b>{p.count:,}</b><span>{_e(noun)}</span></div>',
                f'<div class="fact"><b>{p.share:.0%}</b><span>of all {_e(noun)}</span></div>',
                f'<div class="fact"><b>{(p.sure_share if p.count else 0):.0%}</b>'
                f"<span>assigned surely</span></div>",
                "</div>",
                "<h4>Typical member</h4>", _table(typical_frame(summary, j))]
        if columns is not None and columns[j]:
            card += ["<h4>Who they are</h4>", _table(profile_frame(columns[j]))]
        card.append("<h4>How it differs from the average</h4>")
        if differences is not None:
            card.append(chart(differences[j]))
        card.append(f"<h4>How sure</h4><p>{_e(sure.capitalize())}.</p>")
        if stability is not None:
            card.append(f"<p>{_e(stability.sentence(j, noun=noun))}</p>")
        if borderline is not None and len(borderline[j]):
            card.append("<p>Borderline members (the least sure):</p>" + _table(borderline[j]))
        card.append("</section>")
        parts.append("\n".join(card))
    parts.append("</div>")

    if certainty is not None:
        parts.append("<h2>How sure the assignments are</h2>")
        parts.append(f'<div class="panel">{chart(certainty)}</div>')
    if unusual is not None:
        parts.append("<h2>Unusual rows</h2>")
        if len(unusual):
            parts.append(f"<p>The {len(unusual):,} {_e(noun)} that fit no segment well, the most "
                         "unusual first.</p>" + _table(unusual))
        else:
            parts.append("<p>No rows are flagged as unusual.</p>")

    glossary = "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in GLOSSARY)
    parts.append(f"<details><summary>Glossary: what the words mean</summary><dl>{glossary}</dl>"
                 "</details>")
    stamp = (generated or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    footer = " ".join(_e(n) for n in notes)
    parts.append(f"<footer>{footer} Made with GMM Explorer on {_e(stamp)}.</footer>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
