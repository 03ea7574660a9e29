"""What "EM step by step" draws: a recorded run projected once, then one step at a time.

A step is shown many times (Back, Forward, Play, a click on a point), so what
every step shares is computed once per run and view by :func:`em_canvas` -- a
deterministic subsample of the points in plot units, every step's means and
covariances projected into the view, the axis ranges that hold them all, the
log-likelihood curve -- and :func:`em_frame` adds what one step needs: the
responsibilities of the drawn points (none at step 0, before the first
E-step).  :func:`heatmap_view` gives the responsibility heatmap's rows.

Nothing here fits: the run is a :class:`gmm_core.analysis.explain.EMRun`.

>>> import numpy as np
>>> from gmm_core.analysis.explain import em_run
>>> from gmm_core.data import axes_projection
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
>>> run = em_run(X, 2, random_state=0)
>>> canvas = em_canvas(run, X, axes_projection(["a", "b"], 0, 1), max_points=60)
>>> canvas.points.shape, canvas.means.shape[1:]
((60, 2), (2, 2))
>>> em_frame(run, canvas, 0)["resp"] is None, em_frame(run, canvas, 1)["resp"].shape
(True, (60, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.analysis.compare import drawn_values, plot_ranges
from gmm_core.analysis.explain import step_label
from gmm_core.data.projection import Projection, display_subsample

if TYPE_CHECKING:
    from gmm_core.analysis.explain import EMRun

__all__ = ["EMCanvas", "em_canvas", "em_frame", "heatmap_view", "heatmap_rows"]


@dataclass(frozen=True, eq=False)
class EMCanvas:
    """What every step of a run shares, in plot units.

    Attributes
    ----------
    points : ndarray (n, 2)
        The drawn points (a deterministic subsample of ``n_total`` rows).
    rows : ndarray (n,)
        Their row positions in the data.
    means : ndarray (n_steps, K, 2)
    covariances : ndarray (n_steps, K, 2, 2)
        Every step's components projected into the view.
    seeds : ndarray (K, 2) or None
        The seed points of a seeded start, projected.
    log_likelihoods : ndarray (n_steps,)
    labels : tuple of str
        Every step's label (:func:`gmm_core.analysis.explain.step_label`).
    x_range, y_range, axis_titles, n_total
    projection : gmm_core.data.Projection
        Maps original units to the view (for a row not among ``points``).
    """

    points: np.ndarray
    rows: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    seeds: np.ndarray
    log_likelihoods: np.ndarray
    labels: tuple
    x_range: tuple
    y_range: tuple
    axis_titles: tuple
    n_total: int
    projection: object
    #: Per drawn point: True when the row had blank cells, drawn at the values the model expects.
    gaps: np.ndarray = None
    #: The data as drawn (original units, blanks at the final model's expected values),
    #: or None when no cell is blank.
    filled: np.ndarray = None

    def point(self, X: ArrayLike, row: int) -> np.ndarray:
        """Row ``row`` of ``X`` (original units) in plot units, shape (2,); a row with
        blank cells where it is drawn."""
        X = X if self.filled is None else self.filled
        x = np.asarray(X, dtype=float)[[int(row)]]
        return np.asarray(self.projection.project_points(x), dtype=float)[0]


def em_canvas(run: EMRun, X: ArrayLike, projection: Projection, *, max_points: int = 2000,
              seed: int = 0) -> EMCanvas:
    """Project a run for drawing, once: see the module docstring.

    Parameters
    ----------
    run : gmm_core.analysis.explain.EMRun
    X : array-like (N, D)
        The data in original units.
    projection : gmm_core.data.Projection
        Acts on original units (e.g. :func:`gmm_core.analysis.compare.view_projection`).
    max_points : int
        Points drawn (a deterministic subsample).
    """
    gaps = np.isnan(np.asarray(X, dtype=float)).any(axis=1)
    X = drawn_values(run, X)  # a row with gaps at its expected values
    rows = display_subsample(X.shape[0], max_points, seed=seed)
    points = np.asarray(projection.project_points(X[rows]), dtype=float)
    means, covs = [], []
    for step in run.steps:
        _, m, c = run.original(step.params)
        means.append(np.asarray(projection.project_means(m), dtype=float))
        covs.append(np.asarray(projection.project_covariances(c), dtype=float))
    means, covs = np.stack(means), np.stack(covs)
    seeds = None
    if run.seeds is not None:
        seeds = np.asarray(projection.project_points(X[np.asarray(run.seeds)]), dtype=float)
    extent = [points, means.reshape(-1, 2)] + ([] if seeds is None else [seeds])
    x_range, y_range = plot_ranges(np.vstack(extent))
    return EMCanvas(points=points, rows=np.asarray(rows), means=means, covariances=covs,
                    seeds=seeds,
                    log_likelihoods=np.asarray(run.trajectory.log_likelihoods, dtype=float),
                    labels=tuple(step_label(s) for s in run.steps), x_range=x_range,
                    y_range=y_range, axis_titles=tuple(str(a) for a in projection.axis_labels),
                    gaps=gaps[np.asarray(rows)], filled=run.filled,
                    n_total=int(X.shape[0]), projection=projection)


def em_frame(run: EMRun, canvas: EMCanvas, index: int) -> dict:
    """One step to draw: a dict of ``index``, ``label``, ``phase``, ``resp`` (n, K; None at
    the start, before the first E-step), ``means`` (K, 2), ``covariances`` (K, 2, 2),
    ``prev_means``, ``prev_covariances`` (the step before) and ``log_likelihood``."""
    index = int(np.clip(index, 0, run.n_steps - 1))
    step = run.steps[index]
    prev = max(index - 1, 0)
    return dict(index=index, label=canvas.labels[index], phase=step.phase,
                resp=None if step.phase == "init" else run.responsibilities(index, canvas.rows),
                means=canvas.means[index], covariances=canvas.covariances[index],
                prev_means=canvas.means[prev], prev_covariances=canvas.covariances[prev],
                log_likelihood=float(canvas.log_likelihoods[index]))


def heatmap_view(run: EMRun, index: int, *, max_rows: int = 400,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, resp)`` for the responsibility heatmap at step ``index``.

    ``rows`` are at most ``max_rows`` row positions (a deterministic
    subsample), grouped by most likely component and most certain first;
    ``resp`` their responsibilities.  Only those rows are evaluated.
    """
    sample = display_subsample(run.Xs.shape[0], max_rows, seed=seed)
    resp = run.responsibilities(int(index), sample)
    order = heatmap_rows(resp, max_rows=len(sample))
    return sample[order], resp[order]


def heatmap_rows(resp: np.ndarray, *, max_rows: int = 400, seed: int = 0) -> np.ndarray:
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
