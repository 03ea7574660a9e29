"""Row sources: where the EM loop's passes over the rows run.

The estimator's one EM loop never touches rows itself.  It asks a *row
source* for four things:

* ``summarize(params)`` -- one E-step pass over every row, reduced to
  :class:`~gmm_core.mixture.SufficientStats`;
* ``init_rows(rng, n_components)`` -- the rows (and weights) the start is
  computed from;
* ``outputs(params, what)`` -- ``"labels"``, ``"proba"`` or
  ``"log_prob_norm"`` of every row;
* ``n_samples``, ``n_features`` and ``feature_names``.

:class:`InMemoryRows` runs the blocked kernels on every core;
:class:`~gmm_core.mixture._dask.DaskRows` maps the same kernels over a dask
collection's chunks.  :func:`row_source` is the one place that tells them
apart, and imports the Dask source only when it is given dask data.
"""

import numpy as np

from gmm_core.mixture import _blocked
from gmm_core.mixture._validation import (as_float_matrix, check_sample_weight, feature_names,
                                          input_dtype, is_dask_collection)

__all__ = ["InMemoryRows", "row_source"]


class InMemoryRows:
    """Rows held in memory (a numpy array or a pandas DataFrame), validated once.

    The rows are computed with in float64; ``dtype`` is float32 for float32 data
    (an array, or a DataFrame whose columns all are), the dtype scikit-learn keeps.
    """

    def __init__(self, X, sample_weight=None):
        self.feature_names = feature_names(X)
        self.dtype = input_dtype(X)
        self.X = as_float_matrix(X)
        self.n_samples, self.n_features = self.X.shape
        self.sample_weight = check_sample_weight(sample_weight, self.n_samples)

    def summarize(self, params):
        return _blocked.summarize(self.X, params, self.sample_weight)

    def init_rows(self, rng, n_components):
        return self.X, self.sample_weight

    def outputs(self, params, what):
        if what == "labels":
            return _blocked.predict_blocks(self.X, params)
        if what == "proba":
            return np.exp(_blocked.log_prob_blocks(self.X, params))
        return _blocked.log_prob_blocks(self.X, params, what="log_prob_norm")


def row_source(X, sample_weight=None, *, for_fit=True):
    """The row source for ``X``: :class:`~gmm_core.mixture._dask.DaskRows` for dask data."""
    if is_dask_collection(X):
        from gmm_core.mixture._dask import DaskRows
        return DaskRows(X, sample_weight, for_fit=for_fit)
    return InMemoryRows(X, sample_weight)
