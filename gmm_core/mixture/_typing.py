"""Type aliases used in the annotations of gmm_core's public signatures.

Each ``Literal`` lists the values of the tuple the code checks against
(``tests/test_annotations.py`` holds them equal):

>>> from typing import get_args
>>> from gmm_core.mixture import COVARIANCE_TYPES
>>> get_args(CovarianceType) == COVARIANCE_TYPES
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["CovarianceType", "Criterion", "InitMethod", "MissingPolicy", "NanPolicy",
           "RandomState", "Scaling"]

#: :data:`gmm_core.mixture.COVARIANCE_TYPES`
CovarianceType = Literal["full", "tied", "diag", "spherical"]
#: :data:`gmm_core.mixture.INIT_METHODS`
InitMethod = Literal["kmeans", "k-means++", "random", "random_from_data", "hierarchical"]
#: :data:`gmm_core.data.SCALINGS`
Scaling = Literal["standard", "minmax", "none"]
#: :data:`gmm_core.mixture.CRITERIA`
Criterion = Literal["bic", "aic", "icl"]
#: ``GaussianMixture(nan_policy=...)``: :data:`gmm_core.mixture._estimator.NAN_POLICIES`
NanPolicy = Literal["raise", "marginalize"]
#: ``read_table(missing=...)``: what to do with rows that have a missing value
MissingPolicy = Literal["drop", "mean", "median", "use"]
#: A seed, a generator, or None (fresh randomness), as scikit-learn's ``random_state``
RandomState = int | np.random.RandomState | np.random.Generator | None
