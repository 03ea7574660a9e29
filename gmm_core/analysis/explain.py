"""EM explained with numbers: what the "EM step by step" page shows.

A Gaussian mixture is fitted by alternating two steps; this module gives the
numbers each one produces, for one point and for every component, in the
data's **original units** (the model is fitted on scaled data; see
:class:`gmm_core.Scaler`).

* **E-step** (Bayes' rule): the responsibility of component ``k`` for point
  ``x_i`` is ``r_ik = pi_k N(x_i | mu_k, Sigma_k) / sum_j pi_j N(x_i | mu_j, Sigma_j)``.
  A density in original units is the scaled one divided by ``prod(scale_)``
  (the Jacobian), the same factor for every component, so the ratios -- the
  responsibilities -- are the same in either unit system.
* **M-step**: from the responsibilities, ``N_k = sum_i r_ik`` (the effective
  number of points of component ``k``), ``pi_k = N_k / N``,
  ``mu_k = sum_i r_ik x_i / N_k`` and
  ``Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k`` (+ ``reg_covar``
  on the diagonal; ``tied`` averages the ``Sigma_k`` weighted by ``N_k``,
  ``diag`` keeps their diagonals, ``spherical`` the mean of the diagonal).
  The mean and covariance formulas are linear in ``x``, so they hold in
  original units too.

:func:`em_run` records a fit (:func:`gmm_core.fit_trajectory`) with its
components in the canonical order of :func:`gmm_core.mixture.canonical_order`, so
component ``j`` has the colour it has on the Compare page;
:func:`em_view` projects a light subsample of steps and points for the
animation; :func:`explain_step` gives the formulas' numbers.

Examples
--------
>>> import numpy as np
>>> num = e_step_numbers([0.0, 0.0], [0.5, 0.5], [[0.0, 0.0], [2.0, 0.0]], [np.eye(2), np.eye(2)])
>>> np.round(num.resp, 3)
array([0.881, 0.119])
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gmm_core.analysis.compare import plot_ranges
from gmm_core.analysis.guarded import FIT_TIME_LIMIT, empty_segments, regularised, scale_for_fit
from gmm_core.data.projection import display_subsample
from gmm_core.data.scaling import Scaler
from gmm_core.mixture import (GMMParams, Step, Trajectory, canonical_order, fit_trajectory,
                              log_densities, m_step, responsibilities)

__all__ = [
    "EMRun",
    "EMView",
    "EStepNumbers",
    "MStepNumbers",
    "StepExplanation",
    "e_step_numbers",
    "m_step_numbers",
    "em_run",
    "em_view",
    "explain_step",
    "frame_indices",
    "heatmap_rows",
    "parameter_table",
    "step_label",
]


# --------------------------------------------------------------------------- numbers
@dataclass(frozen=True, eq=False)
class EStepNumbers:
    """One point's E-step: ``r_k = weights_k densities_k / total``.

    Attributes
    ----------
    x : ndarray (D,)
    weights : ndarray (K,)
        ``pi_k``.
    densities : ndarray (K,)
        ``N(x | mu_k, Sigma_k)``.
    weighted : ndarray (K,)
        ``pi_k N(x | mu_k, Sigma_k)``.
    total : float
        ``sum_j pi_j N(x | mu_j, Sigma_j)``, the mixture density at ``x``.
    resp : ndarray (K,)
        Responsibilities; they sum to 1.
    """

    x: np.ndarray
    weights: np.ndarray
    densities: np.ndarray
    weighted: np.ndarray
    total: float
    resp: np.ndarray


@dataclass(frozen=True, eq=False)
class MStepNumbers:
    """The M-step's results per component (``covariances`` as full (K, D, D))."""

    n_k: np.ndarray
    n_total: float
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def e_step_numbers(x, weights, means, covariances):
    """The E-step for one point ``x``, every number of Bayes' rule.

    Parameters
    ----------
    x : array-like (D,)
    weights : array-like (K,)
    means : array-like (K, D)
    covariances : array-like (K, D, D)
        Full covariances, positive definite.

    Returns
    -------
    EStepNumbers
        Computed in log space, so the responsibilities are right even when
        every density underflows.
    """
    x = np.asarray(x, dtype=float).ravel()
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    if means.ndim != 2 or means.shape[1] != x.shape[0] or covariances.shape != (
            means.shape[0], x.shape[0], x.shape[0]) or weights.shape != (means.shape[0],):
        raise ValueError(f"expected x (D,), weights (K,), means (K, D), covariances (K, D, D); "
                         f"got {x.shape}, {weights.shape}, {means.shape}, {covariances.shape}.")
    # the engine's log-density; the weights enter below, so give it equal ones
    log_dens = log_densities(x[None], GMMParams.from_covariances(
        np.ones(len(means)), means, covariances, "full"))[0]
    with np.errstate(divide="ignore"):
        log_weighted = np.log(weights) + log_dens
    top = np.max(log_weighted)
    log_total = top + np.log(np.sum(np.exp(log_weighted - top)))
    return EStepNumbers(x=x, weights=weights, densities=np.exp(log_dens),
                        weighted=np.exp(log_weighted), total=float(np.exp(log_total)),
                        resp=np.exp(log_weighted - log_total))


def m_step_numbers(X, resp, *, covariance_type="full", reg_covar=1e-6):
    """The M-step from responsibilities ``resp`` (N, K): counts, weights, means, covariances.

    >>> X = np.array([[0.0], [2.0], [10.0]])
    >>> num = m_step_numbers(X, np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), reg_covar=0.0)
    >>> num.n_k.tolist(), num.means.ravel().tolist(), num.covariances.ravel().tolist()
    ([2.0, 1.0], [1.0, 10.0], [1.0, 0.0])
    """
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    params = m_step(X, covariance_type, reg_covar, resp=resp)
    n_k = resp.sum(axis=0)
    return MStepNumbers(n_k=n_k, n_total=float(X.shape[0]), weights=np.asarray(params.weights),
                        means=np.asarray(params.means),
                        covariances=np.asarray(params.full_covariances))


# --------------------------------------------------------------------------- a recorded run
@dataclass(frozen=True, eq=False)
class EMRun:
    """A recorded EM fit on scaled data, components in canonical order.

    Attributes
    ----------
    trajectory : Trajectory
        Every half-step; ``params`` and ``resp_params`` already reordered.
    scaler : Scaler
        Maps the scaled data (what was fitted) back to original units.
    Xs : ndarray (N, D)
        The scaled data.
    reg_covar : float
        The regularisation used (stronger than asked if a component collapsed).
    warnings : tuple of str
        What the page should say: a regularised refit, a feature too flat to
        resolve, empty components (the time limit is in ``trajectory.stop_reason``).
    """

    trajectory: Trajectory
    scaler: Scaler
    Xs: np.ndarray
    reg_covar: float = 1e-6
    warnings: tuple = ()

    @property
    def steps(self):
        return self.trajectory.steps

    @property
    def n_steps(self):
        return len(self.trajectory.steps)

    def original(self, params):
        """``(weights, means, full covariances)`` of ``params`` in original units."""
        return (np.asarray(params.weights),
                np.asarray(self.scaler.inverse_means(params.means), dtype=float),
                np.asarray(self.scaler.inverse_covariances(params.full_covariances), dtype=float))

    def responsibilities(self, index, rows=None):
        """Responsibilities (n, K) shown at step ``index`` for ``rows`` (all by default)."""
        X = self.Xs if rows is None else self.Xs[np.asarray(rows)]
        return responsibilities(X, self.steps[index].resp_params)


def em_run(X, n_components, *, scaling="standard", covariance_type="full",
           init_params="kmeans", random_state=0, max_iter=100, tol=1e-3, reg_covar=1e-6,
           max_time=FIT_TIME_LIMIT):
    """Scale ``X``, record an EM fit with :func:`gmm_core.fit_trajectory`, order its components.

    Components are numbered in the canonical order of the *final* fit (the
    order the Compare page uses), for every step, so a component keeps its
    colour through the run.  As on the Compare page (:func:`gmm_core.analysis.compare.fit_mixture`)
    the run is bounded by ``max_time`` seconds, a collapsed component makes it
    start again with a stronger ``reg_covar`` (:func:`gmm_core.analysis.guarded.regularised`),
    and what the user should know is in ``EMRun.warnings``.

    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> run = em_run(X, 2, random_state=0)
    >>> run.steps[0].phase, bool(np.all(np.diff(run.trajectory.log_likelihoods) > -1e-9))
    ('init', True)
    """
    scaler, Xs, notes = scale_for_fit(X, scaling, reg_covar=reg_covar)
    traj, reg_covar, regularised_notes = regularised(
        lambda reg: fit_trajectory(Xs, int(n_components), covariance_type=covariance_type,
                                   init_params=init_params, random_state=random_state,
                                   max_iter=max_iter, tol=tol, reg_covar=reg, max_time=max_time),
        Xs, reg_covar)
    notes += regularised_notes
    empty = _empty_components(Xs, traj.final_params)
    if empty:
        notes += (empty,)
    order = canonical_order(traj.final_params.means, Xs)
    steps = [Step(s.index, s.iteration, s.phase, s.params.permuted(order),
                  s.resp_params.permuted(order), s.log_likelihood) for s in traj.steps]
    ordered = Trajectory(steps=steps, converged=traj.converged, n_iter=traj.n_iter,
                         stop_reason=traj.stop_reason, tol=traj.tol, max_iter=traj.max_iter,
                         timed_out=traj.timed_out)
    return EMRun(ordered, scaler, Xs, reg_covar, tuple(notes))


def _empty_components(Xs, params):
    """A warning when some components are the most likely for no point, else None."""
    labels = responsibilities(Xs, params).argmax(axis=1)
    return empty_segments(Xs, labels, params.means.shape[0], "EM")


def step_label(step):
    """Plain words for a step: ``"iteration 3, E-step"``.

    >>> step_label(Step(0, 0, "init", None, None, 0.0))
    'start (initial parameters)'
    """
    if step.phase == "init":
        return "start (initial parameters)"
    return f"iteration {step.iteration}, {step.phase}-step"


def frame_indices(n_steps, max_frames=60):
    """Steps to animate: all, or ``max_frames`` evenly spread including first and last.

    >>> frame_indices(5).tolist()
    [0, 1, 2, 3, 4]
    >>> idx = frame_indices(201, 60)
    >>> len(idx), int(idx[0]), int(idx[-1])
    (60, 0, 200)
    """
    n_steps, max_frames = int(n_steps), max(int(max_frames), 2)
    if n_steps <= max_frames:
        return np.arange(n_steps)
    return np.unique(np.round(np.linspace(0, n_steps - 1, max_frames)).astype(int))


# --------------------------------------------------------------------------- what is drawn
@dataclass(frozen=True, eq=False)
class EMView:
    """The animation's data in plot units.

    ``frames`` is a list of dicts, one per animated step, with ``index``,
    ``label``, ``resp`` (n_shown, K; None at the start, before the first
    E-step), ``means`` (K, 2), ``covariances``
    (K, 2, 2), ``prev_means``, ``prev_covariances`` (the step before) and
    ``log_likelihood``.
    """

    points: np.ndarray
    rows: np.ndarray
    frames: list
    log_likelihoods: np.ndarray
    x_range: tuple
    y_range: tuple
    axis_titles: tuple
    n_total: int


def _frame(run, projection, index, rows):
    step = run.steps[index]
    prev = run.steps[max(index - 1, 0)]
    _, means, covs = run.original(step.params)
    _, pmeans, pcovs = run.original(prev.params)
    return dict(index=int(index), label=step_label(step),
                resp=None if step.phase == "init" else run.responsibilities(index, rows),
                means=np.asarray(projection.project_means(means), dtype=float),
                covariances=np.asarray(projection.project_covariances(covs), dtype=float),
                prev_means=np.asarray(projection.project_means(pmeans), dtype=float),
                prev_covariances=np.asarray(projection.project_covariances(pcovs), dtype=float),
                log_likelihood=float(step.log_likelihood))


def em_view(run, X, projection, *, current=0, max_frames=60, max_points=2000, seed=0):
    """Project a run for drawing: a subsample of points and of steps.

    Parameters
    ----------
    run : EMRun
    X : array-like (N, D)
        The data in original units.
    projection : gmm_core.data.Projection
        Acts on original units (e.g. :func:`gmm_core.analysis.compare.view_projection`).
    current : int
        The step shown first; always among the frames.
    max_frames, max_points : int
        Caps on the animated steps (first and last always kept) and the
        points drawn per frame (a deterministic subsample).
    """

    X = np.asarray(X, dtype=float)
    rows = display_subsample(X.shape[0], max_points, seed=seed)
    points = np.asarray(projection.project_points(X[rows]), dtype=float)
    current = int(np.clip(current, 0, run.n_steps - 1))
    idx = frame_indices(run.n_steps, max_frames)
    if current not in idx:  # one frame fewer elsewhere, so the cap holds
        idx = np.union1d(frame_indices(run.n_steps, max_frames - 1), [current])
    frames = [_frame(run, projection, i, rows) for i in idx]
    extent = [points] + [f["means"] for f in frames]
    x_range, y_range = plot_ranges(np.vstack(extent))
    return EMView(points=points, rows=np.asarray(rows), frames=frames,
                  log_likelihoods=np.asarray(run.trajectory.log_likelihoods, dtype=float),
                  x_range=x_range, y_range=y_range,
                  axis_titles=tuple(str(a) for a in projection.axis_labels),
                  n_total=int(X.shape[0]))


def heatmap_rows(resp, *, max_rows=400, seed=0):
    """Rows for the responsibility heatmap: a subsample, sorted by component then certainty.

    Returns indices into ``resp`` (at most ``max_rows``, deterministic),
    grouped by most likely component and, within a group, most certain first.

    >>> heatmap_rows(np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]])).tolist()
    [1, 2, 0]
    """
    resp = np.asarray(resp, dtype=float)
    rows = display_subsample(resp.shape[0], max_rows, seed=seed)
    sub = resp[rows]
    order = np.lexsort((-sub.max(axis=1), sub.argmax(axis=1)))
    return rows[order]


# --------------------------------------------------------------------------- the formulas
@dataclass(frozen=True, eq=False)
class StepExplanation:
    """The E-step for one row and the M-step that follows, in original units."""

    row: int
    e: EStepNumbers
    m: MStepNumbers
    m_from_index: int


def explain_step(run, X, index, row):
    """Numbers of the formulas at step ``index`` for data row ``row``.

    The E-step is the one whose responsibilities step ``index`` shows (from
    ``resp_params``); the M-step is the one computed from those
    responsibilities, i.e. the parameters of this step if it is an M-step,
    of the next step otherwise.
    """
    X = np.asarray(X, dtype=float)
    row = int(row)
    if not 0 <= row < X.shape[0]:
        raise ValueError(f"row must be between 0 and {X.shape[0] - 1}, got {row}.")
    step = run.steps[int(index)]
    w, means, covs = run.original(step.resp_params)
    e = e_step_numbers(X[row], w, means, covs)
    resp = run.responsibilities(int(index))
    ms = m_step_numbers(run.Xs, resp, covariance_type=step.params.covariance_type,
                        reg_covar=run.reg_covar)
    m = MStepNumbers(n_k=ms.n_k, n_total=ms.n_total, weights=ms.weights,
                     means=np.asarray(run.scaler.inverse_means(ms.means), dtype=float),
                     covariances=np.asarray(run.scaler.inverse_covariances(ms.covariances),
                                            dtype=float))
    return StepExplanation(row=row, e=e, m=m, m_from_index=int(index))


def parameter_table(run, feature_names, names=None, index=-1):
    """Weights, means and covariances of step ``index`` (default: final) in original units.

    One row per component: ``component, weight``, ``mean <feature>`` for each
    feature, then ``var <feature>`` and ``cov <a>, <b>`` for each pair.
    """
    w, means, covs = run.original(run.steps[index].params)
    feats = [str(f) for f in feature_names]
    K, D = means.shape
    names = list(names) if names is not None else [f"component {k + 1}" for k in range(K)]
    data = {"component": names[:K], "weight": w}
    for d, f in enumerate(feats):
        data[f"mean {f}"] = means[:, d]
    for a in range(D):
        for b in range(a, D):
            key = f"var {feats[a]}" if a == b else f"cov {feats[a]}, {feats[b]}"
            data[key] = covs[:, a, b]
    return pd.DataFrame(data)
