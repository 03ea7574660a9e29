"""Where EM starts: initial parameters from ``init_params`` or given arrays, as scikit-learn.

EM climbs to the nearest local optimum of the likelihood, so the start
decides which optimum a fit reaches.  The starts are scikit-learn's: hard
labels of a short k-means (``"kmeans"``), one seed row per component chosen by
k-means++ (``"k-means++"``) or at random (``"random_from_data"``), or random
soft responsibilities (``"random"``) -- and one of ours, deterministic:
agglomerative (Ward) clustering of a sample merged to k groups
(``"hierarchical"``, :mod:`gmm_core.mixture._hierarchical`, like mclust's
default start); one two-pass M-step
(:func:`gmm_core.mixture._blocked.m_step`) turns them into parameters.

A start from seed rows alone (scikit-learn's ``"k-means++"`` and
``"random_from_data"``) fits each component to its one seed row: weights of
``1/N`` and covariances of ``reg_covar``, a start whose likelihood is
astronomically low and that nobody can watch.  :func:`hard_start` is the
teaching alternative: every row goes to its nearest seed, then the same M-step
-- the first M-step of the seeds' hard assignment, i.e. a k-means with zero
Lloyd passes.  :func:`seed_rows` gives the seeds ``initial_params`` would pick.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.mixture._blocked import m_step
from gmm_core.mixture._hierarchical import hierarchical_labels
from gmm_core.mixture._kmeans import kmeans, kmeans_plusplus
from gmm_core.mixture._params import GMMParams
from gmm_core.mixture._typing import CovarianceType, InitMethod, RandomState
from gmm_core.mixture._validation import check_random_state

__all__ = ["INIT_METHODS", "SEED_METHODS", "initial_assignment", "initial_params",
           "precisions_of", "seed_rows", "hard_start"]

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hierarchical")
#: The methods that start from one seed row per component.
SEED_METHODS = ("k-means++", "random_from_data")
KMEANS_INIT_ITER = 10  # Lloyd passes for init_params="kmeans": a start, not a clustering


def _params_from_precisions(weights, means, precisions, covariance_type):
    if covariance_type in ("full", "tied"):
        mats = precisions[None] if covariance_type == "tied" else precisions
        chol = np.linalg.cholesky(mats)
        covs = np.linalg.inv(mats)
        if covariance_type == "tied":
            chol, covs = chol[0], covs[0]
    else:
        chol, covs = np.sqrt(precisions), 1.0 / precisions
    return GMMParams(weights, means, covs, chol, covariance_type)


def precisions_of(params):
    """The precision matrices of ``params`` in the layout ``precisions_init`` takes."""
    pc, ct = np.asarray(params.precisions_cholesky), params.covariance_type
    if ct == "full":
        return pc @ np.swapaxes(pc, 1, 2)
    if ct == "tied":
        return pc @ pc.T
    return pc ** 2


def initial_assignment(X, n_components, *, init_params="kmeans", random_state=None,
                       sample_weight=None):
    """Where ``init_params`` puts each row at the start: ``(labels, resp, total)``.

    ``labels`` (hard, -1 for rows that take no part, e.g. rows that are no
    seed) or ``resp`` (soft, ``"random"``) -- the other is None -- and
    ``total``, the weight the initial weights are divided by.  It does not
    depend on the covariance type, so a sweep over covariance types computes
    it once per start and passes it to :func:`initial_params`.
    """
    rng = check_random_state(random_state)
    n_samples = X.shape[0]
    total = n_samples if sample_weight is None else float(np.sum(sample_weight))
    resp = labels = None
    if init_params == "kmeans":
        _, labels = kmeans(X, n_components, random_state=rng, sample_weight=sample_weight,
                           max_iter=KMEANS_INIT_ITER)
    elif init_params == "k-means++":
        labels = np.full(n_samples, -1)  # rows that are no seed take no part
        labels[kmeans_plusplus(X, n_components, random_state=rng,
                               sample_weight=sample_weight)] = np.arange(n_components)
    elif init_params == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        resp /= resp.sum(axis=1)[:, None]
    elif init_params == "hierarchical":
        labels = np.full(n_samples, -1)
        rows, groups = hierarchical_labels(X, n_components)
        labels[rows] = groups
        total = rows.size if sample_weight is None else float(np.sum(sample_weight[rows]))
    elif init_params == "random_from_data":
        labels = np.full(n_samples, -1)
        labels[rng.choice(n_samples, size=n_components, replace=False)] = np.arange(
            n_components)
    else:
        raise ValueError(f"init_params must be one of {INIT_METHODS}; got {init_params!r}.")
    return labels, resp, total


def initial_params(X: ArrayLike, n_components: int, *, covariance_type: CovarianceType = "full",
                   init_params: InitMethod = "kmeans", random_state: RandomState = None,
                   reg_covar: float = 1e-6, sample_weight: ArrayLike | None = None,
                   weights_init: ArrayLike | None = None, means_init: ArrayLike | None = None,
                   precisions_init: ArrayLike | None = None,
                   assignment: np.ndarray | None = None) -> GMMParams:
    """Starting parameters for EM, exactly as scikit-learn builds them.

    Initial responsibilities come from ``init_params``: ``"kmeans"`` (hard labels
    of a k-means clustering), ``"k-means++"`` (one row per component chosen by
    k-means++ seeding), ``"random"`` (uniform random soft responsibilities) or
    ``"random_from_data"`` (one random row per component); one M-step turns them
    into parameters, and any of ``weights_init``, ``means_init`` or
    ``precisions_init`` given replaces its part.  When all three are given, no
    responsibilities are computed and ``random_state`` is not used.

    ``assignment`` (from :func:`initial_assignment`) replaces the start's
    labels, so ``init_params`` and ``random_state`` are then not used.
    ``X`` and the ``*_init`` arrays are trusted to be validated (see
    :class:`GaussianMixture`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
    >>> p = initial_params(X, 2, covariance_type="spherical", random_state=0)
    >>> sorted(np.round(p.means[:, 1], 2))
    [np.float64(0.5), np.float64(9.5)]
    """
    if weights_init is not None and means_init is not None and precisions_init is not None:
        return _params_from_precisions(weights_init, means_init, precisions_init,
                                       covariance_type)
    if assignment is None:
        assignment = initial_assignment(X, n_components, init_params=init_params,
                                        random_state=random_state, sample_weight=sample_weight)
    labels, resp, total = assignment
    if labels is not None and np.any(labels < 0):  # seeds only: a tiny subset of rows
        rows = np.flatnonzero(labels >= 0)
        X, labels = X[rows], labels[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
    params = m_step(X, covariance_type, reg_covar, sample_weight, resp=resp,
                         labels=labels, n_components=n_components)
    # scikit-learn's initial weights are nk / n_samples, not renormalised
    if resp is not None:
        wr = resp if sample_weight is None else resp * sample_weight[:, None]
        nk = wr.sum(axis=0)
    else:
        nk = np.bincount(labels, weights=sample_weight, minlength=n_components)
    weights = (nk + 10 * np.finfo(float).eps) / total
    weights = weights if weights_init is None else weights_init
    means = params.means if means_init is None else means_init
    if precisions_init is None:
        return GMMParams(weights, means, params.covariances, params.precisions_cholesky,
                            covariance_type)
    return _params_from_precisions(weights, means, precisions_init, covariance_type)


def seed_rows(X: ArrayLike, n_components: int, *, init_params: InitMethod,
              random_state: RandomState = None,
              sample_weight: ArrayLike | None = None) -> np.ndarray:
    """The seed rows ``init_params`` (one of :data:`SEED_METHODS`) picks, one per component.

    The same rows :func:`initial_params` uses for the same ``random_state``
    (an int, a ``RandomState`` or ``None``), so a start built from them with
    :func:`hard_start` is seeded exactly as the estimator would be.

    >>> X = np.arange(20.0).reshape(10, 2)
    >>> rows = seed_rows(X, 3, init_params="random_from_data", random_state=0)
    >>> len(set(rows.tolist())), bool(np.all((rows >= 0) & (rows < 10)))
    (3, True)
    """
    rng = check_random_state(random_state)
    if init_params == "k-means++":
        return np.asarray(kmeans_plusplus(X, n_components, random_state=rng,
                                          sample_weight=sample_weight))
    if init_params == "random_from_data":
        return rng.choice(X.shape[0], size=n_components, replace=False)
    raise ValueError(f"init_params must be one of {SEED_METHODS} to have seed rows; "
                     f"got {init_params!r}.")


def hard_start(X: ArrayLike, rows: ArrayLike, *, covariance_type: CovarianceType = "full",
               reg_covar: float = 1e-6, sample_weight: ArrayLike | None = None) -> GMMParams:
    """Start parameters from seed ``rows``: each row to its nearest seed, then one M-step.

    Each component ``j`` takes the rows nearer (Euclidean) to ``X[rows[j]]``
    than to any other seed, and the seed row itself even when another seed
    sits at the same place, so no component is empty; weights, means and
    covariances are then those of the M-step from these hard labels (with
    ``reg_covar``).  The start of "EM step by step" for the seed methods and
    for seeds the user clicked.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
    >>> p = hard_start(X, [0, 3], covariance_type="spherical", reg_covar=0.0)
    >>> p.weights.round(3).tolist(), p.means.tolist()
    ([0.5, 0.5], [[0.0, 0.5], [9.0, 9.5]])
    """
    X = np.asarray(X, dtype=float)
    rows = np.asarray(rows, dtype=int)
    seeds = X[rows]
    k = len(rows)
    labels = np.empty(X.shape[0], dtype=int)
    block = max(1, (1 << 20) // max(k, 1))
    for b in range(0, X.shape[0], block):  # (block, K) distances at a time
        xb = X[b:b + block]
        d = (np.einsum("ij,ij->i", xb, xb)[:, None] - 2.0 * xb @ seeds.T
             + np.einsum("ij,ij->i", seeds, seeds)[None])
        labels[b:b + block] = np.argmin(d, axis=1)
    labels[rows] = np.arange(k)
    params = m_step(X, covariance_type, reg_covar, sample_weight, labels=labels, n_components=k)
    return params
