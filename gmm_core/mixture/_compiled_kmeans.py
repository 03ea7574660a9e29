"""Lloyd's pass and the silhouette's distance sums, compiled (imported only by ``_kernels``).

:mod:`gmm_core.mixture._kmeans` states k-means in numpy and stays the
reference; :mod:`gmm_core.analysis.choose_k`'s silhouette is scikit-learn's
``silhouette_score``.  The kernels here compute the same numbers without any
(N, K) or (n, n) array:

* :func:`lloyd` -- one Lloyd pass over rows ``start .. stop``: each row's
  squared distance to every centre, ``sum_j (x_j - c_kj)^2`` (the rows
  differenced, features added in order and without fused multiply-add, exactly
  as numpy's ``_kmeans._sq_distances``), its nearest centre (the first on a
  tie, as ``argmin``), and the weighted sums and counts the next centres are
  made of, fused over each block of :data:`ROWS` rows laid out features by rows;
* :func:`distance_sums` -- for rows ``start .. stop``, the sum of Euclidean
  distances to the rows of each cluster, the rows sorted by cluster so that each
  sum is one vectorised reduction.

Both are ``nogil``: the caller runs them on contiguous runs of rows in worker
threads and sums the runs' parts in a fixed order.  They trust their inputs
(float64 / int64, C-contiguous, shapes as documented).  :func:`warm` calls each
once on tiny inputs, so that the app's warm-up loads or compiles them.
"""

import math

import numpy as np
from numba import njit

__all__ = ["ROWS", "lloyd", "distance_sums", "warm"]

ROWS = 256  # rows per block: a block's (D, B) and (B,) buffers stay in L1
_STRICT = {"contract"}
_REDUCE = {"contract", "reassoc"}


@njit(nogil=True, cache=True)
def lloyd(X, w, has_w, start, stop, centers, accumulate, labels, sums, counts):
    """Nearest centre of rows ``start .. stop`` into ``labels``; with ``accumulate``,
    each row's weight added to ``counts[label]`` and weight times row to ``sums[label]``."""
    d = X.shape[1]
    n_comp = centers.shape[0]
    xt = np.empty((d, ROWS))
    dist = np.empty(ROWS)
    best = np.empty(ROWS)
    arg = np.empty(ROWS, dtype=np.int64)
    for row in range(start, stop, ROWS):
        n = min(ROWS, stop - row)
        for b in range(n):
            for j in range(d):
                xt[j, b] = X[row + b, j]
        for k in range(n_comp):
            for b in range(n):
                dist[b] = 0.0
            for j in range(d):
                c = centers[k, j]
                for b in range(n):
                    t = xt[j, b] - c
                    dist[b] += t * t
            if k == 0:
                for b in range(n):
                    best[b] = dist[b]
                    arg[b] = 0
            else:
                for b in range(n):
                    if dist[b] < best[b]:
                        best[b] = dist[b]
                        arg[b] = k
        for b in range(n):
            labels[row + b] = arg[b]
        if accumulate:
            for b in range(n):
                k = arg[b]
                wb = w[row + b] if has_w else 1.0
                counts[k] += wb
                for j in range(d):
                    sums[k, j] += wb * xt[j, b]


@njit(nogil=True, cache=True, fastmath=_REDUCE)
def _segment_sum(dist, lo, hi):
    s = 0.0
    for b in range(lo, hi):
        s += dist[b]
    return s


@njit(nogil=True, cache=True, fastmath=_STRICT)
def distance_sums(xt, bounds, start, stop, out):
    """``out[i, c]`` = the sum of distances from row ``i`` to the rows of cluster ``c``.

    ``xt`` (D, n) holds the rows transposed and sorted by cluster, cluster ``c``
    in columns ``bounds[c] .. bounds[c + 1]``; rows ``i`` in ``start .. stop``
    index that sorted order.
    """
    d, n = xt.shape
    n_comp = bounds.shape[0] - 1
    dist = np.empty(n)
    for i in range(start, stop):
        for b in range(n):
            dist[b] = 0.0
        for j in range(d):
            x = xt[j, i]
            for b in range(n):
                t = xt[j, b] - x
                dist[b] += t * t
        for b in range(n):
            dist[b] = math.sqrt(dist[b])
        for c in range(n_comp):
            out[i, c] = _segment_sum(dist, bounds[c], bounds[c + 1])


def warm(ro):
    """Call every kernel once on tiny inputs (``ro`` makes the read-only views callers pass)."""
    X = ro(np.arange(8.0).reshape(4, 2))
    centers = ro(np.array([[0.0, 1.0], [6.0, 7.0]]))
    labels = np.zeros(4, dtype=np.int64)
    for w, has_w in ((np.zeros(0), False), (np.ones(4), True)):
        lloyd(X, ro(w), has_w, 0, 4, centers, True, labels, np.zeros((2, 2)), np.zeros(2))
    distance_sums(ro(X.T), ro(np.array([0, 2, 4]), np.int64), 0, 4, np.zeros((4, 2)))
