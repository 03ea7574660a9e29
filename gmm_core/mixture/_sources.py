"""Row sources: where the EM loop's passes over the rows run.

The estimator's one EM loop never touches rows itself.  It asks a *row
source* for these:

* ``summarize(params)`` -- one E-step pass over every row, reduced to
  :class:`~gmm_core.mixture.SufficientStats`;
* ``init_rows(rng, n_components)`` -- the rows (and weights) the start is
  computed from;
* ``outputs(params, what)`` -- ``"labels"``, ``"proba"`` or
  ``"log_prob_norm"`` of every row;
* ``impute(params)`` -- the rows with each missing cell at its posterior mean;
* ``n_samples``, ``n_features`` and ``feature_names``.

:class:`InMemoryRows` runs the blocked kernels on every core;
:class:`~gmm_core.mixture._dask.DaskRows` maps the same kernels over a dask
collection's chunks.  :func:`row_source` is the one place that tells them
apart, and imports the Dask source only when it is given dask data.
"""

import numpy as np

from gmm_core.mixture import _blocked, _missing
from gmm_core.mixture._validation import (
    as_float_matrix,
    check_sample_weight,
    feature_names,
    input_dtype,
    is_dask_collection,
)

__all__ = ["InMemoryRows", "row_source"]


class InMemoryRows:
    """Rows held in memory (a numpy array or a pandas DataFrame), validated once.

    The rows are computed with in float64; ``dtype`` is float32 for float32 data
    (an array, or a DataFrame whose columns all are), the dtype scikit-learn keeps.
    With ``nan_policy="marginalize"`` NaN cells are missing values: the rows are
    grouped once by pattern and every pass runs :mod:`gmm_core.mixture._missing`'s
    (the plain blocked pass when no cell is missing); ``patterns`` is ``None``
    otherwise.
    """

    def __init__(self, X, sample_weight=None, *, nan_policy="raise"):
        self.feature_names = feature_names(X)
        self.dtype = input_dtype(X)
        self.X = as_float_matrix(X, allow_nan=nan_policy == "marginalize")
        self.n_samples, self.n_features = self.X.shape
        self.sample_weight = check_sample_weight(sample_weight, self.n_samples)
        self.patterns = _missing.group_rows(self.X) if nan_policy == "marginalize" else None

    def summarize(self, params):
        if self.patterns is not None:
            return _missing.summarize(self.X, params, self.sample_weight, self.patterns)
        return _blocked.summarize(self.X, params, self.sample_weight)

    def init_rows(self, rng, n_components):
        """The rows the start is computed from; missing cells take their column's mean."""
        if self.patterns is not None and not self.patterns.complete:
            return _missing.mean_filled(self.X, self.sample_weight), self.sample_weight
        return self.X, self.sample_weight

    def outputs(self, params, what):
        if self.patterns is not None:
            out = _missing.log_prob(self.X, params, self.patterns,
                                    what="log_resp" if what == "proba" else what)
            return np.exp(out) if what == "proba" else out
        if what == "labels":
            return _blocked.predict_blocks(self.X, params)
        if what == "proba":
            return np.exp(_blocked.log_prob_blocks(self.X, params))
        return _blocked.log_prob_blocks(self.X, params, what="log_prob_norm")

    def impute(self, params):
        """The rows with each missing cell set to its posterior mean (see ``_missing.impute``)."""
        return _missing.impute(self.X, params, self.patterns)


def row_source(X, sample_weight=None, *, for_fit=True, nan_policy="raise"):
    """The row source for ``X``: :class:`~gmm_core.mixture._dask.DaskRows` for dask data."""
    if is_dask_collection(X):
        from gmm_core.mixture._dask import DaskRows
        return DaskRows(X, sample_weight, for_fit=for_fit, nan_policy=nan_policy)
    return InMemoryRows(X, sample_weight, nan_policy=nan_policy)
