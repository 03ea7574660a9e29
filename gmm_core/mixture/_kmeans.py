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
slow formulation kept as a test oracle.
"""

from __future__ import annotations

import numpy as np

from gmm_core.mixture._stop import checkpoint

__all__ = ["kmeans_plusplus", "kmeans", "kmeans_reference"]


def _sq_distances(X, centers):
    """Squared Euclidean distances (N, K), clipped at zero."""
    d = (np.einsum("ij,ij->i", X, X)[:, None] - 2.0 * X @ centers.T
         + np.einsum("ij,ij->i", centers, centers)[None, :])
    return np.maximum(d, 0.0)


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
           block_size: int = 65536, max_seed_rows: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeds refined by Lloyd's algorithm.

    Seeds are drawn from a random sample of ``max_seed_rows`` rows when there
    are more; Lloyd's passes then use every row, a block at a time, so memory
    stays flat in N.

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
    for _ in range(max_iter):
        checkpoint()
        sums = np.zeros_like(centers)
        counts = np.zeros(n_clusters)
        for start in range(0, n_samples, block_size):
            xb, wb = X[start:start + block_size], w[start:start + block_size]
            lb = np.argmin(_sq_distances(xb, centers), axis=1)
            labels[start:start + block_size] = lb
            onehot = np.zeros((lb.size, n_clusters))
            onehot[np.arange(lb.size), lb] = wb
            counts += onehot.sum(axis=0)
            sums += onehot.T @ xb
        new = centers.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        shift = np.sum((new - centers) ** 2)
        centers = new
        if shift <= tol * scale:
            break
    for start in range(0, n_samples, block_size):  # labels of the final centres
        labels[start:start + block_size] = np.argmin(
            _sq_distances(X[start:start + block_size], centers), axis=1)
    return centers, labels


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
