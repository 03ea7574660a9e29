"""Segments in plain words: size, typical member, how they differ, how sure, what is odd.

A fitted Gaussian mixture gives every row a probability of belonging to each
segment.  To show a segmentation to people who did not fit it, this module
turns the model into things they already know:

* **size** -- how many rows the segment gets (each row counted once, in its
  most likely segment) and their share of all rows;
* **typical member** -- the segment's mean, in the data's original units;
* **how it differs from the average** -- where the typical member stands
  among *all* rows, per feature, as a percentile (50 = the middle of the
  population; 90 = higher than 90% of rows), and as a difference in the
  population's standard deviations;
* **a name** -- each feature is *low*, *average* or *high* when the typical
  member falls in the bottom quarter, the middle half or the top quarter of the population
  (:data:`LOW_CUT`, :data:`HIGH_CUT`); the name lists the (at most
  :data:`MAX_TERMS`) most distinct features that are not average, in column
  order, e.g. ``"High income, low spending"``.  A segment average on every
  feature is ``"Average"``.  Segments that would share a name are told apart
  by more features, then by a number.
* **how sure** -- the share of members whose segment probability is at least
  :data:`SURE` (0.9), and the *borderline* members, whose probability is lowest;
* **unusual rows** -- the rows the model finds least likely; see
  :mod:`gmm_core.analysis.unusual`.

Feature words come from column names by :func:`feature_word`: units in
brackets go (``"Annual income (k$)"`` -> ``"annual income"``), a leading
period word goes (*annual*, *monthly*, ...: every row is measured over the same
period, so "high income" says the same), and a trailing *score* after an
*-ing* word goes (``"spending score"`` measures spending).  A shortening is only
used when the words stay distinct and non-empty.

Everything here is numbers and text: no plotting, no Streamlit.

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0, 10.0], [2.0, 11.0], [3.0, 50.0], [9.0, 52.0], [10.0, 12.0], [11.0, 49.0]])
>>> proba = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
>>> s = describe_segments(X, proba, np.array([[1.5, 10.5], [10.5, 50.5]]),
...                       ["Age (years)", "Monthly spend ($)"])
>>> s.words, s.names
(('age', 'spend'), ('Low age, low spend', 'High age, high spend'))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from gmm_core.data.original import OriginalRows

__all__ = [
    "GLOSSARY",
    "HIGH_CUT",
    "LEVELS",
    "LOW_CUT",
    "SURE",
    "SegmentProfile",
    "SegmentSummary",
    "borderline_frame",
    "describe_segments",
    "feature_word",
    "feature_words",
    "level_of",
    "name_levels",
    "overview_sentence",
    "plain_axis_title",
    "segment_name",
    "standing",
    "typical_frame",
    "unique_names",
]

#: Level words, from the bottom quarter of the population to the top quarter.
LEVELS = ("low", "average", "high")
#: A typical member below this percentile is *low*; above :data:`HIGH_CUT`, *high*.
LOW_CUT = 0.25
HIGH_CUT = 0.75
#: A member is *sure* when its segment's probability is at least this.
SURE = 0.9
#: At most this many features go into an automatic name.
MAX_TERMS = 2

_BRACKETS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]")
_PERIOD_WORDS = {"annual", "annualized", "annualised", "yearly", "monthly", "weekly", "daily",
                 "hourly", "quarterly"}


# --- feature words ------------------------------------------------------------------------

def _base_word(name):
    """Column name without units in brackets, separators as spaces, Title words lowered."""
    text = _BRACKETS.sub(" ", str(name))
    text = re.sub(r"[_\s]+", " ", text).strip(" ,;:-")
    words = [w.lower() if w[:1].isupper() and w[1:].islower() else w for w in text.split()]
    return " ".join(words) or str(name).strip() or "feature"


def _shorten(base):
    words = base.split()
    if len(words) > 1 and words[0].lower() in _PERIOD_WORDS:
        words = words[1:]
    if len(words) > 1 and words[-1].lower() == "score" and words[-2].lower().endswith("ing"):
        words = words[:-1]
    return " ".join(words)


def feature_word(name: str) -> str:
    """A readable word for one column name (see the module docstring).

    >>> feature_word("Annual income (k$)"), feature_word("Spending score (1-100)")
    ('income', 'spending')
    >>> feature_word("Credit score"), feature_word("petal_width [cm]")
    ('credit score', 'petal width')
    """
    return _shorten(_base_word(name))


def feature_words(names: Sequence[str]) -> tuple[str, ...]:
    """:func:`feature_word` for each column, falling back to longer forms to stay distinct.

    >>> feature_words(["Monthly income", "Annual income", "Age"])
    ('monthly income', 'annual income', 'age')
    """
    names = [str(n) for n in names]
    for make in (feature_word, _base_word, str):
        words = [make(n) for n in names]
        if all(words) and len({w.lower() for w in words}) == len(words):
            return tuple(words)
    return tuple(names)


# --- levels and names ---------------------------------------------------------------------

def _band(share):
    """``share`` (0-1) rounded up to a speakable band, in percent: 1, then steps of 5."""
    pct = 100.0 * float(share)
    if pct <= 1.0:
        return 1
    return int(min(50, 5 * np.ceil(pct / 5.0 - 1e-9)))


def standing(percentile: float, word: str) -> str:
    """Where a typical member stands among everyone, as one would say it aloud.

    The bottom or top band the value falls in (1 %, then steps of 5 %), or
    ``"around the middle"`` within 10 points of the median.

    >>> standing(0.08, "income"), standing(0.8, "spending"), standing(0.55, "age")
    ('bottom 10 % for income', 'top 20 % for spending', 'around the middle for age')
    >>> standing(0.999, "income")
    'top 1 % for income'
    """
    p = float(percentile)
    if abs(p - 0.5) < 0.1:
        return f"around the middle for {word}"
    if p < 0.5:
        return f"bottom {_band(p)} % for {word}"
    return f"top {_band(1.0 - p)} % for {word}"


def level_of(percentile: float) -> str:
    """``"low"``, ``"average"`` or ``"high"`` for a percentile in [0, 1].

    >>> [level_of(p) for p in (0.1, 0.5, 0.9)]
    ['low', 'average', 'high']
    """
    p = float(percentile)
    if p < LOW_CUT:
        return LEVELS[0]
    if p > HIGH_CUT:
        return LEVELS[2]
    return LEVELS[1]


def segment_name(levels: Sequence[str], words: Sequence[str], distinctness: Sequence[float], *,
                 n_terms: int = MAX_TERMS, include_average: bool = False) -> str:
    """Name from per-feature levels: the most distinct non-average features, in column order.

    Parameters
    ----------
    levels : sequence of str
        One of :data:`LEVELS` per feature.
    words : sequence of str
        Readable word per feature.
    distinctness : sequence of float
        How far from the middle each feature is (e.g. ``|percentile - 0.5|``);
        the most distinct features are named first.
    n_terms : int
        At most this many features in the name.
    include_average : bool
        Also name average features (used to tell apart two segments that would
        otherwise share a name).

    >>> segment_name(["high", "low"], ["income", "spending"], [0.4, 0.35])
    'High income, low spending'
    >>> segment_name(["average", "average"], ["income", "spending"], [0.0, 0.1])
    'Average'
    """
    order = np.argsort(-np.asarray(distinctness, dtype=float), kind="stable")
    chosen = [int(i) for i in order if include_average or levels[i] != LEVELS[1]][:int(n_terms)]
    if not chosen:
        return "Average"
    text = ", ".join(f"{levels[i]} {words[i]}" for i in sorted(chosen))
    return text[:1].upper() + text[1:]


def name_levels(name: str, words: Sequence[str]) -> dict[str, str]:
    """Read a name back into ``{feature word: level}`` (for checks and tests).

    Clauses are split at commas; a clause's level is the first of
    :data:`LEVELS` among its words, its feature the feature word it contains.
    ``"Average"`` alone means every feature is average.

    >>> name_levels("High income, low spending", ["income", "spending"])
    {'income': 'high', 'spending': 'low'}
    >>> name_levels("Average", ["income", "spending"])
    {'income': 'average', 'spending': 'average'}
    """
    clauses = [c.strip().lower() for c in str(name).split(",") if c.strip()]
    if clauses == ["average"]:
        return {w: LEVELS[1] for w in words}
    out = {w: LEVELS[1] for w in words}
    for clause in clauses:
        tokens = re.findall(r"[\w$%]+", clause)
        level = next((t for t in tokens if t in LEVELS), None)
        for w in sorted(words, key=len, reverse=True):
            if re.search(r"(?<!\w)" + re.escape(w.lower()) + r"(?!\w)", clause):
                if level:
                    out[w] = level
                break
    return out


def unique_names(names: Sequence[str | None],
                 fallback: Sequence[str] | None = None) -> tuple[str, ...]:
    """Names made unique and non-empty: blanks take ``fallback[j]``, repeats get " (2)", " (3)".

    >>> unique_names(["A", "", "A", "a"], fallback=["x", "y", "z", "w"])
    ('A', 'y', 'A (2)', 'a (3)')
    """
    out, seen = [], set()
    for j, name in enumerate(names):
        name = " ".join(str(name or "").split())
        if not name:
            name = " ".join(str(fallback[j] if fallback is not None
                                else f"Segment {j + 1}").split())
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate.lower())
        out.append(candidate)
    return tuple(out)


# --- profiles -----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SegmentProfile:
    """One segment in plain numbers.

    Attributes
    ----------
    index : int
        Component index (the model's label).
    count : int
        Rows whose most likely segment this is.
    share : float
        ``count / n_rows``.
    weight : float
        The model's mixing weight (the expected share, counting partial membership).
    mean : ndarray (D,)
        Typical member: the component mean in original units.
    percentile : ndarray (D,)
        Share of all rows below the typical member, per feature (ties count half).
    std_difference : ndarray (D,)
        ``(mean - population mean) / population standard deviation``.
    levels : tuple of str
        :func:`level_of` each percentile.
    sure_share : float
        Share of members whose probability of this segment is at least :data:`SURE`
        (``nan`` for an empty segment).
    borderline : ndarray of int
        Row indices of the members with the lowest probability, lowest first.
    """

    index: int
    count: int
    share: float
    weight: float
    mean: np.ndarray
    percentile: np.ndarray
    std_difference: np.ndarray
    levels: tuple
    sure_share: float
    borderline: np.ndarray


@dataclass(frozen=True, eq=False)
class SegmentSummary:
    """Every segment's profile plus what they share: the population and the assignments.

    Attributes
    ----------
    features : tuple of str
        Column names.
    words : tuple of str
        Readable feature words (:func:`feature_words`).
    segments : tuple of SegmentProfile
    names : tuple of str
        Automatic names, unique.
    labels : ndarray (N,)
        Most likely segment of each row.
    certainty : ndarray (N,)
        Probability of that segment.
    runner_up : ndarray (N,)
        Second most likely segment of each row (itself when k = 1).
    runner_up_proba : ndarray (N,)
    population_mean, population_std : ndarray (D,)
    """

    features: tuple
    words: tuple
    segments: tuple
    names: tuple
    labels: np.ndarray
    certainty: np.ndarray
    runner_up: np.ndarray
    runner_up_proba: np.ndarray
    population_mean: np.ndarray
    population_std: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_components(self) -> int:
        return len(self.segments)

    @property
    def sure_share(self) -> float:
        """Share of all rows assigned with probability at least :data:`SURE`."""
        return float(np.mean(self.certainty >= SURE)) if self.n_rows else float("nan")


def _percentiles(X, means):
    """Share of rows of each column below ``means[k, d]`` (mid-rank for ties), (K, D).

    A column's share is among the rows with a value there (blank cells are left out).
    """
    out = np.empty(means.shape, dtype=float)
    for d in range(X.shape[1]):
        col = np.sort(X[:, d])
        n = max(int(np.count_nonzero(~np.isnan(col))), 1)
        col = col[:n]                                   # NaN sort last
        lo = np.searchsorted(col, means[:, d], side="left")
        hi = np.searchsorted(col, means[:, d], side="right")
        out[:, d] = (lo + hi) / (2.0 * n)
    return out


def describe_segments(X: ArrayLike, proba: ArrayLike, means: ArrayLike, features: Sequence[str], *,
                      sure: float = SURE, n_borderline: int = 3,
                      weights: ArrayLike | None = None) -> SegmentSummary:
    """Profile every segment of a fitted mixture against the whole population.

    Parameters
    ----------
    X : array-like (n_samples, n_features)
        The rows, in original units; a missing value (NaN) is left out of the
        population's mean, spread and percentiles (only values given count).
    proba : array-like (n_samples, n_components)
        Each row's probability of each segment (rows sum to 1).
    means : array-like (n_components, n_features)
        Segment means in original units (the typical members).
    features : sequence of str
        Column names.
    sure : float
        Probability from which a member counts as sure.
    n_borderline : int
        Borderline members kept per segment.
    weights : array-like (n_components,), optional
        The model's mixing weights; default the mean probability per segment.

    Returns
    -------
    SegmentSummary

    Raises
    ------
    ValueError
        Shapes that do not fit together.
    """
    X = np.asarray(X, dtype=float)
    proba = np.asarray(proba, dtype=float)
    means = np.asarray(means, dtype=float)
    features = tuple(str(f) for f in features)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}.")
    n, d = X.shape
    if proba.ndim != 2 or proba.shape[0] != n:
        raise ValueError(f"proba must have one row per row of X ({n}), got shape {proba.shape}.")
    k = proba.shape[1]
    if means.shape != (k, d):
        raise ValueError(f"means must have shape ({k}, {d}) -- one row per segment, one column "
                         f"per feature -- got {means.shape}.")
    if len(features) != d:
        raise ValueError(f"{len(features)} feature names were given for {d} columns.")
    weights = proba.mean(axis=0) if weights is None else np.asarray(weights, dtype=float)

    labels = proba.argmax(axis=1)
    certainty = proba[np.arange(n), labels]
    if k > 1:
        masked = proba.copy()
        masked[np.arange(n), labels] = -np.inf
        runner_up = masked.argmax(axis=1)
        runner_up_proba = proba[np.arange(n), runner_up]
    else:
        runner_up, runner_up_proba = labels.copy(), np.zeros(n)

    pop_mean = np.nanmean(X, axis=0)  # over the values given: a blank cell is left out
    pop_std = np.nanstd(X, axis=0)
    safe_std = np.where(pop_std > 0, pop_std, 1.0)
    pct = _percentiles(X, means)
    counts = np.bincount(labels, minlength=k)
    words = feature_words(features)

    profiles = []
    for j in range(k):
        members = np.flatnonzero(labels == j)
        cert = certainty[members]
        order = np.argsort(cert, kind="stable")[:int(n_borderline)]
        profiles.append(SegmentProfile(
            index=j,
            count=int(counts[j]),
            share=float(counts[j] / n),
            weight=float(weights[j]),
            mean=means[j].copy(),
            percentile=pct[j],
            std_difference=(means[j] - pop_mean) / safe_std,
            levels=tuple(level_of(p) for p in pct[j]),
            sure_share=float(np.mean(cert >= sure)) if members.size else float("nan"),
            borderline=members[order],
        ))
    names = _auto_names(profiles, words)
    return SegmentSummary(features=features, words=words, segments=tuple(profiles), names=names,
                          labels=labels, certainty=certainty, runner_up=runner_up,
                          runner_up_proba=runner_up_proba, population_mean=pop_mean,
                          population_std=pop_std)


def _auto_names(profiles, words):
    """Automatic names; segments that would share one are told apart by more features."""
    distinct = [np.abs(p.percentile - 0.5) for p in profiles]
    names = [segment_name(p.levels, words, dist)
             for p, dist in zip(profiles, distinct, strict=True)]
    d = len(words)
    for _ in range(2):
        groups = pd.Series(range(len(names))).groupby([n.lower() for n in names]).groups
        clashes = [list(ix) for ix in groups.values() if len(ix) > 1]
        if not clashes:
            break
        for ix in clashes:
            for j in ix:
                p = profiles[j]
                names[j] = segment_name(p.levels, words, distinct[j], n_terms=d,
                                        include_average=True)
    return unique_names(names)


# --- tables for cards ------------------------------------------------------------------------

def _number(v):
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.1f}"
    return f"{v:.3g}"


def typical_frame(summary: SegmentSummary, j: int) -> pd.DataFrame:
    """The typical member of segment ``j`` next to the whole population, for a card.

    Columns: ``feature``, ``typical member``, ``all rows (average)`` (numbers
    as short text, in original units) and ``level`` (low, average or high; the
    percentile itself is in the difference chart).
    """
    p = summary.segments[j]
    return pd.DataFrame({
        "feature": list(summary.features),
        "typical member": [_number(v) for v in p.mean],
        "all rows (average)": [_number(v) for v in summary.population_mean],
        "level": list(p.levels),
    })


def borderline_frame(summary: SegmentSummary, j: int, X: ArrayLike, names: Sequence[str], *,
                     rows: OriginalRows | None = None) -> pd.DataFrame:
    """Segment ``j``'s borderline members: key, values, how sure, and the next best segment.

    With ``rows`` (:class:`gmm_core.data.original.OriginalRows`, aligned with
    ``X`` by ``rows.used``) each row is named by its key (ID or file line) and
    its feature cells are shown as the user gave them, marked when filled in;
    without, by its 1-based position and the numbers of ``X``.
    """
    p = summary.segments[j]
    idx = np.asarray(p.borderline, dtype=int)
    if rows is not None:
        frame = rows.listing(idx, columns=summary.features)
    else:
        X = np.asarray(X, dtype=float)
        frame = pd.DataFrame({"row": idx + 1})
        for d, f in enumerate(summary.features):
            frame[f] = X[idx, d]
    frame["probability"] = [f"{v:.0%}" for v in summary.certainty[idx]]
    frame["next most likely"] = [f"{names[int(r)]} ({v:.0%})" for r, v in
                                 zip(summary.runner_up[idx], summary.runner_up_proba[idx],
                                     strict=True)]
    return frame


def overview_sentence(summary: SegmentSummary, names: Sequence[str], *, noun: str = "rows") -> str:
    """One plain sentence about the whole segmentation.

    >>> import numpy as np
    >>> s = describe_segments(np.array([[0.0], [1.0], [10.0]]),
    ...                       np.array([[1.0, 0.0], [0.95, 0.05], [0.0, 1.0]]),
    ...                       np.array([[0.5], [10.0]]), ["x"])
    >>> overview_sentence(s, ["Small", "Big"])
    'The 3 rows fall into 2 segments. The largest, “Small”, holds 67% of them.
    The model is at least 90% sure of 100% of its assignments.'
    """
    k = summary.n_components
    sizes = np.array([p.count for p in summary.segments])
    big = int(sizes.argmax())
    text = (f"The {summary.n_rows:,} {noun} fall into {k} segment{'s' if k != 1 else ''}. ")
    if k > 1:
        text += f"The largest, “{names[big]}”, holds {summary.segments[big].share:.0%} of them. "
    return text + (f"The model is at least {SURE:.0%} sure of {summary.sure_share:.0%} "
                   "of its assignments.")


def plain_axis_title(label: str) -> str:
    """An axis title without statistics words: ``"PC1 (72% of variance)"`` -> plain words.

    >>> plain_axis_title("PC1 (72% of variance) of scaled data")
    'Main direction 1 (72% of the spread)'
    >>> plain_axis_title("Annual income (k$)")
    'Annual income (k$)'
    """
    m = re.match(r"^PC(\d+)(?: \((\d+%) of variance\))?", str(label))
    if not m:
        return str(label)
    share = f" ({m.group(2)} of the spread)" if m.group(2) else ""
    return f"Main direction {m.group(1)}{share}"


# --- glossary ---------------------------------------------------------------------------------

#: Plain explanations of the words on the Segments page, for a glossary.
GLOSSARY = (
    ("Segment", "A group of rows that are alike. The method found the groups itself, from the "
                "numbers alone; nobody labelled the rows."),
    ("Size and share", "How many rows belong to the segment, and what part of all rows that is. "
                       "Each row counts once, in the segment it most likely belongs to."),
    ("Typical member", "The centre of the segment: the average values of its members, in the "
                       "data's own units."),
    ("Low, average, high", "Where the typical member stands among all rows: low is the bottom "
                           "quarter, high the top quarter, average the middle half."),
    ("Top 15 %, bottom 10 %", "Where the typical member's value falls: in the top 15 % of all "
                              "rows (higher than 85% of them), in the bottom 10 %. The middle is "
                              "where half of the rows are below and half above."),
    ("How sure", "For every row the method gives the chance that it belongs to each segment. "
                 "A row is assigned surely when that chance is 90% or more."),
    ("Borderline members", "Rows that sit between two segments: the method is least sure "
                           "where they belong."),
    ("Unusual rows", "Rows that fit no segment well: the ones the method finds least likely "
                     "to see. Worth a look: they may be errors or special cases."),
    ("Gaussian mixture", "The method behind the segments. It describes each segment as a cloud "
                         "of points with a centre, a size, a shape and a direction, which is "
                         "why it can say how sure it is about every row."),
)
