"""The engine: Gaussian mixtures fitted by Expectation-Maximization (numpy, scipy; numba if there).

A Gaussian mixture says each row was drawn from one of ``n_components``
Gaussian distributions, component ``k`` chosen with probability
``weights_[k]``, with mean ``means_[k]`` and covariance ``covariances_[k]``.
EM alternates two steps until the log-likelihood settles:

* the **E-step** gives each row its *responsibilities*, the posterior
  probability that each component produced it (Bayes' rule), and reduces the
  rows to sufficient statistics (counts, first and second moments);
* the **M-step** re-estimates weights, means and covariances from those sums.

Neither step ever decreases the log-likelihood.

How the package is laid out (every piece written once):

==========================  ===============================================
``_params``                 :class:`GMMParams`, :class:`SufficientStats`, the
                            one shift rule, the M-step from statistics
``_reference``              the plain maths, kept as the tests' oracle
``_blocked``                the hot path: E-step + statistics in cache-sized
                            blocks on every core; the one log-density (numpy:
                            the documented reference and the fallback)
``_kernels``, ``_compiled``  the same pass fused per block and compiled by
                            numba (nogil), when numba is there
``_sources``, ``_dask``     where the rows live: memory or a Dask cluster,
                            behind one interface and one dispatch point
``_missing``                rows with gaps (``nan_policy="marginalize"``):
                            grouped by pattern, each pattern through the
                            blocked E-step on its observed columns, the
                            statistics lifted to all features; ``impute``
``_validation``             every input check, shared by both sources
``_init``, ``_kmeans``      where EM starts
``_estimator``              :class:`GaussianMixture` and the one EM loop
``_trajectory``             :func:`fit_trajectory`: that loop, recorded
``_selection``              :func:`select_model`: the one grid loop
``_labels``                 label switching, uncertainty, anomaly scores
``_stop``, ``_share``       a fit stopped, or held to a share of the cores,
                            from outside (a server with many users)
==========================  ===============================================

This package imports nothing of gmm_core but :mod:`gmm_core.errors`, Dask
only when it is given dask data, and numba at the first pass (or warm-up).
"""

from gmm_core.mixture._blocked import m_step, summarize, warm_up
from gmm_core.mixture._dask import INIT_SAMPLE_ROWS, as_dask_matrix, local_cluster
from gmm_core.mixture._dask import fit as fit_dask
from gmm_core.mixture._degenerate import degenerate_components, describe_degenerate
from gmm_core.mixture._estimator import GaussianMixture, Iteration
from gmm_core.mixture._init import INIT_METHODS, SEED_METHODS, hard_start, initial_params, seed_rows
from gmm_core.mixture._kmeans import kmeans, kmeans_plusplus
from gmm_core.mixture._labels import (
    align_labels,
    anomaly_score,
    canonical_order,
    canonicalize,
    label_mapping,
    uncertainty,
)
from gmm_core.mixture._missing import log_densities, responsibilities  # rows with gaps too
from gmm_core.mixture._params import (
    COVARIANCE_TYPES,
    GMMParams,
    SufficientStats,
    full_covariances,
    information_criteria,
    moment_shift,
    n_parameters,
    params_from_stats,
    precision_cholesky,
)
from gmm_core.mixture._selection import (
    CRITERIA,
    SKIPPED,
    ModelSelection,
    best_row,
    plain_fit,
    select_model,
)
from gmm_core.mixture._share import thread_share
from gmm_core.mixture._stop import checkpoint, inherit_stops, stop_when
from gmm_core.mixture._trajectory import Step, Trajectory, fit_trajectory
from gmm_core.mixture._validation import check_random_state, is_dask_collection

__all__ = [
    "GaussianMixture", "Iteration", "GMMParams", "SufficientStats", "COVARIANCE_TYPES",
    "INIT_METHODS", "INIT_SAMPLE_ROWS", "SEED_METHODS",
    # one pass of EM and its pieces
    "summarize", "params_from_stats", "m_step", "log_densities", "responsibilities",
    "moment_shift", "initial_params", "seed_rows", "hard_start", "precision_cholesky",
    "full_covariances", "n_parameters", "information_criteria", "kmeans", "kmeans_plusplus",
    # recorded runs, model selection, labels
    "Step", "Trajectory", "fit_trajectory", "ModelSelection", "select_model", "plain_fit",
    "SKIPPED", "CRITERIA", "best_row", "degenerate_components", "describe_degenerate",
    "align_labels", "anomaly_score", "canonical_order", "canonicalize",
    "label_mapping", "uncertainty",
    # stopping a fit from outside, and its share of the cores
    "checkpoint", "inherit_stops", "stop_when", "thread_share",
    # input, scale-out, and the compiled kernels loaded ahead of the first fit
    "warm_up", "check_random_state", "is_dask_collection", "as_dask_matrix", "local_cluster",
    "fit_dask",
]
