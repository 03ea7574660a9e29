"""Would this segment survive new data?  Cluster-wise stability by the bootstrap.

A segmentation is only worth showing if its segments are not artefacts of
this particular sample.  Hennig's cluster-wise bootstrap (Hennig 2007,
"Cluster-wise assessment of cluster stability"; R's ``fpc::clusterboot``)
asks it of each segment:

1. draw ``B`` resamples of the rows (with replacement);
2. fit the same model (same k, covariance type, scaling) to each, from its
   own start;
3. for each original segment ``A`` (its rows that are in the resample) and
   each new segment ``C`` (the resample's rows assigned to it), compute the
   Jaccard similarity ``|A ∩ C| / |A ∪ C|``; the best match is ``max_C``;
4. the segment is **found again** in a resample when that best match is at
   least :data:`FOUND` (0.75).

A segment found again in nearly every resample is stable; one found in
fewer than :data:`STABLE` of them (85%) is described as not stable, and one
whose mean Jaccard is below 0.5 as dissolving (Hennig's rule of thumb).  The
matched segments' shares and centres also give the spread of each segment's
size and typical member over resamples.

Large data: each resample has at most :data:`MAX_RESAMPLE_ROWS` rows (an
m-out-of-n bootstrap), so the check costs the same at 200,000 rows as at
20,000; it then asks whether the segment would be found again in a sample of
that size, which is, if anything, a stricter test.  The whole check is
bounded by ``max_time`` seconds; the resamples done by then are reported.

Examples
--------
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(8, 1, (150, 2))])
>>> s = segment_stability(X, 2, n_boot=10, random_state=0)
>>> s.found.tolist(), s.n_boot
([10, 10], 10)
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.analysis.guarded import fit_mixture, scale_for_fit
from gmm_core.mixture import inherit_stops
from gmm_core.mixture._typing import CovarianceType, InitMethod, Scaling

__all__ = ["FOUND", "STABLE", "N_BOOT", "MAX_RESAMPLE_ROWS", "STABILITY_TIME_LIMIT",
           "Stability", "segment_stability", "jaccard_matrix"]

#: Jaccard similarity from which a segment counts as found again in a resample.
FOUND = 0.75
#: Share of resamples in which a segment must be found again to be called stable.
STABLE = 0.85
#: Resamples by default.
N_BOOT = 50
#: Rows drawn per resample at most.
MAX_RESAMPLE_ROWS = 20_000
#: Seconds for the whole check.
STABILITY_TIME_LIMIT = 60.0


@dataclass(frozen=True, eq=False)
class Stability:
    """How often each segment was found again, and how much it moved.

    Attributes
    ----------
    found : ndarray (k,) of int
        Resamples in which the segment's best Jaccard match was at least :data:`FOUND`.
    jaccard : ndarray (n_boot, k)
        The best Jaccard match of each segment in each resample.
    shares : ndarray (n_boot, k)
        Share of the resample's rows in the matched segment.
    centres : ndarray (n_boot, k, D)
        The matched segment's mean, in the units of ``X``.
    n_boot : int
        Resamples done (fewer than asked when the time ran out).
    n_asked : int
    resample_rows : int
    """

    found: np.ndarray
    jaccard: np.ndarray
    shares: np.ndarray
    centres: np.ndarray
    n_boot: int
    n_asked: int
    resample_rows: int

    @property
    def rate(self) -> np.ndarray:
        """Share of resamples in which each segment was found again."""
        return self.found / max(self.n_boot, 1)

    @property
    def mean_rate(self) -> float:
        """The average of :attr:`rate` over segments: one number for the whole model."""
        return float(np.mean(self.rate)) if self.n_boot else float("nan")

    def share_spread(self) -> np.ndarray:
        """Standard deviation of each segment's share over resamples."""
        return self.shares.std(axis=0) if self.n_boot > 1 else np.zeros(self.found.shape)

    def centre_spread(self) -> np.ndarray:
        """Standard deviation of each segment's centre over resamples, per feature (k, D)."""
        return self.centres.std(axis=0) if self.n_boot > 1 else np.zeros(self.centres.shape[1:])

    def sentence(self, j: int, noun: str = "rows") -> str:
        """One plain sentence about segment ``j`` for a card or a slide."""
        if not self.n_boot:
            return "Its stability could not be checked in the time available."
        found, n = int(self.found[j]), self.n_boot
        said = f"Found again in {found} of {n} random re-draws of the {noun}"
        mean_j = float(self.jaccard[:, j].mean())
        if self.rate[j] >= STABLE:
            return said + ": a stable segment."
        if mean_j < 0.5:
            return said + ": it dissolves on new data, so treat it as a tendency, not a group."
        return said + ": not stable -- it may merge with a neighbour or split on new data."


def jaccard_matrix(a: ArrayLike, b: ArrayLike, k_a: int, k_b: int) -> np.ndarray:
    """Jaccard similarity of every label of ``a`` with every label of ``b`` (k_a, k_b).

    >>> jaccard_matrix(np.array([0, 0, 1, 1]), np.array([1, 1, 1, 0]), 2, 2).round(2).tolist()
    [[0.0, 0.67], [0.5, 0.25]]
    """
    both = np.zeros((k_a, k_b))
    np.add.at(both, (a, b), 1.0)
    size_a, size_b = both.sum(axis=1), both.sum(axis=0)
    union = size_a[:, None] + size_b[None, :] - both
    return np.divide(both, union, out=np.zeros_like(both), where=union > 0)


def _observed_mean(rows):
    """Each column's mean over its observed values (NaN for a column with none, or no rows)."""
    counts = np.sum(~np.isnan(rows), axis=0)
    totals = np.nansum(rows, axis=0)
    return np.divide(totals, counts, out=np.full(rows.shape[1], np.nan), where=counts > 0)


def segment_stability(X: ArrayLike, n_components: int, *, covariance_type: CovarianceType = "full",
                      scaling: Scaling = "standard", labels: ArrayLike | None = None,
                      n_boot: int = N_BOOT, random_state: int = 0,
                      init_params: InitMethod = "kmeans",
                      max_time: float | None = STABILITY_TIME_LIMIT,
                      max_rows: int = MAX_RESAMPLE_ROWS, n_jobs: int = 2) -> Stability:
    """Hennig's cluster-wise bootstrap of a k-segment Gaussian mixture of ``X``.

    Parameters
    ----------
    X : array-like (N, D)
        The rows in original units (scaled inside, as the model was); rows
        with gaps (NaN) are fitted on their observed columns.
    n_components, covariance_type, scaling, init_params
        The model whose segments are checked.
    labels : array-like (N,), optional
        The segments to check (default: a fit of that model with ``random_state``).
    n_boot : int
        Resamples asked for.
    max_time : float
        Seconds for the whole check; resamples not started by then are left out.
    n_jobs : int
        Resamples fitted at once (threads: the fits spend their time in numpy).

    Returns
    -------
    Stability
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    k = int(n_components)
    _, Xs, _ = scale_for_fit(X, scaling)
    options = dict(covariance_type=covariance_type, init_params=init_params)
    if labels is None:
        gm, _ = fit_mixture(Xs, k, random_state=random_state, **options)
        labels = gm.predict(Xs)
    labels = np.asarray(labels, dtype=int)
    m = min(n, int(max_rows))
    seeds = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max, size=int(n_boot))
    deadline = time.monotonic() + float(max_time)

    def one(seed):
        if time.monotonic() > deadline:
            return None
        rng = np.random.RandomState(seed)
        rows = rng.randint(0, n, size=m)
        gm, _ = fit_mixture(Xs[rows], k, random_state=int(seed),
                            max_time=max(deadline - time.monotonic(), 1.0), **options)
        distinct = np.unique(rows)
        new = gm.predict(Xs[distinct])
        J = jaccard_matrix(labels[distinct], new, k, k)
        best = J.argmax(axis=1)
        share = np.bincount(gm.predict(Xs[rows]), minlength=k)[best] / m
        centres = np.stack([_observed_mean(X[distinct][new == c]) for c in best])
        return J.max(axis=1), share, centres

    carried = inherit_stops()  # a caller's stop (a closed tab) reaches the pool's fits too

    def stoppable(seed):
        with carried():
            return one(seed)

    with ThreadPoolExecutor(max_workers=max(1, int(n_jobs))) as pool:
        done = [r for r in pool.map(stoppable, seeds) if r is not None]
    jac = np.array([r[0] for r in done]).reshape(len(done), k)
    shares = np.array([r[1] for r in done]).reshape(len(done), k)
    centres = np.array([r[2] for r in done]).reshape(len(done), k, d)
    return Stability(found=(jac >= FOUND).sum(axis=0), jaccard=jac, shares=shares,
                     centres=centres, n_boot=len(done), n_asked=int(n_boot), resample_rows=m)
