"""Restarts side by side: the same EM from several starts, grouped by the optimum each reaches.

EM climbs from its start to the nearest local optimum of the likelihood, so
different starts can end in different places.  :func:`run_restarts` records
``n_starts`` runs of the "EM step by step" page's own EM
(:func:`gmm_core.analysis.explain.em_run`, seeds ``first_seed``,
``first_seed + 1``, ...) and groups them by the partition they end with:
two runs reach the **same optimum** when, after matching their labels by the
Hungarian algorithm (:func:`gmm_core.mixture.align_labels` -- label switching
renames components, it does not change the answer), at least
:data:`SAME_OPTIMUM` of the rows get the same component.  Each
:class:`Optimum` says how many starts found it and keeps its best run, so the
page can step through exactly that run again.  Runs that end stuck at a
symmetric point (:func:`gmm_core.analysis.explain.identical_components`) form
one group of their own whatever their labels: their partitions are noise.

>>> import numpy as np
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))])
>>> result = run_restarts(X, 2, n_starts=4, init_params="k-means++")
>>> [o.count for o in result.optima], result.optima[0].seeds[:2]
([4], (0, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import adjusted_rand_score

from gmm_core.analysis.explain import em_run, identical_components
from gmm_core.analysis.guarded import FIT_TIME_LIMIT
from gmm_core.mixture import align_labels, responsibilities
from gmm_core.mixture._typing import CovarianceType, InitMethod, Scaling

if TYPE_CHECKING:
    from gmm_core.analysis.em_canvas import EMCanvas

__all__ = ["SAME_OPTIMUM", "Restart", "Optimum", "Restarts", "run_restarts", "group_optima",
           "restart_panels"]

#: Fraction of rows that must agree (after label matching) for two runs to share an optimum:
#: runs that converge to one optimum within ``tol`` can still differ on a few borderline rows.
SAME_OPTIMUM = 0.99


@dataclass(frozen=True, eq=False)
class Restart:
    """One run: its seed, final mean log-likelihood, labels and final parameters (scaled)."""

    seed: int
    log_likelihood: float
    labels: np.ndarray
    params: object
    n_iter: int
    converged: bool
    stuck: bool


@dataclass(frozen=True, eq=False)
class Optimum:
    """Runs that reached the same partition: ``members`` index :attr:`Restarts.runs`.

    ``best`` is the member with the highest log-likelihood; ``ari`` the adjusted
    Rand index of its partition against the best optimum's (1 for that one).
    """

    members: tuple
    best: int
    log_likelihood: float
    seeds: tuple
    ari: float
    stuck: bool

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass(frozen=True, eq=False)
class Restarts:
    """``runs`` in seed order and their ``optima``, best log-likelihood first."""

    runs: tuple
    optima: tuple
    init_params: str
    scaler: object


def group_optima(labels: Sequence[ArrayLike], log_likelihoods: ArrayLike, *,
                 same: float = SAME_OPTIMUM) -> list[list[int]]:
    """Group runs by partition up to label switching; returns lists of run indices.

    Runs are taken best log-likelihood first; each joins the first group whose
    best run it agrees with on at least ``same`` of the rows after
    :func:`gmm_core.mixture.align_labels`, else starts a group.  Groups come
    out best first.

    >>> group_optima([[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]], [-1.0, -1.0, -2.0])
    [[0, 1], [2]]
    """
    order = np.argsort(-np.asarray(log_likelihoods, dtype=float), kind="stable")
    groups = []
    for i in order:
        lab = np.asarray(labels[i])
        for group in groups:
            ref = np.asarray(labels[group[0]])
            if np.mean(align_labels(ref, lab) == ref) >= same:
                group.append(int(i))
                break
        else:
            groups.append([int(i)])
    return [sorted(g) for g in groups]


def run_restarts(X: ArrayLike, n_components: int, *, n_starts: int = 12, first_seed: int = 0,
                 scaling: Scaling = "standard", covariance_type: CovarianceType = "full",
                 init_params: InitMethod = "k-means++",
                 max_time: float | None = FIT_TIME_LIMIT) -> Restarts:
    """Run the EM page's EM from ``n_starts`` seeds and group the runs by optimum.

    Parameters are those of :func:`gmm_core.analysis.explain.em_run` (not its
    ``start_rows``: every start here comes from a seed); ``max_time`` bounds
    each run.
    """
    X = np.asarray(X, dtype=float)
    runs, scaler = [], None
    for seed in range(int(first_seed), int(first_seed) + int(n_starts)):
        run = em_run(X, n_components, scaling=scaling, covariance_type=covariance_type,
                     init_params=init_params, random_state=seed, max_time=max_time)
        scaler = run.scaler
        final = run.trajectory.final_params
        runs.append(Restart(seed=seed, log_likelihood=float(run.trajectory.log_likelihoods[-1]),
                            labels=responsibilities(run.Xs, final).argmax(axis=1), params=final,
                            n_iter=run.trajectory.n_iter, converged=run.trajectory.converged,
                            stuck=bool(identical_components(final))))
    fine = [i for i, r in enumerate(runs) if not r.stuck]
    stuck = [i for i, r in enumerate(runs) if r.stuck]
    groups = [[fine[j] for j in g] for g in group_optima(
        [runs[i].labels for i in fine], [runs[i].log_likelihood for i in fine])] if fine else []
    groups += [stuck] if stuck else []
    top = runs[max(groups[0], key=lambda i: runs[i].log_likelihood)].labels
    optima = []
    for group in groups:
        best = max(group, key=lambda i: runs[i].log_likelihood)
        optima.append(Optimum(members=tuple(group), best=best,
                              log_likelihood=runs[best].log_likelihood,
                              seeds=tuple(runs[i].seed for i in group),
                              ari=float(adjusted_rand_score(top, runs[best].labels)),
                              stuck=runs[best].stuck))
    return Restarts(tuple(runs), tuple(optima), str(init_params), scaler)


def restart_panels(result: Restarts, canvas: EMCanvas, *, max_panels: int = 6) -> list[dict]:
    """The small multiples to draw: one dict per optimum (best first, at most ``max_panels``).

    Each has ``title`` (how many starts found it, its log-likelihood), ``labels``
    of the canvas' drawn points, and the best run's ``means`` and ``covariances``
    projected into the canvas' view (:class:`gmm_core.analysis.em_canvas.EMCanvas`).
    """
    n = len(result.runs)
    panels = []
    for number, opt in enumerate(result.optima[:max_panels]):
        run = result.runs[opt.best]
        means = result.scaler.inverse_means(run.params.means)
        covs = result.scaler.inverse_covariances(run.params.full_covariances)
        what = ("stuck at a symmetric point" if opt.stuck
                else f"log-likelihood {opt.log_likelihood:.4f}")
        panels.append(dict(
            title=f"{number + 1}: {opt.count} of {n} starts · {what}",
            labels=run.labels[canvas.rows],
            means=np.asarray(canvas.projection.project_means(means), dtype=float),
            covariances=np.asarray(canvas.projection.project_covariances(covs), dtype=float)))
    return panels
