"""Slides: a segmentation as a short deck for a meeting, as data.

A deck for people who did not fit the model has three kinds of slide:

* a **title** slide -- what was segmented (how many of what, by which
  columns), into how many segments, and how sure the split is;
* one **segment** slide per segment -- its name, its share, its typical
  member, how it differs from everyone ("top 10 % for income") and what that
  means in a sentence or two (who they are, whether it comes back on new data);
* a closing **overview** slide -- every segment on one line.

:func:`build_slides` returns :class:`Slide` values; a page or a report lays
them out.  The text is plain: no statistics words (the app's tests hold every
slide to that), and the user's noun ("customers", "stores") wherever rows are
counted.  A slide names at most :data:`MAX_FEATURES` features, the most
distinct ones, so it fits one screen whatever the table's width.

Examples
--------
>>> import numpy as np
>>> from gmm_core.analysis.segments import describe_segments
>>> X = np.array([[1.0, 10.0], [2.0, 11.0], [3.0, 50.0], [9.0, 52.0], [10.0, 12.0], [11.0, 49.0]])
>>> proba = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
>>> s = describe_segments(X, proba, np.array([[1.5, 10.5], [10.5, 50.5]]), ["Age", "Spend"])
>>> deck = build_slides(s, s.names, subject="shop.csv", noun="customers")
>>> [slide.kind for slide in deck]
['title', 'segment', 'segment', 'overview']
>>> deck[1].heading, deck[1].share
('Low age, low spend', '50 % of the customers (3)')
>>> deck[2].differs, deck[2].points
(('top 20 % for age', 'top 20 % for spend'),
 ('Compared with all customers, they have high age and high spend.',))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gmm_core.analysis.segments import LEVELS, SURE, standing
from gmm_core.analysis.stability import STABLE

if TYPE_CHECKING:
    from gmm_core.analysis.profiles import ColumnProfile
    from gmm_core.analysis.segments import SegmentSummary
    from gmm_core.analysis.stability import Stability

__all__ = ["MAX_FEATURES", "Slide", "build_slides"]

#: A slide names at most this many features (the most distinct first).
MAX_FEATURES = 5


@dataclass(frozen=True)
class Slide:
    """What one slide says.

    Attributes
    ----------
    kind : str
        ``"title"``, ``"segment"`` or ``"overview"``.
    heading : str
        The slide's title (a segment slide: the segment's name).
    points : tuple of str
        Sentences, said as they stand (the title and overview slides' body;
        on a segment slide, "what it means").
    segment : int or None
        The segment shown (a segment slide), its index in the summary.
    share : str
        "23 % of the customers (230)" (a segment slide).
    typical : tuple of (str, str)
        The typical member, feature word and value, most distinct first.
    differs : tuple of str
        How it differs from everyone, most distinct first ("top 10 % for income").
    features : tuple of int
        The features shown (columns of the summary), most distinct first: what
        the slide's difference chart draws.
    """

    kind: str
    heading: str
    points: tuple = ()
    segment: int | None = None
    share: str = ""
    typical: tuple = ()
    differs: tuple = ()
    features: tuple = ()


def _number(v):
    v = float(v)
    if not np.isfinite(v):
        return "unknown"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.1f}"
    return f"{v:.2g}"


def _pct(share):
    return f"{100.0 * float(share):.0f} %"


def _listing(parts):
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _meaning(profile, words, order, noun):
    """One sentence: the features that are not average, in plain level words."""
    said = [f"{profile.levels[i]} {words[i]}" for i in order if profile.levels[i] != LEVELS[1]]
    if not said:
        return f"Close to the middle of all {noun} on every measure shown."
    return f"Compared with all {noun}, they have {_listing(said)}."


def build_slides(summary: SegmentSummary, names: Sequence[str], *, subject: str, noun: str = "rows",
                 stability: Stability | None = None,
                 who: Sequence[Sequence[ColumnProfile]] | None = None,
                 max_features: int = MAX_FEATURES) -> tuple[Slide, ...]:
    """The deck of a segmentation: a title slide, one slide per segment, an overview.

    Parameters
    ----------
    summary : gmm_core.analysis.segments.SegmentSummary
    names : sequence of str
        The segments' names as shown (the user's edits over the automatic ones).
    subject : str
        What was segmented: a file or demo name.
    noun : str
        What one row is, plural ("customers"; default "rows").
    stability : gmm_core.analysis.stability.SegmentStability, optional
        Adds whether each segment comes back on re-drawn rows.
    who : sequence of lists of gmm_core.analysis.profiles.ColumnProfile, optional
        Per segment, the columns that were not clustered ("who they are"); the
        first two go into "what it means".
    max_features : int
        At most this many features per segment slide.

    Returns
    -------
    tuple of Slide
    """
    names = [str(n) for n in names]
    k = summary.n_components
    if len(names) != k:
        raise ValueError(f"names must give one name per segment ({k}), got {len(names)}.")
    noun = " ".join(str(noun).split()) or "rows"
    words = summary.words
    n = summary.n_rows
    big = int(np.argmax([p.count for p in summary.segments]))

    title_points = [
        f"What was segmented: the {n:,} {noun} of “{subject}”, by {_listing(words)}.",
        f"They fall into {k} segment{'s' if k != 1 else ''}; the largest, “{names[big]}”, "
        f"holds {_pct(summary.segments[big].share)} of them.",
        f"How sure: {_pct(summary.sure_share)} of the {noun} clearly belong to one segment "
        f"(a chance of {SURE:.0%} or more).",
    ]
    if stability is not None and stability.n_boot:
        found = int(np.sum(np.asarray(stability.rate) >= STABLE))
        title_points.append(f"{found} of the {k} segments come back when the {noun} are "
                            "re-drawn at random.")
    deck = [Slide(kind="title", heading=f"Segments of {subject}", points=tuple(title_points))]

    for j, p in enumerate(summary.segments):
        distinct = np.abs(np.asarray(p.percentile, dtype=float) - 0.5)
        order = [int(i) for i in np.argsort(-distinct, kind="stable")[:int(max_features)]]
        means = [_meaning(p, words, order, noun)]
        if who is not None and who[j]:
            means += [c.sentence for c in who[j][:2]]
        if stability is not None:
            means.append(stability.sentence(j, noun=noun))
        deck.append(Slide(
            kind="segment", heading=names[j], segment=j,
            share=f"{_pct(p.share)} of the {noun} ({p.count:,})",
            typical=tuple((words[i], _number(p.mean[i])) for i in order),
            differs=tuple(standing(p.percentile[i], words[i]) for i in order),
            features=tuple(order),
            points=tuple(means)))

    lines = []
    for j, p in enumerate(summary.segments):
        distinct = np.abs(np.asarray(p.percentile, dtype=float) - 0.5)
        top = [int(i) for i in np.argsort(-distinct, kind="stable")[:2]]
        lines.append(f"{names[j]}: {_pct(p.share)} of the {noun}, "
                     + _listing(standing(p.percentile[i], words[i]) for i in top) + ".")
    deck.append(Slide(kind="overview", heading="All segments at a glance", points=tuple(lines)))
    return tuple(deck)

