"""EM you can step through: a fit recorded as a sequence of half-steps.

:func:`fit_trajectory` runs the same EM as :class:`~gmm_core.GaussianMixture`
(one run, same initialisation, same stopping rule) and keeps every state:

* step 0, ``"init"`` -- the initial parameters;
* then for each iteration ``t`` two steps:

  - ``"E"`` -- responsibilities recomputed from the parameters of iteration
    ``t-1`` (the colours change, the ellipses do not);
  - ``"M"`` -- parameters re-estimated from those responsibilities (the
    ellipses move).

Each step carries the parameters in force and the mean log-likelihood of
those parameters, which never decreases along the trajectory.  There is no
EM loop here: the estimator's own loop runs, and its ``on_iteration`` hook
(:class:`~gmm_core.mixture.Iteration`) hands each iteration's parameters and
statistics to the recorder.  Only
parameters are stored (``K * D^2`` numbers a step, at most ``max_steps``
steps), never the (N, K) responsibilities, so memory stays bounded whatever
the data size; :meth:`Trajectory.responsibilities` recomputes them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.errors import ConvergenceWarning
from gmm_core.mixture._estimator import GaussianMixture
from gmm_core.mixture._missing import responsibilities
from gmm_core.mixture._params import GMMParams
from gmm_core.mixture._sources import InMemoryRows
from gmm_core.mixture._typing import CovarianceType, InitMethod, NanPolicy, RandomState

__all__ = ["Step", "Trajectory", "fit_trajectory"]


@dataclass(frozen=True, eq=False)
class Step:
    """One state of a recorded EM run.

    Attributes
    ----------
    index : int
        Position in :attr:`Trajectory.steps`.
    iteration : int
        EM iteration (0 for the initial state).
    phase : {"init", "E", "M"}
    params : GMMParams
        Parameters in force after this half-step.
    resp_params : GMMParams
        Parameters whose E-step gives the responsibilities shown at this step
        (for ``"M"`` steps the ones of the previous E-step).
    log_likelihood : float
        Mean log-likelihood of ``params``.
    """

    index: int
    iteration: int
    phase: str
    params: GMMParams
    resp_params: GMMParams
    log_likelihood: float


@dataclass(eq=False)
class Trajectory:
    """A recorded EM run; see the module docstring."""

    steps: list = field(default_factory=list)
    converged: bool = False
    n_iter: int = 0
    stop_reason: str = ""
    tol: float = 1e-3
    max_iter: int = 100
    timed_out: bool = False

    def responsibilities(self, X: ArrayLike, index: int) -> np.ndarray:
        """Responsibilities (N, K) shown at step ``index``.

        Rows with missing values (NaN) get theirs from their observed columns,
        as in a fit with ``nan_policy="marginalize"``.
        """
        return responsibilities(np.asarray(X, dtype=float), self.steps[index].resp_params)

    @property
    def log_likelihoods(self) -> np.ndarray:
        """Log-likelihood at every step (non-decreasing up to rounding)."""
        return np.array([s.log_likelihood for s in self.steps])

    @property
    def final_params(self) -> GMMParams:
        return self.steps[-1].params


def fit_trajectory(X: ArrayLike, n_components: int, *, covariance_type: CovarianceType = "full",
                   init_params: InitMethod = "kmeans", random_state: RandomState = None,
                   max_iter: int = 100, tol: float = 1e-3, reg_covar: float = 1e-6,
                   sample_weight: ArrayLike | None = None, max_steps: int = 1001,
                   max_time: float | None = None, weights_init: ArrayLike | None = None,
                   means_init: ArrayLike | None = None, precisions_init: ArrayLike | None = None,
                   nan_policy: NanPolicy = "raise") -> Trajectory:
    """Run one EM fit and record every half-step.

    Parameters are those of :class:`~gmm_core.GaussianMixture` (one run,
    ``n_init=1``; ``weights_init``, ``means_init`` and ``precisions_init``
    replace the start as there, e.g. with :func:`~gmm_core.mixture.hard_start`'s;
    ``nan_policy="marginalize"`` records a fit of rows with gaps); ``max_steps``
    bounds the steps stored (``2 * max_iter + 1``
    are needed for a full record; iterations beyond it are not recorded and the
    run stops there, said in ``stop_reason``).  ``max_time`` (seconds, or
    None) is a wall-clock budget as in the estimator: the run stops after the
    iteration that crosses it, ``timed_out`` is set and ``stop_reason`` says so.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> traj = fit_trajectory(X, 2, random_state=0)
    >>> [s.phase for s in traj.steps[:3]]
    ['init', 'E', 'M']
    >>> bool(np.all(np.diff(traj.log_likelihoods) > -1e-10))
    True
    >>> traj.converged
    True
    """
    gm = GaussianMixture(n_components, covariance_type=covariance_type, tol=tol,
                         reg_covar=reg_covar, max_iter=max_iter, init_params=init_params,
                         random_state=random_state, max_time=max_time,
                         weights_init=weights_init, means_init=means_init,
                         precisions_init=precisions_init, nan_policy=nan_policy)
    gm._check_parameters()
    rows = InMemoryRows(X, sample_weight, nan_policy=nan_policy)
    recorder = _Recorder(max_steps)
    with warnings.catch_warnings():  # the trajectory says in words why it stopped
        warnings.simplefilter("ignore", ConvergenceWarning)
        final = gm._fit(rows, on_iteration=recorder)
    traj = Trajectory(steps=recorder.steps, converged=bool(gm.converged_), n_iter=recorder.n_iter,
                      tol=tol, max_iter=max_iter, timed_out=bool(gm.timed_out_))
    if not traj.steps:  # max_iter = 0: the start alone
        traj.steps.append(Step(0, 0, "init", final, final, np.nan))
    last = traj.steps[-1]
    if np.isnan(last.log_likelihood):  # the last parameters' E-step has not run yet
        traj.steps[-1] = Step(last.index, last.iteration, last.phase, last.params,
                              last.resp_params, rows.summarize(last.params).log_likelihood)
    change = recorder.change
    if traj.converged:
        traj.stop_reason = (f"Converged after {traj.n_iter} iterations: the log-likelihood per "
                            f"point changed by {change:.2e} < tol = {tol:g}.")
    elif recorder.full:
        traj.stop_reason = (f"Stopped after {traj.n_iter} iterations: the recording holds at "
                            f"most {max_steps} steps.")
    elif traj.timed_out:
        traj.stop_reason = (f"Stopped at the time limit of {max_time:g} s after {traj.n_iter} "
                            f"iteration(s), before converging (the last change was "
                            f"{change:.2e}, tol = {tol:g}). Use fewer rows, features or "
                            "components to see the whole run.")
    elif max_iter:
        traj.stop_reason = (f"Stopped at max_iter = {max_iter} iterations before "
                            f"converging (tol = {tol:g}); the last change was {change:.2e}.")
    else:
        traj.stop_reason = "max_iter = 0: no EM iteration was run."
    return traj


class _Recorder:
    """The ``on_iteration`` hook that turns each EM iteration into an E- and an M-step.

    An iteration's E-step evaluates the parameters of the step before, so its
    log-likelihood is that of those parameters: it completes the previous
    step's record.  The M-step's parameters are evaluated by the next
    iteration (or, after the last, by one more pass in :func:`fit_trajectory`).
    """

    def __init__(self, max_steps):
        self.max_steps = max_steps
        self.steps = []
        self.bound = -np.inf  # the last recorded iteration's lower bound
        self.change = np.inf
        self.n_iter = 0
        self.full = False

    def __call__(self, it):
        steps = self.steps
        if steps:  # this E-step evaluates the last M-step's parameters
            prev = steps[-1]
            steps[-1] = Step(prev.index, prev.iteration, prev.phase, prev.params,
                             prev.resp_params, it.lower_bound)
        else:
            steps.append(Step(0, 0, "init", it.params, it.params, it.lower_bound))
        if len(steps) + 2 > self.max_steps:  # no room for this iteration's two steps
            self.full = True
            return True
        self.change = abs(it.lower_bound - self.bound)
        self.bound = it.lower_bound
        self.n_iter = it.n_iter
        steps.append(Step(len(steps), it.n_iter, "E", it.params, it.params, it.lower_bound))
        steps.append(Step(len(steps), it.n_iter, "M", it.new_params, it.params, np.nan))
        self.full = len(steps) + 2 > self.max_steps
        return self.full
