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
component ``j`` has the colour it has on the Compare page.  The run is
computed once; every step is then drawn from it (:mod:`gmm_core.analysis.em_canvas`)
and :func:`explain_step` gives the formulas' numbers, read from the recorded run.

**Starts worth watching.**  ``"k-means++"`` and ``"random_from_data"`` pick one
seed row per component; scikit-learn fits each component to its seed row alone
(weight ``1/N``, spread ``reg_covar``), a start whose log-likelihood is
hundreds of thousands per point below the answer.  Here they start one M-step
later, from every row's nearest seed (:func:`gmm_core.mixture.hard_start`), and
so does a start the user clicks (``START_CHOSEN``).  ``"random"`` gives every
row random responsibilities, so all components start near the overall mean,
nearly identical: EM can stay at that symmetric point, which
:func:`run_status` calls stuck rather than converged.

Examples
--------
>>> import numpy as np
>>> num = e_step_numbers([0.0, 0.0], [0.5, 0.5], [[0.0, 0.0], [2.0, 0.0]], [np.eye(2), np.eye(2)])
>>> np.round(num.resp, 3)
array([0.881, 0.119])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.analysis.guarded import (
    FIT_TIME_LIMIT,
    empty_segments,
    filled_for_start,
    has_gaps,
    regularised,
    scale_for_fit,
)
from gmm_core.data.scaling import Scaler
from gmm_core.mixture import (
    INIT_METHODS,
    SEED_METHODS,
    GMMParams,
    Step,
    Trajectory,
    canonical_order,
    fit_trajectory,
    hard_start,
    log_densities,
    m_step,
    params_from_stats,
    responsibilities,
    seed_rows,
)
from gmm_core.mixture._typing import CovarianceType, InitMethod, Scaling

if TYPE_CHECKING:
    from gmm_core.mixture import GMMParams, Step
from gmm_core.mixture._missing import impute
from gmm_core.mixture._missing import summarize as summarize_gaps

#: The start the user places by clicking ``k`` points.
START_CHOSEN = "your clicks"
#: Every start the EM page offers.
EM_STARTS = tuple(INIT_METHODS) + (START_CHOSEN,)
#: Components closer than this (Mahalanobis distance of their means, relative
#: difference of their covariances) are called identical.
IDENTICAL_TOL = 0.1

__all__ = [
    "EM_STARTS",
    "START_CHOSEN",
    "EMRun",
    "RunStatus",
    "EStepNumbers",
    "MStepNumbers",
    "StepExplanation",
    "e_step_numbers",
    "m_step_numbers",
    "em_run",
    "explain_step",
    "identical_components",
    "run_status",
    "start_description",
    "parameter_table",
    "step_label",
    "used_columns",
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
    log_densities, log_weighted : ndarray (K,)
        Natural logs of ``densities`` and ``weighted``: what ``resp`` is computed from.
    log_total : float
        ``log(total)``, by log-sum-exp.
    underflow : bool
        True when ``total`` is below the smallest normal float (every
        ``pi_k N`` is 0 or denormal in floating point: the point is far from
        every component); only the log columns then show how ``resp`` arises.
    observed : ndarray (D,) of bool
        The columns of ``x`` with a value: the densities are those of the
        observed columns alone (a blank cell is left out of the row's density,
        ``N(x_o | mu_o, Sigma_oo)``), so nothing is filled in.
    """

    x: np.ndarray
    weights: np.ndarray
    densities: np.ndarray
    weighted: np.ndarray
    total: float
    resp: np.ndarray
    log_densities: np.ndarray = None
    log_weighted: np.ndarray = None
    log_total: float = 0.0
    underflow: bool = False
    observed: np.ndarray = None


@dataclass(frozen=True, eq=False)
class MStepNumbers:
    """The M-step's results per component (``covariances`` as full (K, D, D))."""

    n_k: np.ndarray
    n_total: float
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def e_step_numbers(x: ArrayLike, weights: ArrayLike, means: ArrayLike,
                   covariances: ArrayLike) -> EStepNumbers:
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
    total = float(np.exp(log_total))
    return EStepNumbers(x=x, weights=weights, densities=np.exp(log_dens),
                        weighted=np.exp(log_weighted), total=total,
                        resp=np.exp(log_weighted - log_total), log_densities=log_dens,
                        log_weighted=log_weighted, log_total=float(log_total),
                        underflow=bool(total < np.finfo(float).tiny), observed=~np.isnan(x))


def m_step_numbers(X: ArrayLike, resp: ArrayLike, *, covariance_type: CovarianceType = "full",
                   reg_covar: float = 1e-6) -> MStepNumbers:
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


def used_columns(numbers: EStepNumbers, features: Sequence[str]) -> str:
    """Which columns the worked E-step of a row used, in words ("" when it has every value).

    >>> used_columns(e_step_numbers([np.nan, 1.0], [1.0], [[0.0, 0.0]], [np.eye(2)]),
    ...              ["Age", "income"])
    "used: income; Age was blank, so left out of this row's density"
    """
    observed = np.ones(len(features), dtype=bool) if numbers.observed is None else numbers.observed
    if observed.all():
        return ""
    used = [str(f) for f, o in zip(features, observed, strict=True) if o]
    blank = [str(f) for f, o in zip(features, observed, strict=True) if not o]
    verb = "was" if len(blank) == 1 else "were"
    return (f"used: {', '.join(used)}; {', '.join(blank)} {verb} blank, so left out of this "
            "row's density")


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
    init_params : str
        The start asked for (one of :data:`EM_STARTS`).
    seeds : ndarray (K,) of int, or None
        The seed row of each component (canonical order) for the starts
        built by :func:`gmm_core.mixture.hard_start`, else None.
    """

    trajectory: Trajectory
    scaler: Scaler
    Xs: np.ndarray
    reg_covar: float = 1e-6
    warnings: tuple = ()
    init_params: str = "kmeans"
    seeds: np.ndarray = None

    @property
    def steps(self) -> list[Step]:
        return self.trajectory.steps

    @property
    def n_steps(self) -> int:
        return len(self.trajectory.steps)

    def original(self, params: GMMParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(weights, means, full covariances)`` of ``params`` in original units."""
        return (np.asarray(params.weights),
                np.asarray(self.scaler.inverse_means(params.means), dtype=float),
                np.asarray(self.scaler.inverse_covariances(params.full_covariances), dtype=float))

    def responsibilities(self, index: int, rows: ArrayLike | None = None) -> np.ndarray:
        """Responsibilities (n, K) shown at step ``index`` for ``rows`` (all by default)."""
        X = self.Xs if rows is None else self.Xs[np.asarray(rows)]
        return responsibilities(X, self.steps[index].resp_params)

    @cached_property
    def filled(self):
        """The data in original units, each blank cell at the final model's expected value
        (where a row with gaps is drawn); ``None`` when no cell is blank."""
        if not has_gaps(self.Xs):
            return None
        return self.scaler.inverse_transform(impute(self.Xs, self.trajectory.final_params))


def em_run(X: ArrayLike, n_components: int, *, scaling: Scaling = "standard",
           covariance_type: CovarianceType = "full", init_params: InitMethod | str = "kmeans",
           random_state: int = 0, max_iter: int = 100, tol: float = 1e-3, reg_covar: float = 1e-6,
           max_time: float | None = FIT_TIME_LIMIT,
           start_rows: Sequence[int] | None = None) -> EMRun:
    """Scale ``X``, record an EM fit with :func:`gmm_core.fit_trajectory`, order its components.

    Components are numbered in the canonical order of the *final* fit (the
    order the Compare page uses), for every step, so a component keeps its
    colour through the run.  As on the Compare page (:func:`gmm_core.analysis.compare.fit_mixture`)
    the run is bounded by ``max_time`` seconds, a collapsed component makes it
    start again with a stronger ``reg_covar`` (:func:`gmm_core.analysis.guarded.regularised`),
    and what the user should know is in ``EMRun.warnings``.

    ``init_params`` is one of :data:`EM_STARTS`.  The seed starts
    (``"k-means++"``, ``"random_from_data"``) and :data:`START_CHOSEN` (with
    ``start_rows``, one row index per component) begin at
    :func:`gmm_core.mixture.hard_start` of their seeds: see the module docstring.

    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> run = em_run(X, 2, random_state=0)
    >>> run.steps[0].phase, bool(np.all(np.diff(run.trajectory.log_likelihoods) > -1e-9))
    ('init', True)
    >>> run = em_run(X, 2, init_params="k-means++", random_state=0)
    >>> round(float(run.steps[0].params.weights.sum()), 6), run.seeds.shape
    (1.0, (2,))
    """
    if init_params not in EM_STARTS:
        raise ValueError(f"init_params must be one of {EM_STARTS}; got {init_params!r}.")
    scaler, Xs, notes = scale_for_fit(X, scaling, reg_covar=reg_covar)
    k = int(n_components)
    gaps = dict(nan_policy="marginalize") if has_gaps(Xs) else {}
    Xstart = filled_for_start(Xs)  # seeds and their nearest rows need every cell
    seeds = None
    if init_params == START_CHOSEN:
        seeds = np.asarray(start_rows if start_rows is not None else [], dtype=int).ravel()
        if seeds.shape != (k,) or np.any((seeds < 0) | (seeds >= Xs.shape[0])):
            raise ValueError(f"start_rows must hold one row index (0 to {Xs.shape[0] - 1}) "
                             f"per component, {k} in all; got {seeds.tolist()}.")
    elif init_params in SEED_METHODS:
        seeds = seed_rows(Xstart, k, init_params=init_params, random_state=random_state)

    def fit(reg):
        start = {}
        if seeds is not None:
            p = hard_start(Xstart, seeds, covariance_type=covariance_type, reg_covar=reg)
            start = dict(weights_init=p.weights, means_init=p.means, precisions_init=p.precisions)
        return fit_trajectory(Xs, k, covariance_type=covariance_type,
                              init_params="kmeans" if seeds is not None else init_params,
                              random_state=random_state, max_iter=max_iter, tol=tol,
                              reg_covar=reg, max_time=max_time, **gaps, **start)

    traj, reg_covar, regularised_notes = regularised(fit, Xs, reg_covar)
    notes += regularised_notes
    empty = _empty_components(Xs, traj.final_params)
    if empty:
        notes += (empty,)
    order = canonical_order(traj.final_params.means, Xstart)  # as Compare orders them
    steps = [Step(s.index, s.iteration, s.phase, s.params.permuted(order),
                  s.resp_params.permuted(order), s.log_likelihood) for s in traj.steps]
    ordered = Trajectory(steps=steps, converged=traj.converged, n_iter=traj.n_iter,
                         stop_reason=traj.stop_reason, tol=traj.tol, max_iter=traj.max_iter,
                         timed_out=traj.timed_out)
    return EMRun(ordered, scaler, Xs, reg_covar, tuple(notes), str(init_params),
                 None if seeds is None else np.asarray(seeds)[order])


def _empty_components(Xs, params):
    """A warning when some components are the most likely for no point, else None."""
    labels = responsibilities(Xs, params).argmax(axis=1)
    return empty_segments(filled_for_start(Xs), labels, params.means.shape[0], "EM")


def step_label(step: Step) -> str:
    """Plain words for a step: ``"iteration 3, E-step"``.

    >>> step_label(Step(0, 0, "init", None, None, 0.0))
    'start (initial parameters)'
    """
    if step.phase == "init":
        return "start (initial parameters)"
    return f"iteration {step.iteration}, {step.phase}-step"


def start_description(init_params: str) -> str:
    """One sentence on how a start is made, true to what :func:`em_run` does.

    >>> start_description("random").startswith("Every point gets random responsibilities")
    True
    """
    seeded = ("each point then goes to its nearest seed and one M-step gives every "
              "component its weight and spread (scikit-learn instead fits each component to "
              "its seed alone, weight 1/N and a spread of 1e-6: a start too far off to watch).")
    return {
        "kmeans": "A short k-means (10 passes) splits the points; one M-step turns its "
                  "clusters into components. Starts near an answer.",
        "k-means++": "k-means++ picks one seed point per component (×), spread out on "
                     "purpose; " + seeded,
        "random": "Every point gets random responsibilities, so every component starts near "
                  "the overall mean with nearly the same shape. EM must break that symmetry "
                  "and may get stuck there: a start to watch fail.",
        "random_from_data": "One random data point per component is its seed (×); " + seeded,
        "hierarchical": "Every point starts as its own group and the two closest groups are "
                        "merged, again and again, until k remain (on at most 2,000 points); "
                        "one M-step turns them into components. The same start every time.",
        START_CHOSEN: "The k points you click are the seeds (×); each point goes to its "
                      "nearest seed and one M-step gives every component its weight and "
                      "spread.",
    }[init_params]


def identical_components(params: GMMParams, *, tol: float = IDENTICAL_TOL) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of components that are (nearly) the same Gaussian.

    Two components are identical when their means are within ``tol``
    Mahalanobis units (under their average covariance) and their covariances
    differ by less than ``tol`` relative to it (Frobenius norm).  Such a pair
    gets the same responsibilities everywhere, so EM cannot pull it apart:
    a symmetric point of the likelihood.

    >>> p = GMMParams.from_covariances([0.5, 0.5], [[0.0, 0.0], [0.01, 0.0]],
    ...                                [np.eye(2), np.eye(2)], "full")
    >>> identical_components(p)
    [(0, 1)]
    """
    means = np.asarray(params.means, dtype=float)
    covs = np.asarray(params.full_covariances, dtype=float)
    pairs = []
    for i in range(len(means)):
        for j in range(i + 1, len(means)):
            avg = 0.5 * (covs[i] + covs[j])
            d = means[i] - means[j]
            dist = float(np.sqrt(max(d @ np.linalg.solve(avg, d), 0.0)))
            rel = float(np.linalg.norm(covs[i] - covs[j]) / max(np.linalg.norm(avg), 1e-300))
            if dist < tol and rel < tol:
                pairs.append((i, j))
    return pairs


@dataclass(frozen=True)
class RunStatus:
    """How a run ended: ``kind`` is ``"converged"``, ``"stuck"`` or ``"stopped"``.

    ``headline`` is one short sentence, ``detail`` the why; ``identical_at_start``
    and ``identical_at_end`` the pairs of :func:`identical_components`.
    """

    kind: str
    headline: str
    detail: str
    identical_at_start: tuple = ()
    identical_at_end: tuple = ()

    @property
    def message(self) -> str:
        return f"{self.headline} {self.detail}"


def _groups(pairs, names):
    """Identical components as groups of names: ``"blue, orange and red"``."""
    parent = {}

    def root(i):
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(j)] = root(i)
    groups = {}
    for i in sorted({i for p in pairs for i in p}):
        groups.setdefault(root(i), []).append(names[i])
    return [", ".join(g[:-1]) + " and " + g[-1] for g in groups.values()]


def run_status(run: EMRun, names: Sequence[str] | None = None) -> RunStatus:
    """Whether a run converged, stopped early, or is stuck at a symmetric point, in words.

    A run whose last components include identical pairs
    (:func:`identical_components`) is ``"stuck"`` even though its
    log-likelihood stopped changing: it sits at a saddle, not at a fit.
    """
    traj = run.trajectory
    k = run.steps[0].params.n_components
    names = list(names) if names is not None else [f"component {j + 1}" for j in range(k)]
    start = tuple(identical_components(run.steps[0].params))
    end = tuple(identical_components(traj.final_params))
    counted = (f"{traj.n_iter} iterations, {run.n_steps} steps counting the start and each "
               "half-step.")
    if end:
        same = "; ".join(_groups(end, names))
        return RunStatus("stuck", "Stuck at a symmetric point, not converged.", (
            f"Components {same} are (nearly) identical, so every point gives them the same "
            "responsibility and EM cannot pull them apart: the log-likelihood stopped rising "
            "at a saddle, not at a good fit. Try another seed or start. " + counted),
            start, end)
    note = (" The components started (nearly) identical; EM broke the symmetry on its own."
            if start else "")
    if traj.converged:
        return RunStatus("converged", f"Converged after {traj.n_iter} iterations.",
                         traj.stop_reason + " " + counted + note, start, end)
    return RunStatus("stopped", "Stopped before converging.",
                     traj.stop_reason + " " + counted + note, start, end)


# --------------------------------------------------------------------------- the formulas
@dataclass(frozen=True, eq=False)
class StepExplanation:
    """The E-step for one row and the M-step that follows, in original units."""

    row: int
    e: EStepNumbers
    m: MStepNumbers
    m_from_index: int


def _m_step_params(run, index):
    """Recorded parameters of the M-step computed from step ``index``'s responsibilities."""
    steps = run.steps
    step = steps[index]
    if step.phase == "M":
        return step.params
    after = [s for s in steps[index + 1:index + 3] if s.phase == "M"]
    return after[0].params if after else None


def explain_step(run: EMRun, X: ArrayLike, index: int, row: int) -> StepExplanation:
    """Numbers of the formulas at step ``index`` for data row ``row``.

    The E-step is the one whose responsibilities step ``index`` shows (from
    ``resp_params``); the M-step is the one computed from those
    responsibilities, i.e. the parameters of this step if it is an M-step,
    of the next M-step otherwise -- read from the recorded run, so a step costs
    no pass over the data (only a run's very end, where no M-step follows,
    recomputes it).  ``N_k`` is ``N pi_k``.
    """
    X = np.asarray(X, dtype=float)
    row = int(row)
    if not 0 <= row < X.shape[0]:
        raise ValueError(f"row must be between 0 and {X.shape[0] - 1}, got {row}.")
    index = int(index)
    step = run.steps[index]
    w, means, covs = run.original(step.resp_params)
    e = e_step_numbers(X[row], w, means, covs)
    params = _m_step_params(run, index)
    n_total = float(run.Xs.shape[0])
    if params is None and has_gaps(run.Xs):  # the M-step of expected statistics
        params = params_from_stats(summarize_gaps(run.Xs, step.resp_params), run.reg_covar)
    elif params is None:
        params = m_step(run.Xs, step.params.covariance_type, run.reg_covar,
                        resp=run.responsibilities(index))
    weights = np.asarray(params.weights, dtype=float)
    m = MStepNumbers(n_k=weights * n_total, n_total=n_total, weights=weights,
                     means=np.asarray(run.scaler.inverse_means(params.means), dtype=float),
                     covariances=np.asarray(run.scaler.inverse_covariances(
                         params.full_covariances), dtype=float))
    return StepExplanation(row=row, e=e, m=m, m_from_index=index)


def parameter_table(run: EMRun, feature_names: Sequence[str], names: Sequence[str] | None = None,
                    index: int = -1) -> pd.DataFrame:
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
