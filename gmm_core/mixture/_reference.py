"""The plain reference maths of EM: whole arrays, a loop over components (the test oracle).

These functions state the E-step and the two-pass M-step as directly as
numpy allows, so that a reader can check them against a textbook and the
tests can hold the fast paths to them: :mod:`gmm_core.mixture._blocked`
(what the estimator runs) must agree with :func:`summarize` and
:func:`m_step` to 1e-10, and both with scipy's ``multivariate_normal`` and
scikit-learn.  Nothing in the app calls them.  They trust their inputs.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from gmm_core.mixture._params import (  # noqa: F401 (doctests)
    GMMParams,
    SufficientStats,
    _log_det_cholesky,
    _stats_from_resp,
    moment_shift,
    params_from_stats,
    precision_cholesky,
)

__all__ = ["EStep", "estimate_log_gaussian_prob", "e_step", "summarize", "m_step"]


def estimate_log_gaussian_prob(X, means, precisions_cholesky, covariance_type):
    """``log N(x_i | mu_k, Sigma_k)`` for every row and component, shape (N, K).

    >>> import numpy as np
    >>> from scipy.stats import multivariate_normal
    >>> X = np.array([[0.0, 1.0]]); mu = np.zeros((1, 2)); cov = np.eye(2)
    >>> lp = estimate_log_gaussian_prob(X, mu, precision_cholesky(cov[None], "full"), "full")
    >>> bool(np.isclose(lp[0, 0], multivariate_normal(mu[0], cov).logpdf(X[0])))
    True
    """
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_det = _log_det_cholesky(precisions_cholesky, covariance_type, n_features)
    maha = np.empty((n_samples, n_components))
    pc = precisions_cholesky
    for k in range(n_components):
        diff = X - means[k]
        if covariance_type == "full":
            y = diff @ pc[k]
        elif covariance_type == "tied":
            y = diff @ pc
        elif covariance_type == "diag":
            y = diff * pc[k]
        else:
            y = diff * pc[k]
        maha[:, k] = np.einsum("ij,ij->i", y, y)
    return -0.5 * (n_features * np.log(2 * np.pi) + maha) + log_det


def _weighted_log_prob(X, params):
    return (estimate_log_gaussian_prob(X, params.means, params.precisions_cholesky,
                                       params.covariance_type)
            + np.log(params.weights))


@dataclass(frozen=True, eq=False)
class EStep:
    """What one E-step gives.

    Attributes
    ----------
    log_resp : ndarray (N, K)
        Log responsibilities ``log p(k | x_i)``; ``exp`` rows sum to one.
    log_prob_norm : ndarray (N,)
        ``log p(x_i)`` under the mixture.
    log_likelihood : float
        Mean (weighted by ``sample_weight``) of ``log_prob_norm`` -- the
        quantity scikit-learn calls the lower bound.
    """

    log_resp: np.ndarray
    log_prob_norm: np.ndarray
    log_likelihood: float

    @property
    def resp(self):
        return np.exp(self.log_resp)


def e_step(X, params, sample_weight=None):
    """One E-step: responsibilities of every component for every row (Bayes' rule).

    >>> import numpy as np
    >>> p = GMMParams.from_covariances(np.array([0.5, 0.5]), np.array([[0.0], [4.0]]),
    ...                                np.array([1.0, 1.0]), "spherical")
    >>> step = e_step(np.array([[0.0], [2.0]]), p)
    >>> np.round(step.resp, 3)
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    wlp = _weighted_log_prob(X, params)
    log_prob_norm = logsumexp(wlp, axis=1)
    with np.errstate(under="ignore"):
        log_resp = wlp - log_prob_norm[:, None]
    if sample_weight is None:
        ll = float(np.mean(log_prob_norm))
    else:
        ll = float(np.dot(sample_weight, log_prob_norm) / np.sum(sample_weight))
    return EStep(log_resp, log_prob_norm, ll)



def summarize(X, params, sample_weight=None, shift=None):
    """E-step of a block of rows, reduced to sufficient statistics.

    Parameters
    ----------
    X : ndarray (N, D)
    params : GMMParams
        The parameters the E-step evaluates.
    sample_weight : ndarray (N,), optional
    shift : ndarray, optional
        The points to take moments about; defaults to
        :func:`~gmm_core.mixture._params.moment_shift` of ``params``.  All blocks of
        one iteration must use the same shift.
    """
    if shift is None:
        shift = moment_shift(params.covariance_type, params.means, params.weights,
                             params.precisions_cholesky)
    step = e_step(X, params, sample_weight)
    ll_sum = float(np.sum(step.log_prob_norm) if sample_weight is None
                   else np.dot(sample_weight, step.log_prob_norm))
    return _stats_from_resp(X, np.exp(step.log_resp), params.covariance_type, shift,
                            sample_weight, ll_sum)


def m_step(X, resp, covariance_type, reg_covar=1e-6, sample_weight=None):
    """M-step from responsibilities (two passes: means first, then moments about them).

    The textbook M-step, used after initialisation, when there are no previous
    means to take moments about; :func:`gmm_core.mixture._blocked.m_step` is the
    blocked twin that runs.

    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [10.0, 10.0], [12.0, 8.0]])
    >>> resp = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    >>> p = m_step(X, resp, "diag", reg_covar=0.0)
    >>> p.means
    array([[ 1.,  1.],
           [11.,  9.]])
    >>> p.covariances
    array([[1., 1.],
           [1., 1.]])
    """
    wr = resp if sample_weight is None else resp * sample_weight[:, None]
    nk = wr.sum(axis=0) + 10 * np.finfo(float).eps
    means = (wr.T @ X) / nk[:, None]
    shift = moment_shift(covariance_type, means, nk / nk.sum())
    return params_from_stats(_stats_from_resp(X, resp, covariance_type, shift, sample_weight),
                             reg_covar)
