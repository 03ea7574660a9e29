"""Choosing k: the numbers behind the "Choose k" page.

A mixture with more components always fits the data at least as well, so
the likelihood alone cannot choose ``k``.  :func:`model_sweep` fits every
``(covariance_type, k)`` pair ``n_init`` times (the engine's one grid loop,
:func:`gmm_core.mixture.select_model`)
on the scaled data, and the information criteria charge for parameters --
``BIC = -2 log L + p log n``, ``AIC = -2 log L + 2 p``; **lower is better**.
:func:`criterion_curves` reduces the restarts to min / mean / max per model,
:func:`recommend` names the winner in words.

The sweep is bounded for the app: each fit has the Compare page's budget
(:data:`gmm_core.analysis.guarded.FIT_TIME_LIMIT`) and the whole grid
:data:`SWEEP_TIME_LIMIT`; fits not started in time are listed as skipped and
:func:`sweep_notes` says so, with what a collapsed or timed-out fit did.

For comparison, :func:`kmeans_sweep` gives KMeans' two classic curves:
*inertia* (within-cluster sum of squares; look for the "elbow") and the
*silhouette* (how much closer a point is to its own cluster than to the next
one, in [-1, 1]; higher is better; scikit-learn's ``silhouette_score``, by
:func:`gmm_core.mixture._kmeans.silhouette_score`), the latter on a
deterministic subsample because it costs ``O(n^2)``.

Examples
--------
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(8, 1, (80, 2))])
>>> sel = model_sweep(X, range(1, 4), ["full", "spherical"])
>>> recommend(sel).k
2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.analysis.compare import in_app_words
from gmm_core.analysis.guarded import (
    FIT_TIME_LIMIT,
    filled_for_start,
    fit_kmeans,
    fit_mixture,
    has_gaps,
    scale_for_fit,
)
from gmm_core.analysis.stability import STABILITY_TIME_LIMIT, segment_stability
from gmm_core.data.projection import display_subsample
from gmm_core.data.scaling import Scaler
from gmm_core.mixture import (
    COVARIANCE_TYPES,
    CRITERIA,
    SKIPPED,
    ModelSelection,  # noqa: F401 (used by the doctest of sweep_notes)
    best_row,
    select_model,
)
from gmm_core.mixture._init import initial_assignment, initial_params, precisions_of
from gmm_core.mixture._kmeans import silhouette_score
from gmm_core.mixture._typing import CovarianceType, Criterion, InitMethod, Scaling

__all__ = ["SWEEP_TIME_LIMIT", "SWEEP_STARTS", "SKIPPED", "CRITERIA", "CRITERION_WORDS",
           "Recommendation", "criterion_curves", "kmeans_sweep",
           "model_sweep", "recommend", "skipped_fits", "stability_sweep", "sweep_notes"]

#: Seconds: the wall-clock budget of a whole sweep; fits not started by then are skipped.
SWEEP_TIME_LIMIT = 180.0
#: Start of each restart: deterministic hierarchical first, then k-means (seeded per restart).
SWEEP_STARTS = ("hierarchical", "kmeans")


def model_sweep(X: ArrayLike, n_components: Iterable[int] = range(1, 11),
                covariance_types: Iterable[CovarianceType] = COVARIANCE_TYPES, *,
                scaling: Scaling = "standard", n_init: int = 3, random_state: int = 0,
                max_iter: int = 100, tol: float = 1e-3, reg_covar: float = 1e-6,
                init_params: InitMethod | Sequence[InitMethod] = SWEEP_STARTS,
                progress: Callable[[int, int], object] | None = None,
                max_time: float | None = SWEEP_TIME_LIMIT,
                fit_max_time: float | None = FIT_TIME_LIMIT,
                feature_names: Sequence[str] | None = None) -> ModelSelection:
    """Scale ``X`` as the Compare page does and fit every model of the grid (by BIC).

    The grid and the table are those of :func:`gmm_core.select_model` -- every
    ``(covariance_type, k)`` pair ``n_init`` times, restart ``r`` with the same
    seed for every pair -- but each fit goes through
    :func:`gmm_core.analysis.guarded.fit_mixture`: at most ``fit_max_time`` seconds,
    regularised when a component collapses.  Once ``max_time`` seconds have
    passed, the fits not yet started are skipped (``error`` is
    :data:`SKIPPED`); ``progress(done, total)`` is called after every fit.

    By default the first restart of every model starts from the deterministic
    hierarchical clustering (:data:`SWEEP_STARTS`, as mclust does) and the others
    from k-means with different seeds, so one restart already gives a smooth
    curve and more restarts can only find better optima.  Degenerate fits are
    marked in ``table["degenerate"]`` and never recommended.

    Rows with gaps (NaN) are fitted on their observed columns
    (``nan_policy="marginalize"``); the shared starts, which need complete
    rows, are computed once from the column means (as the estimator does).

    Returns
    -------
    ModelSelection
        ``table`` has one row per fit, restarts and skipped fits included; the
        column ``note`` holds what :func:`gmm_core.analysis.guarded.fit_mixture` warned.

    Raises
    ------
    ValueError
        Bad arguments, or every fit failed (the first reason is given).
    """
    _, Xs, _ = scale_for_fit(X, scaling, reg_covar=reg_covar)
    Xs = np.ascontiguousarray(Xs)  # every pass reads by rows: an F-ordered frame copied once
    ks = [int(k) for k in n_components if int(k) <= Xs.shape[0]]
    if not ks or not list(covariance_types):
        raise ValueError("Give at least one value of n_components (at most the number of rows) "
                         "and one covariance type.")

    starts = {}
    Xstart = filled_for_start(Xs)

    def fit(Xs, k, *, covariance_type, init_params, random_state, reg_covar, nan_policy="raise",
            **options):  # fit_mixture marginalises the gaps it finds (nan_policy is implied)
        # a start's assignment does not depend on the covariance type: compute it once
        seeded = init_params != "hierarchical"
        key = (k, init_params, random_state if seeded else None)
        if key not in starts:
            starts[key] = initial_assignment(Xstart, k, init_params=init_params,
                                             random_state=random_state)
        params = initial_params(Xstart, k, covariance_type=covariance_type, reg_covar=reg_covar,
                                assignment=starts[key])
        start = dict(weights_init=params.weights, means_init=params.means,
                     precisions_init=precisions_of(params))
        gm, notes = fit_mixture(Xs, k, max_time=fit_max_time, covariance_type=covariance_type,
                                random_state=random_state, reg_covar=reg_covar, start=start,
                                **options)
        # "did not converge in max_iter" is routine in a sweep; the rest is worth saying
        return gm, tuple(n for n in in_app_words(notes, fit_max_time) if n.kind != "not_converged")

    return select_model(Xs, ks, covariance_types, n_init=n_init, criterion="bic",
                        random_state=random_state, max_iter=max_iter, tol=tol,
                        reg_covar=reg_covar, init_params=init_params, progress=progress,
                        fit=fit, max_time=max_time, feature_names=feature_names,
                        nan_policy="marginalize" if has_gaps(Xs) else "raise")


def _k_ranges(ks):
    """Sorted whole numbers as runs: ``[1, 2, 3, 5, 7, 8]`` -> ``'1–3, 5, 7–8'``."""
    runs = []
    for k in sorted(ks):
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def skipped_fits(table: pd.DataFrame) -> str:
    """Which fits of a sweep ``table`` were skipped, in words, by covariance type and k.

    A ``k`` is listed under its covariance type when every restart of it was
    skipped, and under "some restarts of" when only some were.

    >>> table = pd.DataFrame({"covariance_type": ["full"] * 4 + ["tied"] * 2,
    ...                       "n_components": [1, 1, 2, 2, 1, 2],
    ...                       "error": ["", SKIPPED, SKIPPED, SKIPPED, SKIPPED, SKIPPED]})
    >>> skipped_fits(table)
    'full k = 2, tied k = 1–2, and some restarts of full k = 1'
    """
    whole, part = [], []
    skipped = table["error"] == SKIPPED
    for cov, rows in table.groupby("covariance_type", sort=False):
        per_k = skipped[rows.index].groupby(rows["n_components"])
        all_k = [int(k) for k, s in per_k if s.all()]
        some_k = [int(k) for k, s in per_k if s.any() and not s.all()]
        if all_k:
            whole.append(f"{cov} k = {_k_ranges(all_k)}")
        if some_k:
            part.append(f"{cov} k = {_k_ranges(some_k)}")
    said = ", ".join(whole)
    if part:
        said += (", and " if said else "") + "some restarts of " + ", ".join(part)
    return said


def sweep_notes(selection: ModelSelection) -> list[str]:
    """Plain sentences on fits that failed, were regularised, hit a time limit or were skipped.

    >>> table = pd.DataFrame({"covariance_type": ["full", "full", "tied"],
    ...                       "n_components": [1, 2, 1], "error": ["", SKIPPED, SKIPPED],
    ...                       "note_kinds": ["", "", ""]})
    >>> sweep_notes(ModelSelection(table, None, "bic"))  # doctest: +NORMALIZE_WHITESPACE
    ['2 of the 3 fits were skipped when the sweep reached its time limit (skipped: full k = 2,
      tied k = 1). The curves show the fits done; choose fewer covariance types, a smaller
      largest k or fewer restarts.']
    """
    t = selection.table
    n = len(t)
    skipped = int((t["error"] == SKIPPED).sum())
    failed = int(((t["error"] != "") & (t["error"] != SKIPPED)).sum())
    kinds = t["note_kinds"].str.split() if "note_kinds" in t else pd.Series([[]] * n)
    timed = int(kinds.map(lambda ks: "time_limit" in ks).sum())
    refit = int(kinds.map(lambda ks: "regularised" in ks).sum())
    out = []
    if skipped:
        out.append(f"{skipped} of the {n} fits were skipped when the sweep reached its time "
                   f"limit (skipped: {skipped_fits(t)}). "
                   "The curves show the fits done; choose fewer covariance types, a smaller "
                   "largest k or fewer restarts.")
    if timed:
        out.append(f"{timed} fit(s) stopped at the time limit of one fit before converging; "
                   "their scores are those of the best result so far.")
    if refit:
        out.append(f"{refit} fit(s) had a collapsed component and were refitted with stronger "
                   "regularisation.")
    if failed:
        out.append(f"{failed} fit(s) failed (a component collapsed even when regularised) and "
                   "are left out.")
    return out


def criterion_curves(selection: ModelSelection) -> pd.DataFrame:
    """Long table: ``covariance_type, n_components, criterion, min, mean, max, n_fits, degenerate``.

    One row per model and criterion (``"bic"``, ``"aic"``, ``"icl"``); the
    spread is over the restarts whose fit is sound.  When every restart of a
    model is degenerate (a component on a few rows or one rounded value), its
    numbers are those fits' and ``degenerate`` is True: the chart marks it and
    :func:`recommend` never picks it.  Failed fits are left out.
    """
    ok = selection.table.dropna(subset=["bic"]).copy()
    ok["sound"] = ok["degenerate"].fillna("") == "" if "degenerate" in ok else True
    keys = ["covariance_type", "n_components"]
    any_sound = ok.groupby(keys)["sound"].transform("any")
    use = ok[ok["sound"] | ~any_sound]
    parts = []
    for crit in CRITERIA:
        if crit not in use:
            continue
        g = use.groupby(keys)[crit].agg(["min", "mean", "max", "count"]).reset_index()
        g["degenerate"] = ~use.groupby(keys)["sound"].any().to_numpy()
        g.insert(2, "criterion", crit)
        parts.append(g.rename(columns={"count": "n_fits"}))
    return pd.concat(parts, ignore_index=True)


#: What each criterion is, in one line (for the page).
CRITERION_WORDS = {
    "bic": "BIC: fit minus a penalty for size that grows with the number of rows.",
    "aic": "AIC: a lighter penalty for size, so it tends to choose more segments.",
    "icl": "ICL: BIC plus a charge for unsure assignments, so it prefers segments that "
           "overlap little; it differs from BIC when segments overlap.",
}


@dataclass(frozen=True)
class Recommendation:
    """The sound model with the lowest criterion (best restart), and what was set aside."""

    k: int
    covariance_type: str
    criterion: str
    score: float
    #: The degenerate fit that had a lower criterion, in words ("" when none).
    set_aside: str = ""

    @property
    def sentence(self) -> str:
        """``"Recommended: 4 components with full covariance (lowest BIC)."``"""
        noun = "component" if self.k == 1 else "components"
        return (f"Recommended: {self.k} {noun} with {self.covariance_type} covariance "
                f"(lowest {self.criterion.upper()} among sound fits).")


def recommend(selection: ModelSelection, criterion: Criterion = "bic") -> Recommendation:
    """The :class:`Recommendation` of a sweep by ``"bic"`` (default), ``"aic"`` or ``"icl"``.

    Degenerate fits are never recommended; when one had the lowest value,
    ``set_aside`` says which and why.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}.")
    table = selection.table.dropna(subset=[criterion])
    row = table.loc[best_row(table, criterion)]
    overall = table.loc[table[criterion].idxmin()]
    aside = ""
    if overall.name != row.name and overall.get("degenerate", ""):
        aside = (f"The lowest {criterion.upper()} of all, {int(overall['n_components'])} "
                 f"components with {overall['covariance_type']} covariance, was set aside: "
                 + overall["degenerate"][len("Degenerate: "):].rstrip(".")
                 + ". Such a fit describes a few rows or a rounded value, not a segment.")
    return Recommendation(int(row["n_components"]), str(row["covariance_type"]), criterion,
                          float(row[criterion]), aside)


def stability_sweep(X: ArrayLike, n_components: Iterable[int] = range(2, 11), *,
                    covariance_type: CovarianceType = "full", scaling: Scaling = "standard",
                    random_state: int = 0, n_boot: int = 20,
                    max_time: float | None = STABILITY_TIME_LIMIT) -> pd.DataFrame:
    """Mean segment stability for each k: a second opinion beside BIC.

    For each ``k`` the model is fitted and its segments checked by
    :func:`gmm_core.analysis.stability.segment_stability` with ``n_boot``
    resamples; the ``max_time`` budget is shared by all ``k`` (each gets an
    equal part).

    Returns
    -------
    pandas.DataFrame
        ``k, stability`` (the mean share of resamples in which a segment was
        found again), ``least`` (the least stable segment's), ``n_boot``.

    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(8, 1, (80, 2))])
    >>> stability_sweep(X, [2, 3], n_boot=5)["stability"].round(1).tolist()[0]
    1.0
    """
    ks = [int(k) for k in n_components]
    rows = []
    for k in ks:
        s = segment_stability(X, k, covariance_type=covariance_type, scaling=scaling,
                              n_boot=n_boot, random_state=random_state,
                              max_time=max_time / max(len(ks), 1))
        rows.append(dict(k=k, stability=s.mean_rate,
                         least=float(s.rate.min()) if s.n_boot else float("nan"),
                         n_boot=s.n_boot))
    return pd.DataFrame(rows, columns=["k", "stability", "least", "n_boot"])


def kmeans_sweep(X: ArrayLike, n_clusters: Iterable[int] = range(1, 11), *,
                 scaling: Scaling = "standard", random_state: int = 0, n_init: int = 1,
                 max_silhouette: int = 5000,
                 progress: Callable[[int, int], object] | None = None,
                 max_time: float | None = FIT_TIME_LIMIT) -> pd.DataFrame:
    """KMeans inertia and silhouette for each k, on the scaled data.

    Parameters
    ----------
    X : array-like (N, D)
    n_clusters : iterable of int
    scaling : {"standard", "minmax", "none"}
    max_silhouette : int
        The silhouette is computed on at most this many rows (a deterministic
        subsample); inertia uses all rows.  KMeans takes no blank cell: a
        missing value (NaN) counts at its column's mean (of the scaled data).
    progress : callable(done, total), optional
        Called after every k.
    max_time : float or None, default=FIT_TIME_LIMIT
        Seconds each KMeans fit may take (:func:`~gmm_core.analysis.guarded.fit_kmeans`).

    Returns
    -------
    pandas.DataFrame
        ``k, inertia, silhouette`` (silhouette is NaN for k = 1 or k >= rows).

    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
    >>> kmeans_sweep(X, [1, 2, 3]).silhouette.idxmax()
    1
    """
    Xs = np.ascontiguousarray(filled_for_start(Scaler(scaling).fit_transform(
        np.asarray(X, dtype=float))))
    rows = display_subsample(Xs.shape[0], max_silhouette, seed=0)
    out = []
    ks = [int(k) for k in n_clusters if int(k) <= Xs.shape[0]]
    for done, k in enumerate(ks, 1):
        km, _ = fit_kmeans(Xs, k, n_init=n_init, random_state=random_state, max_time=max_time)
        labels = km.labels_[rows]
        sil = (float(silhouette_score(Xs[rows], labels))
               if 2 <= len(np.unique(labels)) < len(rows) else np.nan)
        out.append(dict(k=k, inertia=float(km.inertia_), silhouette=sil))
        if progress is not None:
            progress(done, len(ks))
    return pd.DataFrame(out, columns=["k", "inertia", "silhouette"])
