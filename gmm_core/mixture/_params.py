"""Parameters and sufficient statistics of a Gaussian mixture: the shared vocabulary of EM.

A Gaussian mixture with ``K`` components in ``D`` dimensions has

* ``weights`` (K,) that sum to one,
* ``means`` (K, D),
* covariances whose shape depends on ``covariance_type``:

  ============  ===========  ==========================================
  type          shape        meaning
  ============  ===========  ==========================================
  ``full``      (K, D, D)    each component has its own covariance
  ``tied``      (D, D)       all components share one covariance
  ``diag``      (K, D)       axis-aligned ellipsoids (variances only)
  ``spherical`` (K,)         round clusters, one variance per component
  ============  ===========  ==========================================

Everything is computed in log space with the Cholesky factor ``L`` of the
*precision* (inverse covariance), as scikit-learn does: with
``precision = L @ L.T`` the Mahalanobis term is ``||(x - mu) @ L||^2`` and
``log|precision|^(1/2) = sum(log(diag(L)))``.

EM is organised around **sufficient statistics** (after pomegranate's
*summarize* / *from_summaries* split).  The E-step over a block of rows
yields, besides the block's log-likelihood,

* ``N_k = sum_i w_i r_ik`` -- the (weighted) count of each component,
* ``S1_k = sum_i w_i r_ik (x_i - c_k)`` -- first moments about a shift,
* ``S2_k = sum_i w_i r_ik (x_i - c_k)(x_i - c_k)^T`` -- second moments, or
  their diagonal (``diag``/``spherical``) or a pooled (D, D) sum (``tied``),

and the M-step (:func:`params_from_stats`) consumes their sums.  Stats of
blocks add up (:meth:`SufficientStats.__add__`), so the same EM runs on
chunks, threads or a cluster without touching the maths.

**One shift rule** (:func:`moment_shift`): moments are taken about the current
means for ``full`` and about their weighted centre for the other types -- unless
the means lie too far apart for that to be accurate, when they too are taken
about each component's mean.  Every
pass -- the blocked kernels, the Dask chunks, the reference oracle and the
two-pass M-step after initialisation -- uses it, so their statistics can be
added and compared directly.  About a shift close to the means, the one-pass
covariance ``S2/N - d d^T`` (``d`` the small move of the mean) is as accurate
as the two-pass formula.

The functions here trust their inputs; :class:`~gmm_core.mixture.GaussianMixture`
validates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.errors import CollapseError
from gmm_core.mixture._typing import CovarianceType

__all__ = [
    "COVARIANCE_TYPES",
    "GMMParams",
    "SufficientStats",
    "precision_cholesky",
    "full_covariances",
    "n_parameters",
    "information_criteria",
    "moment_shift",
    "FAR_SPREADS",
    "params_from_stats",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# ---------------------------------------------------------------- parameters
@dataclass(frozen=True, eq=False)
class GMMParams:
    """The parameters of a Gaussian mixture at one point of a fit (immutable).

    Attributes
    ----------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covariances : ndarray, shape by ``covariance_type`` (see module docs)
    precisions_cholesky : ndarray, same shape as ``covariances``
    covariance_type : {"full", "tied", "diag", "spherical"}

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams.from_covariances(np.array([0.5, 0.5]),
    ...                                np.array([[0.0, 0.0], [3.0, 0.0]]),
    ...                                np.array([1.0, 2.0]), "spherical")
    >>> p.n_components, p.n_features
    (2, 2)
    >>> p.full_covariances[1]
    array([[2., 0.],
           [0., 2.]])
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    covariance_type: str

    def __post_init__(self):
        for name in ("weights", "means", "covariances", "precisions_cholesky"):
            arr = np.array(getattr(self, name), dtype=float)  # a private copy
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @classmethod
    def from_covariances(cls, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray,
                         covariance_type: CovarianceType) -> GMMParams:
        """Build parameters from covariances, computing the precision Cholesky factors."""
        covariances = np.asarray(covariances, dtype=float)
        return cls(weights, means, covariances,
                   precision_cholesky(covariances, covariance_type), covariance_type)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]

    @property
    def full_covariances(self) -> np.ndarray:
        """Covariances as a (K, D, D) array whatever the covariance type."""
        return full_covariances(self.covariances, self.covariance_type,
                                self.n_components, self.n_features)

    @property
    def precisions(self) -> np.ndarray:
        """Precision matrices (inverse covariances), shaped like ``covariances``."""
        pc = self.precisions_cholesky
        if self.covariance_type == "full":
            return np.einsum("kij,klj->kil", pc, pc)
        if self.covariance_type == "tied":
            return pc @ pc.T
        return pc ** 2

    def permuted(self, order: ArrayLike) -> GMMParams:
        """The same mixture with components listed in ``order`` (old indices)."""
        order = np.asarray(order)
        if self.covariance_type == "tied":
            return GMMParams(self.weights[order], self.means[order], self.covariances,
                             self.precisions_cholesky, self.covariance_type)
        return GMMParams(self.weights[order], self.means[order], self.covariances[order],
                         self.precisions_cholesky[order], self.covariance_type)


def precision_cholesky(covariances: np.ndarray, covariance_type: CovarianceType) -> np.ndarray:
    """Cholesky factors of the precisions, ``L`` with ``inv(cov) = L @ L.T``.

    Raises
    ------
    CollapseError
        (a ``ValueError``) When a covariance is not positive definite (a collapsed component); the
        message names the component and the remedies.
    """
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type in ("full", "tied"):
        # numpy's batched factorisations: scipy's per-matrix calls cost ~1 ms each
        covs = covariances[None] if covariance_type == "tied" else covariances
        cov_chol = _batched_cholesky(covs, covariance_type)
        eye = np.broadcast_to(np.eye(covs.shape[-1]), covs.shape)
        out = np.swapaxes(np.linalg.solve(cov_chol, eye), -1, -2)
        return out[0] if covariance_type == "tied" else out
    bad = np.flatnonzero(np.any(np.reshape(covariances, (len(covariances), -1)) <= 0.0, axis=1))
    if bad.size:
        raise _collapse(int(bad[0]), covariance_type)
    return 1.0 / np.sqrt(covariances)


def _batched_cholesky(covs, covariance_type):
    """Lower Cholesky factors of a (K, D, D) stack; a failure names its component."""
    if np.all(np.isfinite(covs)):
        try:
            return np.linalg.cholesky(covs)
        except np.linalg.LinAlgError:
            pass
    for k, cov in enumerate(covs):
        if not np.all(np.isfinite(cov)):
            raise _collapse(k, covariance_type)
        try:
            np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise _collapse(k, covariance_type) from None
    raise _collapse(0, covariance_type)  # pragma: no cover


def _collapse(k, covariance_type):
    who = "The shared covariance" if covariance_type == "tied" else f"Component {k}"
    return CollapseError(
        f"{who} collapsed: its covariance ({covariance_type}) is singular, because "
        "the points it holds lie on a line or plane or are all identical. "
        "Fitting the mixture model failed because some components have ill-defined "
        "empirical covariance (for instance caused by singleton or collapsed samples). "
        "Try to decrease the number of components, increase reg_covar, or scale the input "
        "data. Remedies: increase reg_covar (e.g. 1e-4), fit fewer components, "
        "standardise the features, or remove duplicate rows.",
        component=None if covariance_type == "tied" else k)


def full_covariances(covariances: np.ndarray, covariance_type: CovarianceType, n_components: int,
                     n_features: int) -> np.ndarray:
    """Expand any covariance type to a (K, D, D) array of full matrices.

    >>> full_covariances(np.array([[1.0, 4.0]]), "diag", 1, 2)
    array([[[1., 0.],
            [0., 4.]]])
    """
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return covariances.copy()
    if covariance_type == "tied":
        return np.repeat(covariances[None], n_components, axis=0)
    if covariance_type == "diag":
        return np.einsum("kd,de->kde", covariances, np.eye(n_features))
    return covariances[:, None, None] * np.eye(n_features)[None]


def n_parameters(covariance_type: CovarianceType, n_components: int, n_features: int) -> int:
    """Free parameters of the mixture (as scikit-learn counts them, for BIC/AIC).

    >>> n_parameters("full", 3, 2)   # 3*3 covariance + 3*2 means + 2 weights
    17
    """
    k, d = n_components, n_features
    cov_params = {"full": k * d * (d + 1) / 2.0, "tied": d * (d + 1) / 2.0,
                  "diag": k * d, "spherical": k}[covariance_type]
    return int(cov_params + k * d + k - 1)


def information_criteria(log_likelihood: float, n_samples: float,
                         n_params: int) -> tuple[float, float]:
    """``(BIC, AIC)`` from the mean log-likelihood per row; lower is better for both.

    ``BIC = -2 n logL + p log n`` and ``AIC = -2 n logL + 2 p``, scikit-learn's sign.

    >>> bic, aic = information_criteria(-1.0, 100, 5)
    >>> round(float(bic), 6), aic
    (223.025851, 210.0)
    """
    deviance = -2.0 * log_likelihood * n_samples
    return deviance + n_params * np.log(n_samples), deviance + 2.0 * n_params


# ---------------------------------------------------------------- E-step
def _log_det_cholesky(precisions_cholesky, covariance_type, n_features):
    pc = precisions_cholesky
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(pc, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(pc)))
    if covariance_type == "diag":
        return np.sum(np.log(pc), axis=1)
    return n_features * np.log(pc)


# ---------------------------------------------------------------- statistics
@dataclass(frozen=True, eq=False)
class SufficientStats:
    """Sums over rows that the M-step needs; blocks' stats add up.

    Attributes
    ----------
    covariance_type : str
    shift : ndarray
        The points the moments are taken about (:func:`moment_shift`): (K, D), or
        (D,) for ``tied`` about one centre.
    nk : ndarray (K,)
        Weighted responsibility mass of each component.
    s1 : ndarray (K, D)
        ``sum_i w_i r_ik (x_i - shift_k)``.
    s2 : ndarray
        Second moments about the shift: (K, D, D) full, (K, D) diag and
        spherical, (D, D) tied (pooled: ``sum_i w_i (x_i - c)(x_i - c)^T`` about one
        centre, or the sum over components of their moments about their own shifts).
    total_weight : float
        ``sum_i w_i``.
    log_likelihood_sum : float
        ``sum_i w_i log p(x_i)`` under the parameters the E-step used.
    """

    covariance_type: str
    shift: np.ndarray
    nk: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    total_weight: float
    log_likelihood_sum: float

    def __add__(self, other):
        if other == 0:  # lets sum() start from 0
            return self
        if self.covariance_type != other.covariance_type or not np.array_equal(
                self.shift, other.shift):
            raise ValueError("Only statistics taken about the same shift can be added.")
        return SufficientStats(self.covariance_type, self.shift, self.nk + other.nk,
                               self.s1 + other.s1, self.s2 + other.s2,
                               self.total_weight + other.total_weight,
                               self.log_likelihood_sum + other.log_likelihood_sum)

    __radd__ = __add__

    @property
    def log_likelihood(self) -> float:
        """Mean log-likelihood of the rows summarised."""
        return self.log_likelihood_sum / self.total_weight


def _stats_from_resp(X, resp, covariance_type, shift, sample_weight=None, ll_sum=0.0):
    """Accumulate sufficient statistics of rows ``X`` with responsibilities ``resp``."""
    wr = resp if sample_weight is None else resp * sample_weight[:, None]
    total_weight = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
    nk = wr.sum(axis=0)
    n_components, n_features = resp.shape[1], X.shape[1]
    if covariance_type == "tied" and np.ndim(shift) == 1:  # pooled about one centre
        diff = X - shift
        s1 = wr.T @ diff
        wdiff = diff if sample_weight is None else diff * sample_weight[:, None]
        s2 = wdiff.T @ diff
        return SufficientStats(covariance_type, shift, nk, s1, s2, total_weight, ll_sum)
    s1 = np.empty((n_components, n_features))
    s2 = np.empty((n_components, n_features, n_features) if covariance_type in ("full", "tied")
                  else (n_components, n_features))
    for k in range(n_components):
        diff = X - shift[k]
        wdiff = wr[:, k:k + 1] * diff
        s1[k] = wdiff.sum(axis=0)
        if covariance_type in ("full", "tied"):
            s2[k] = wdiff.T @ diff
        else:
            s2[k] = np.einsum("ij,ij->j", wdiff, diff)
    if covariance_type == "tied":  # pooled over components, each about its own mean
        s2 = s2.sum(axis=0)
    return SufficientStats(covariance_type, shift, nk, s1, s2, total_weight, ll_sum)


def _stats_from_labels(X, labels, k, covariance_type, sample_weight):
    """The two-pass M-step's statistics from hard ``labels``: each component's rows alone.

    The same sums as :func:`_stats_from_resp` with one-hot responsibilities (whose
    other rows add zeros), about each component's mean.
    """
    n_features = X.shape[1]
    tiny = 10 * np.finfo(float).eps
    nk, means = np.zeros(k), np.zeros((k, n_features))
    s1 = np.zeros((k, n_features))
    full = covariance_type in ("full", "tied")
    s2 = np.zeros((k, n_features, n_features) if full else (k, n_features))
    for j in range(k):
        rows = np.flatnonzero(labels == j)
        xj = X[rows]
        wj = None if sample_weight is None else sample_weight[rows]
        nk[j] = xj.shape[0] if wj is None else wj.sum()
        means[j] = (xj.sum(axis=0) if wj is None else wj @ xj) / (nk[j] + tiny)
        diff = xj - means[j]
        wdiff = diff if wj is None else wj[:, None] * diff
        s1[j] = wdiff.sum(axis=0)
        s2[j] = wdiff.T @ diff if full else np.einsum("ij,ij->j", wdiff, diff)
    if covariance_type == "tied":  # pooled over components, each about its own mean
        s2 = s2.sum(axis=0)
    total = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
    return SufficientStats(covariance_type, means, nk, s1, s2, total, 0.0)


#: How far (in the components' own spreads) the means may lie from their weighted
#: centre for a pass to expand the quadratic form about that centre.  The expansion
#: loses about ``eps * FAR_SPREADS**2`` of relative accuracy (2e-10 at this limit);
#: means farther apart are evaluated about each component's own mean instead.
FAR_SPREADS = 1e3


def moment_shift(covariance_type: CovarianceType, means: np.ndarray, weights: np.ndarray,
                 precisions_cholesky: np.ndarray | None = None) -> np.ndarray:
    """The points every pass takes its moments about (the one shift rule).

    * ``full``, and any type without ``precisions_cholesky`` (the two-pass M-step,
      which has the new means but no spreads yet): each component's own mean,
      (K, D) -- exact however far the clusters lie from zero or from each other.
    * ``diag``, ``spherical``, ``tied``: the weighted centre of the means, (D,) for
      ``tied`` and repeated per component, (K, D), for the others -- their blocked
      kernel expands the quadratic form about it in one matrix product -- as long
      as every mean lies within :data:`FAR_SPREADS` of its own spreads from it;
      otherwise each component's mean, as for ``full``.

    >>> means, w = np.array([[0.0, 0.0], [4.0, 2.0]]), np.array([0.75, 0.25])
    >>> moment_shift("tied", means, w, np.eye(2))
    array([1. , 0.5])
    >>> moment_shift("tied", means * 1e6, w, np.eye(2))  # far apart: each mean
    array([[      0.,       0.],
           [4000000., 2000000.]])
    """
    means = np.asarray(means, dtype=float)
    if covariance_type == "full" or precisions_cholesky is None:
        return means
    centre = np.asarray(weights, dtype=float) @ means
    offsets = means - centre
    pc = np.asarray(precisions_cholesky, dtype=float)
    if covariance_type == "tied":
        spreads = np.abs(offsets @ pc)
    elif covariance_type == "diag":
        spreads = np.abs(offsets * pc)
    else:
        spreads = np.abs(offsets * pc[:, None])
    if not np.all(spreads <= FAR_SPREADS):  # NaN counts as far
        return means
    if covariance_type == "tied":
        return centre
    return np.repeat(centre[None], means.shape[0], axis=0)


def params_from_stats(stats: SufficientStats, reg_covar: float = 1e-6) -> GMMParams:
    """M-step: weights, means and covariances from summed sufficient statistics.

    ``mean_k = shift_k + S1_k / N_k`` and ``cov_k = S2_k / N_k - d_k d_k^T + reg``
    with ``d_k = S1_k / N_k``, the same estimate as the centred two-pass formula.
    """
    ct = stats.covariance_type
    nk = stats.nk + 10 * np.finfo(float).eps
    d = stats.s1 / nk[:, None]
    means = stats.shift + d
    n_features = means.shape[1]
    if ct == "full":
        cov = stats.s2 / nk[:, None, None] - np.einsum("ki,kj->kij", d, d)
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        cov[:, np.arange(n_features), np.arange(n_features)] += reg_covar
    elif ct == "tied":
        # sum_k sum_i w r (x - mu_k)(x - mu_k)^T = S2 - sum_k N_k d_k d_k^T, whether S2 was
        # pooled about one centre c or summed over components about their own shifts
        cov = stats.s2 - np.einsum("k,ki,kj->ij", nk, d, d)
        cov = cov / nk.sum()
        cov = 0.5 * (cov + cov.T)
        cov.flat[:: n_features + 1] += reg_covar
    elif ct == "diag":
        cov = stats.s2 / nk[:, None] - d ** 2 + reg_covar
    else:
        cov = (stats.s2 / nk[:, None] - d ** 2).mean(axis=1) + reg_covar
    weights = nk / nk.sum()
    return GMMParams.from_covariances(weights, means, cov, ct)
