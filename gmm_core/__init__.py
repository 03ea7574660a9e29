"""gmm_core -- the engine behind GMM Explorer.

Gaussian mixture models fitted by Expectation-Maximization, written from
scratch with numpy and scipy, plus the data layer (demo data, a forgiving CSV
reader, scaling and projections) and the figures the app draws.

A Gaussian mixture says each point was drawn from one of ``n_components``
Gaussian distributions, component ``k`` chosen with probability
``weights_[k]``, with mean ``means_[k]`` and covariance ``covariances_[k]``.
EM alternates two steps until the log-likelihood settles:

* the **E-step** gives each point its *responsibilities*, the posterior
  probability that each component produced it (Bayes' rule);
* the **M-step** re-estimates weights, means and covariances from the
  responsibility-weighted sufficient statistics.

Each step never decreases the log-likelihood.

This package never imports streamlit; only :mod:`gmm_core.figures` imports
plotly.
"""

from gmm_core.errors import ConvergenceWarning, DataError

# --- engine (issue 2) ---
from gmm_core.em import (COVARIANCE_TYPES, EStep, GMMParams, SufficientStats, e_step,
                         full_covariances, m_step, n_parameters, params_from_stats,
                         summarize)
from gmm_core.labels import (align_labels, anomaly_score, canonical_order, canonicalize,
                             label_mapping, uncertainty)
from gmm_core.mixture import INIT_METHODS, GaussianMixture, NotFittedError, initial_params
from gmm_core.selection import ModelSelection, select_model
from gmm_core.stepping import Step, Trajectory, fit_trajectory

# --- data layer (issue 3) ---
from gmm_core.datasets import (CUSTOMER_SEGMENTS, DEMO_DATASETS, DemoDataset, load_iris_data,
                               load_wine_data, make_customers, make_elongated_blobs)
from gmm_core.preprocess import (Projection, Scaler, axes_projection, display_subsample,
                                 fit_projection, pca_projection)
from gmm_core.reader import ReadReport, TableResult, read_table

# --- app support (issue 4) ---
from gmm_core.compare import (Comparison, ComparisonView, compare_models, comparison_view,
                             decision_grid, describe_comparison, view_projection)
from gmm_core.geometry import ellipse_points, level_radius, sigma_level

# --- EM and Choose k pages (issue 5) ---
from gmm_core.explain import (EMRun, EMView, EStepNumbers, MStepNumbers, StepExplanation,
                              e_step_numbers, em_run, em_view, explain_step, frame_indices,
                              heatmap_rows, m_step_numbers, parameter_table, step_label)
from gmm_core.sweep import (Recommendation, criterion_curves, kmeans_sweep, model_sweep,
                            recommend)

# --- Segments page and exports (issue 6); gmm_core.report (HTML) imports plotly, so it is
# imported by name: ``from gmm_core.report import html_report`` ---
from gmm_core.export import figure_png, neutralise_formulas, segment_table, to_csv_bytes
from gmm_core.model_io import ModelFileError, SegmentModel, load_model, make_scaler, save_model
from gmm_core.segments import (GLOSSARY, SegmentProfile, SegmentSummary, describe_segments,
                               feature_words, unique_names)
from gmm_core.unusual import UnusualRows, unusual_frame, unusual_rows

# --- scale out (issue 9): gmm_core.scale imports dask only when it is given dask data ---
from gmm_core.cli import assign_command, fit_command

__all__ = [
    "ConvergenceWarning", "DataError",
    # engine
    "COVARIANCE_TYPES", "EStep", "GMMParams", "SufficientStats", "e_step", "full_covariances",
    "m_step", "n_parameters", "params_from_stats", "summarize", "align_labels",
    "anomaly_score", "canonical_order", "canonicalize", "label_mapping", "uncertainty",
    "INIT_METHODS", "GaussianMixture", "NotFittedError", "initial_params", "ModelSelection", "select_model",
    "Step", "Trajectory", "fit_trajectory",
    # data layer (issue 3)
    "CUSTOMER_SEGMENTS", "DEMO_DATASETS", "DemoDataset", "load_iris_data", "load_wine_data",
    "make_customers", "make_elongated_blobs", "Projection", "Scaler", "axes_projection",
    "display_subsample", "fit_projection", "pca_projection", "ReadReport", "TableResult",
    "read_table",
    # app support (issue 4)
    "Comparison", "ComparisonView", "compare_models", "comparison_view", "decision_grid",
    "describe_comparison", "ellipse_points", "level_radius", "sigma_level", "view_projection",
    # EM and Choose k pages (issue 5)
    "EMRun", "EMView", "EStepNumbers", "MStepNumbers", "StepExplanation",
    "e_step_numbers", "em_run", "em_view", "explain_step", "frame_indices",
    "heatmap_rows", "m_step_numbers", "parameter_table", "step_label",
    "Recommendation", "criterion_curves", "kmeans_sweep", "model_sweep", "recommend",
    # Segments page and exports (issue 6)
    "figure_png", "neutralise_formulas", "segment_table", "to_csv_bytes",
    "ModelFileError", "SegmentModel", "load_model", "make_scaler", "save_model",
    "GLOSSARY", "SegmentProfile", "SegmentSummary", "describe_segments", "feature_words",
    "unique_names", "UnusualRows", "unusual_frame", "unusual_rows",
    # scale out (issue 9)
    "assign_command", "fit_command",
]
