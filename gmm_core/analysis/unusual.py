"""Unusual rows: the rows a fitted mixture finds least likely.

A Gaussian mixture is a density: ``p(x)`` says how likely the model finds a
row.  The anomaly score is ``-log p(x)`` (:func:`gmm_core.mixture.anomaly_score`) --
the larger, the rarer the row under the model.  Rows far from every segment,
or in a sparse corner of a wide one, score high: they may be data errors,
special cases, or a segment too small to have its own component.

:func:`unusual_rows` flags the top rows by a share of all rows, a count or a
score threshold; :func:`unusual_frame` lists them with the user's columns.
The score is computed on the scaled data the model was fitted on; scaling
shifts every score by the same constant, so the order -- what is flagged --
does not depend on it.

Examples
--------
>>> u = unusual_rows([0.2, 4.0, 1.0], share=0.34)
>>> u.indices.tolist(), u.mask.tolist()
([1, 2], [False, True, True])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.data.original import OriginalRows

__all__ = ["UnusualRows", "unusual_rows", "unusual_frame"]


@dataclass(frozen=True, eq=False)
class UnusualRows:
    """The rows the model finds least likely.

    Attributes
    ----------
    indices : ndarray of int
        Flagged rows, most unusual first.
    threshold : float
        Anomaly score from which a row is flagged (``inf`` when none is).
    scores : ndarray (N,)
        Every row's anomaly score, ``-log p(x)``.
    """

    indices: np.ndarray
    threshold: float
    scores: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        out = np.zeros(self.scores.shape[0], dtype=bool)
        out[self.indices] = True
        return out


def unusual_rows(scores: ArrayLike, *, share: float | None = None, count: int | None = None,
                 threshold: float | None = None, exclude: ArrayLike | None = None) -> UnusualRows:
    """Flag the most unusual rows by share of rows, by count, or by a score threshold.

    Exactly one of ``share`` (fraction in [0, 1]; rounded up to whole rows),
    ``count`` or ``threshold`` (every row scoring at least this).  Ties at the
    cut of a share or count are broken by row order, so the count is exact.
    ``exclude`` (a boolean mask) names rows never to flag -- e.g. rows whose
    gaps were filled in, whose oddness may be the fill's; a share then counts
    the other rows.

    >>> unusual_rows([0.5, 3.0, 1.0, 9.0], count=2, exclude=[False, False, False, True]).indices
    array([1, 2])

    >>> u = unusual_rows([0.5, 3.0, 1.0, 9.0], count=2)
    >>> u.indices.tolist(), u.threshold
    ([3, 1], 3.0)
    >>> unusual_rows([0.5, 3.0, 1.0, 9.0], threshold=1.0).indices.tolist()
    [3, 1, 2]
    """
    scores = np.asarray(scores, dtype=float).ravel()
    given = [v is not None for v in (share, count, threshold)]
    if sum(given) != 1:
        raise ValueError("give exactly one of share=, count= or threshold=.")
    eligible = np.ones(scores.shape[0], dtype=bool)
    if exclude is not None:
        eligible = ~np.asarray(exclude, dtype=bool).ravel()
    n = int(eligible.sum())
    order = np.argsort(-scores, kind="stable")
    order = order[eligible[order]]
    if threshold is not None:
        m = int(np.sum(scores[eligible] >= float(threshold)))
    else:
        if share is not None:
            if not 0.0 <= float(share) <= 1.0:
                raise ValueError(f"share must be a fraction between 0 and 1, got {share}.")
            m = int(np.ceil(float(share) * n - 1e-9))
        else:
            if int(count) < 0:
                raise ValueError(f"count must be 0 or more, got {count}.")
            m = int(count)
        m = min(m, n)
    idx = order[:m]
    thr = float(scores[idx[-1]]) if m else float("inf")
    if threshold is not None:
        thr = float(threshold)
    return UnusualRows(indices=idx, threshold=thr, scores=scores)


def unusual_frame(unusual: UnusualRows, rows: OriginalRows | pd.DataFrame, names: Sequence[str],
                  labels: ArrayLike, *, limit: int | None = None) -> pd.DataFrame:
    """The flagged rows, most unusual first: key, score, segment, then the user's columns.

    Parameters
    ----------
    unusual : UnusualRows
    rows : OriginalRows or pandas.DataFrame
        The user's rows as given (:class:`gmm_core.data.original.OriginalRows`,
        aligned with the scores by ``rows.used``); a frame is taken as the fitted
        rows themselves.  Rows are named by their key and their cells shown as
        text, with ``filled in`` naming cells that were filled.
    names : sequence of str
        Segment names.
    labels : array-like (n_rows,)
        Each row's segment.
    limit : int, optional
        List at most this many.
    """
    if not isinstance(rows, OriginalRows):
        rows = OriginalRows.from_frame(pd.DataFrame(rows))
    idx = np.asarray(unusual.indices[:limit] if limit is not None else unusual.indices, dtype=int)
    labels = np.asarray(labels, dtype=int)
    listing = rows.listing(idx)
    head = listing[[rows.key_name]].copy()
    head["unusualness"] = np.round(unusual.scores[idx], 2)
    head["segment"] = [str(names[labels[i]]) for i in idx]
    rest = listing.drop(columns=[rows.key_name])
    rest = rest.rename(columns=lambda c: f"{c} (data)" if str(c) in head.columns else c)
    return pd.concat([head, rest], axis=1)
