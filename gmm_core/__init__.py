"""gmm_core -- the engine behind GMM Explorer, and everything around it that is not Streamlit.

Gaussian mixture models fitted by Expectation-Maximization, written from
scratch with numpy and scipy, with the data layer, the numbers each page
shows, the outputs users take away and the charts.  The folders are the
architecture; imports flow one way, top to bottom:

===============  ==========================================================
``mixture/``     the engine: :class:`GaussianMixture`, EM, model selection,
                 recorded runs, Dask scale-out (numpy/scipy only)
``data/``        reading uploads, demo data sets, scaling, 2-D projections
``analysis/``    the numbers behind each page (bounded app fits, Compare,
                 EM explained, Choose k, segments, unusual rows)
``outputs/``     model JSON, CSV/PNG export, the HTML report
``plots/``       plotly figures (the only plotly importers)
``cli.py``       ``python -m gmm_core fit|assign`` over data on Dask
``errors.py``    the error types and the numeric limits
===============  ==========================================================

A Gaussian mixture says each point was drawn from one of ``n_components``
Gaussian distributions; EM alternates an E-step (responsibilities by Bayes'
rule) and an M-step (weights, means and covariances re-estimated from them),
and neither step ever decreases the log-likelihood.

The names below are the public API; everything else is reachable from its
subpackage (``from gmm_core.mixture import align_labels``).  Importing
``gmm_core`` imports neither streamlit, plotly, the CLI nor Dask.
"""

from gmm_core.data import (
    DEMO_DATASETS,
    Scaler,
    TableResult,
    make_customers,
    make_elongated_blobs,
    read_table,
)
from gmm_core.errors import (
    MAX_MAGNITUDE,
    MIN_SPREAD,
    CollapseError,
    ConvergenceWarning,
    DataError,
    NotFittedError,
)
from gmm_core.mixture import (
    COVARIANCE_TYPES,
    INIT_METHODS,
    GaussianMixture,
    GMMParams,
    ModelSelection,
    Trajectory,
    fit_trajectory,
    select_model,
)
from gmm_core.outputs.model_file import ModelFileError, SegmentModel, load_model, save_model

__all__ = [
    # the engine
    "GaussianMixture", "GMMParams", "COVARIANCE_TYPES", "INIT_METHODS", "fit_trajectory",
    "Trajectory", "select_model", "ModelSelection",
    # data
    "read_table", "TableResult", "Scaler", "DEMO_DATASETS", "make_customers",
    "make_elongated_blobs",
    # models on disk
    "SegmentModel", "load_model", "save_model", "ModelFileError",
    # errors and limits
    "DataError", "ConvergenceWarning", "NotFittedError", "CollapseError", "MAX_MAGNITUDE",
    "MIN_SPREAD",
]
