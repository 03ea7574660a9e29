"""k-means for initialising EM: k-means++ seeding and Lloyd's iterations.

EM needs a starting point.  The usual one (scikit-learn's default,
``init_params="kmeans"``) is a k-means clustering turned into hard
responsibilities.  This module is that k-means, written with numpy only so the
engine does not depend on scikit-learn:

* :func:`kmeans_plusplus` picks ``k`` seeds far apart (Arthur & Vassilvitskii,
  2007): each new seed is drawn with probability proportional to its squared
  distance to the nearest seed so far, keeping the best of a few trials.
* :func:`kmeans` then runs Lloyd's algorithm -- assign each row to its
  nearest centre, move each centre to the mean of its rows -- until the
  centres stop moving.

Both accept ``sample_weight``.  :func:`kmeans_reference` is the plain,
slow formulation kept as a test oracle.  When numba is importable, Lloyd's
passes run compiled (:mod:`gmm_core.mixture._compiled_kmeans`, chosen by
:func:`gmm_core.mixture._kernels.kmeans_kernels`): each worker thread assigns
its run of rows and sums them, fused, without the (rows, K) distances and
one-hot arrays of the numpy code here, which stays the reference and the
fallback (``GMM_EXPLORER_KERNEL=numpy``).

:func:`silhouette_score` is scikit-learn's ``silhouette_score`` (Euclidean),
computed by the compiled distance sums when they run, without the (n, n)
distance matrix.
"""

from __future__ import annotations

import numpy as np

from gmm_core.mixture import _blocked, _kernels
from gmm_core.mixture._stop import checkpoint

__all__ = ["kmeans_plusplus", "kmeans", "kmeans_reference", "silhouette_score"]


def _sq_distances(X, centers):
    """Squared Euclidean distances (N, K): ``sum_j (x_j - c_j)^2``, features added in order.

    The rows are differenced, not expanded as ``|x|^2 - 2 x.c + |c|^2`` (which
    loses digits near a centre), in the compiled kernel's order of operations,
    so both engines find the same nearest centre even on a tie.
    """
    d = np.zeros((X.shape[0], centers.shape[0]))
    for j in range(X.shape[1]):
        t = X[:, j, None] - centers[None, :, j]
        t *= t
        d += t
    return d


def kmeans_plusplus(X: np.ndarray, n_clusters: int, *,
                    random_state: np.random.RandomState | np.random.Generator,
                    sample_weight: np.ndarray | None = None,
                    n_local_trials: int | None = None) -> np.ndarray:
    """Greedy k-means++ seeding; returns the indices of the chosen rows.

    Parameters
    ----------
    X : ndarray (N, D)
    n_clusters : int
    random_state : numpy.random.Generator or RandomState
    sample_weight : ndarray (N,), optional
    n_local_trials : int, optional
        Candidates tried for each seed (default ``2 + int(log(k))``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> idx = kmeans_plusplus(X, 2, random_state=np.random.RandomState(0))
    >>> [round(v) for v in sorted(X[idx, 0].tolist())]
    [0, 10]
    """
    n_samples = X.shape[0]
    w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    first = random_state.choice(n_samples, p=w / w.sum())
    indices = [first]
    closest = _sq_distances(X, X[[first]])[:, 0]
    for _ in range(1, n_clusters):
        pot = np.dot(w, closest)
        if pot <= 0:  # every row coincides with a seed: pick any remaining row
            rest = np.setdiff1d(np.arange(n_samples), indices)
            indices.append(int(random_state.choice(rest)))
            continue
        candidates = np.searchsorted(np.cumsum(w * closest),
                                     random_state.uniform(size=n_local_trials) * pot)
        candidates = np.clip(candidates, 0, n_samples - 1)
        cand_d = np.minimum(closest[None, :], _sq_distances(X, X[candidates]).T)
        best = int(np.argmin(cand_d @ w))
        indices.append(int(candidates[best]))
        closest = cand_d[best]
    return np.asarray(indices)


def kmeans(X: np.ndarray, n_clusters: int, *,
           random_state: np.random.RandomState | np.random.Generator,
           sample_weight: np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-4,
           block_size: int = 65536, max_seed_rows: int = 50_000,
           engine: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeds refined by Lloyd's algorithm.

    Seeds are drawn from a random sample of ``max_seed_rows`` rows when there
    are more; Lloyd's passes then use every row, a block at a time, so memory
    stays flat in N.  ``engine`` (``"numba"`` or ``"numpy"``) picks how the
    passes run, as for :func:`gmm_core.mixture._blocked.summarize`; both give
    the same labels and, to rounding, the same centres.

    Returns
    -------
    centers : ndarray (K, D)
    labels : ndarray (N,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))])
    >>> centers, labels = kmeans(X, 2, random_state=rng)
    >>> np.unique(labels[:20]).size, np.unique(labels[20:]).size
    (1, 1)
    """
    n_samples = X.shape[0]
    w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
    if n_samples > max_seed_rows:  # seeding is O(N K log K): do it on a sample
        rows = np.sort(random_state.choice(n_samples, max_seed_rows, replace=False))
        seeds = kmeans_plusplus(X[rows], n_clusters, random_state=random_state,
                                sample_weight=None if sample_weight is None
                                else w[rows])
        centers = X[rows[seeds]].astype(float)
    else:
        centers = X[kmeans_plusplus(X, n_clusters, random_state=random_state,
                                    sample_weight=sample_weight)].astype(float)
    sample = X[:max_seed_rows]  # the tolerance's scale: the variance of a sample
    scale = float(np.mean(np.var(sample, axis=0))) if n_samples > 1 else 0.0
    labels = np.zeros(n_samples, dtype=int)
    kernels = _kernels.kmeans_kernels(engine)
    if kernels is not None:
        pass_ = _compiled_pass(X, None if sample_weight is None else w, labels, kernels)
    else:
        def pass_(centers, accumulate=True):
            return _numpy_pass(X, w, centers, labels, block_size, accumulate)
    for _ in range(max_iter):
        checkpoint()
        sums, counts = pass_(centers)
        new = centers.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        shift = np.sum((new - centers) ** 2)
        centers = new
        if shift <= tol * scale:
            break
    pass_(centers, accumulate=False)  # labels of the final centres
    return centers, labels


def _numpy_pass(X, w, centers, labels, block_size, accumulate):
    """One Lloyd pass in numpy: ``labels`` written, ``(sums, counts)`` returned."""
    n_samples, n_clusters = X.shape[0], centers.shape[0]
    sums = np.zeros_like(centers)
    counts = np.zeros(n_clusters)
    for start in range(0, n_samples, block_size):
        xb, wb = X[start:start + block_size], w[start:start + block_size]
        lb = np.argmin(_sq_distances(xb, centers), axis=1)
        labels[start:start + block_size] = lb
        if accumulate:
            onehot = np.zeros((lb.size, n_clusters))
            onehot[np.arange(lb.size), lb] = wb
            counts += onehot.sum(axis=0)
            sums += onehot.T @ xb
    return sums, counts


def _compiled_pass(X, sample_weight, labels, kernels):
    """Lloyd's pass on the compiled kernel, each thread on its run of rows, summed in order."""
    X = _kernels._ro(X)
    has_w = sample_weight is not None
    w = _kernels._ro(sample_weight if has_w else np.zeros(0))
    n_threads = _blocked.default_n_threads()

    def pass_(centers, accumulate=True):
        c = _kernels._ro(centers)

        def work(start, stop):
            sums, counts = np.zeros(centers.shape), np.zeros(centers.shape[0])
            kernels.lloyd(X, w, has_w, start, stop, c, accumulate, labels, sums, counts)
            return sums, counts

        parts = _blocked._run(work, X.shape[0], kernels.ROWS, n_threads, blas=False)
        sums, counts = parts[0]
        for s, n in parts[1:]:
            sums, counts = sums + s, counts + n
        return sums, counts

    return pass_


def silhouette_score(X: np.ndarray, labels: np.ndarray, *, engine: str | None = None) -> float:
    """The mean silhouette coefficient of ``labels`` on the rows ``X`` (Euclidean distances).

    Row ``i``'s silhouette is ``(b - a) / max(a, b)``, ``a`` its mean distance
    to the other rows of its cluster, ``b`` its mean distance to the rows of the
    nearest other cluster (0 for a row alone in its cluster): scikit-learn's
    ``sklearn.metrics.silhouette_score``, which computes it when the compiled
    kernels do not run (``engine`` as for :func:`kmeans`).  ``O(n^2)`` time,
    ``O(n K)`` memory.

    >>> X = np.array([[0.0], [1.0], [9.0], [10.0]])
    >>> round(silhouette_score(X, np.array([0, 0, 1, 1])), 6)
    0.888545
    """
    kernels = _kernels.kmeans_kernels(engine)
    if kernels is None:
        from sklearn.metrics import silhouette_score as reference
        return float(reference(X, labels))
    X = np.asarray(X, dtype=float)
    names, lab = np.unique(np.asarray(labels), return_inverse=True)
    n, n_labels = X.shape[0], names.size
    if not 2 <= n_labels <= n - 1:
        raise ValueError(f"Number of labels is {n_labels}. Valid values are 2 to n_samples - 1 "
                         "(inclusive)")
    order = np.argsort(lab, kind="stable")  # each cluster's rows side by side
    lab = lab[order]
    freq = np.bincount(lab, minlength=n_labels)
    bounds = _kernels._ro(np.concatenate([[0], np.cumsum(freq)]), np.int64)
    xt = _kernels._ro(X[order].T)
    sums = np.zeros((n, n_labels))
    ranges = _blocked._ranges(n, 64, _blocked.default_n_threads())
    list(_blocked._pool(len(ranges)).map(
        lambda r: kernels.distance_sums(xt, bounds, r[0], r[1], sums), ranges))
    rows = np.arange(n)  # scikit-learn's silhouette_samples from here on
    intra = sums[rows, lab]
    sums[rows, lab] = np.inf
    inter = (sums / freq).min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = intra / (freq - 1)[lab]
        sil = (inter - intra) / np.maximum(intra, inter)
    return float(np.mean(np.nan_to_num(sil)))


def kmeans_reference(X, centers, n_iter):
    """Plain Lloyd iterations from given centres (slow; the test oracle).

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [9.0], [10.0]])
    >>> kmeans_reference(X, np.array([[0.0], [1.0]]), 5)[0].ravel()
    array([0.5, 9.5])
    """
    centers = np.array(centers, dtype=float)
    for _ in range(n_iter):
        labels = np.array([np.argmin([np.sum((x - c) ** 2) for c in centers]) for x in X])
        for k in range(len(centers)):
            if np.any(labels == k):
                centers[k] = X[labels == k].mean(axis=0)
    labels = np.array([np.argmin([np.sum((x - c) ** 2) for c in centers]) for x in X])
    return centers, labels
