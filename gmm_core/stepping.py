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
those parameters, which never decreases along the trajectory.  Only
parameters are stored (``K * D^2`` numbers a step, at most ``max_steps``
steps), never the (N, K) responsibilities, so memory stays bounded whatever
the data size; :meth:`Trajectory.responsibilities` recomputes them.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from gmm_core import em, fast
from gmm_core.mixture import (GaussianMixture, _check_sample_weight, check_random_state,
                              initial_params)

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
    params: em.GMMParams
    resp_params: em.GMMParams
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

    def responsibilities(self, X, index, sample_weight=None):
        """Responsibilities (N, K) shown at step ``index``."""
        return em.e_step(X, self.steps[index].resp_params, sample_weight).resp

    @property
    def log_likelihoods(self):
        """Log-likelihood at every step (non-decreasing up to rounding)."""
        return np.array([s.log_likelihood for s in self.steps])

    @property
    def final_params(self):
        return self.steps[-1].params


def fit_trajectory(X, n_components, *, covariance_type="full", init_params="kmeans",
                   random_state=None, max_iter=100, tol=1e-3, reg_covar=1e-6,
                   sample_weight=None, max_steps=1001, max_time=None):
    """Run one EM fit and record every half-step.

    Parameters are those of :class:`~gmm_core.GaussianMixture` (one run,
    ``n_init=1``); ``max_steps`` bounds the steps stored (``2 * max_iter + 1``
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
    # Reuse the estimator's validation so the rules and messages are the same.
    gm = GaussianMixture(n_components, covariance_type=covariance_type, tol=tol,
                         reg_covar=reg_covar, max_iter=max_iter, init_params=init_params,
                         random_state=random_state, max_time=max_time)
    gm._check_parameters()
    X = gm._validate_X(X, reset=True)
    if X.shape[0] < max(2, n_components):
        raise ValueError(f"Expected n_samples >= n_components but got n_components = "
                         f"{n_components}, n_samples = {X.shape[0]}. Use fewer components "
                         "or more rows.")
    sw = _check_sample_weight(sample_weight, X.shape[0])
    params = initial_params(X, n_components, covariance_type=covariance_type,
                            init_params=init_params, random_state=check_random_state(
                                random_state), reg_covar=reg_covar, sample_weight=sw)
    deadline = None if max_time is None else time.monotonic() + max_time
    traj = Trajectory(tol=tol, max_iter=max_iter)
    stats = fast.summarize(X, params, sw)
    traj.steps.append(Step(0, 0, "init", params, params, stats.log_likelihood))
    prev_ll = -np.inf
    for it in range(1, max_iter + 1):
        if len(traj.steps) + 2 > max_steps:
            traj.stop_reason = (f"Stopped after {it - 1} iterations: the recording holds at "
                                f"most {max_steps} steps.")
            break
        ll = stats.log_likelihood  # of the current params: this iteration's E-step
        traj.steps.append(Step(len(traj.steps), it, "E", params, params, ll))
        new_params = em.params_from_stats(stats, reg_covar)
        stats = fast.summarize(X, new_params, sw)  # E-step of the next iteration
        traj.steps.append(Step(len(traj.steps), it, "M", new_params, params,
                               stats.log_likelihood))
        params = new_params
        traj.n_iter = it
        change = abs(ll - prev_ll)
        if change < tol:
            traj.converged = True
            traj.stop_reason = (f"Converged after {it} iterations: the log-likelihood per "
                                f"point changed by {change:.2e} < tol = {tol:g}.")
            break
        prev_ll = ll
        if deadline is not None and time.monotonic() > deadline:
            traj.timed_out = True
            traj.stop_reason = (f"Stopped at the time limit of {max_time:g} s after {it} "
                                f"iteration(s), before converging (the last change was "
                                f"{change:.2e}, tol = {tol:g}). Use fewer rows, features or "
                                "components to see the whole run.")
            break
    else:
        traj.stop_reason = (f"Stopped at max_iter = {max_iter} iterations before "
                            f"converging (tol = {tol:g}); the last change was "
                            f"{change:.2e}." if max_iter else
                            "max_iter = 0: no EM iteration was run.")
    return traj
