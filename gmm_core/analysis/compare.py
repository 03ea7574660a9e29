"""KMeans next to a Gaussian mixture: the numbers behind the Compare page.

KMeans and a Gaussian mixture model (GMM) both split data into ``k`` groups,
but they assume different things:

* **KMeans** gives every point to its nearest centre.  Its groups are
  separated by straight lines halfway between centres (a Voronoi diagram),
  so it prefers round groups of similar spread.
* **A GMM** models each group as a Gaussian with its own covariance: groups
  may be stretched, tilted, large or small, and every point gets a
  probability of belonging to each group (a *soft* assignment).  Where two
  groups overlap, the GMM says so with probabilities near 50/50.

:func:`compare_models` fits both on the same scaled data with the same ``k``,
gives KMeans' clusters the colour of the GMM component they match best
(:func:`gmm_core.mixture.align_labels`), maps means and covariances back to the
data's original units and scores the agreement (adjusted Rand index, ARI:
1 = the same partition, about 0 = no better than chance).
:func:`describe_comparison` turns the result into one plain sentence, and
:func:`decision_grid` shades which model claims which part of the plane.

**Rows with gaps** (missing values, NaN): the GMM fits them on their observed
columns (``nan_policy="marginalize"``); KMeans cannot, so it clusters the
GMM's expected values for the blank cells (``GaussianMixture.impute``),
which are also where the charts draw such rows (``Comparison.filled``).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal([0, 0], 0.5, (100, 2)), rng.normal([5, 5], 0.5, (100, 2))])
>>> cmp = compare_models(X, 2, random_state=0)
>>> round(cmp.metrics["ari_models"], 3)
1.0
>>> describe_comparison(cmp)  # doctest: +ELLIPSIS
'Both models find the same 2 segments...'

Every Gaussian-mixture fit here goes through :func:`gmm_core.analysis.guarded.fit_mixture`:
bounded in time, regularised when a component collapses (see :mod:`gmm_core.analysis.guarded`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.analysis.guarded import (
    FIT_TIME_LIMIT,
    FitNote,
    empty_segments,
    filled_for_start,
    fit_kmeans,
    fit_mixture,
    has_gaps,
    scale_for_fit,
)
from gmm_core.data.projection import Projection, axes_projection, display_subsample, pca_projection
from gmm_core.mixture import canonicalize, label_mapping
from gmm_core.mixture._typing import CovarianceType, InitMethod, Scaling

__all__ = [
    "Comparison",
    "ComparisonView",
    "compare_models",
    "in_app_words",
    "comparison_view",
    "drawn_values",
    "view_projection",
    "contingency",
    "decision_grid",
    "describe_comparison",
    "plot_ranges",
]

#: A GMM segment is *split* when two or more KMeans clusters each hold this share of it.
_SPLIT_SHARE = 0.25
#: A KMeans cluster *merges* GMM segments when it holds more than this share of each.
_MERGE_SHARE = 0.5
#: A component is *stretched* when its long axis' variance exceeds its short axis' this often.
_STRETCHED = 4.0


@dataclass(frozen=True, eq=False)
class Comparison:
    """Both fitted models and everything the Compare page shows about them.

    Models are fitted on scaled data; ``means``, ``covariances`` and
    ``centroids`` are in the data's original units.  ``kmeans_labels`` and
    ``centroids`` are already renumbered to match the GMM's components, so
    label ``j`` means the same segment (and colour) in both.
    """

    n_components: int
    gmm: object
    kmeans: object
    scaler: object
    gmm_labels: np.ndarray
    kmeans_labels: np.ndarray
    kmeans_mapping: np.ndarray
    proba: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    centroids: np.ndarray
    metrics: dict
    warnings: tuple = field(default_factory=tuple)
    seconds: float = 0.0
    #: Colour, marker and letter slot of each component
    #: (see :func:`gmm_core.analysis.identity.reordered`).
    slots: tuple = ()
    #: Component ``j`` shown here is component ``order[j]`` of the fit as it came out.
    order: tuple = ()
    #: The data in original units with each blank cell at the GMM's expected value
    #: (``GaussianMixture.impute``): what KMeans clustered and where a row is drawn;
    #: ``None`` when no cell was blank.
    filled: np.ndarray = None
    #: Per row: True when it had blank cells (fitted on its observed columns); None if none.
    gaps: np.ndarray = None

    @property
    def had_gaps(self) -> np.ndarray:
        """Per row: True when it had blank cells, all False for complete data."""
        if self.gaps is None:
            return np.zeros(self.gmm_labels.shape[0], dtype=bool)
        return self.gaps

    @property
    def certainty(self) -> np.ndarray:
        """Probability of each point's most likely GMM component, in [1/k, 1]."""
        return self.proba.max(axis=1)

    @property
    def disagreement(self) -> np.ndarray:
        """Boolean mask of points the two models put in different segments."""
        return self.gmm_labels != self.kmeans_labels


def compare_models(X: ArrayLike, n_components: int, *, scaling: Scaling = "standard",
                   covariance_type: CovarianceType = "full", init_params: InitMethod = "kmeans",
                   n_init: int = 1, random_state: int = 0, y_true: ArrayLike | None = None,
                   max_time: float | None = FIT_TIME_LIMIT) -> Comparison:
    """Fit KMeans and a GaussianMixture on the same scaled data and compare them.

    Parameters
    ----------
    X : array-like (n_samples, n_features)
        Data in original units; every row is used.
    n_components : int
        ``k``, the number of clusters / components for both models.
    scaling : {"standard", "minmax", "none"}
        How features are scaled before fitting (see :class:`gmm_core.Scaler`).
    covariance_type, init_params, n_init, random_state
        Passed to :class:`gmm_core.GaussianMixture`; ``n_init`` and
        ``random_state`` also to :class:`sklearn.cluster.KMeans`.
    y_true : array-like (n_samples,), optional
        Known labels; adds ARI and NMI against them to ``metrics``.
    max_time : float or None, default=FIT_TIME_LIMIT
        Wall-clock budget of both fits in seconds (``None``: no limit): the GMM's
        EM stops at it, and KMeans has what is left
        (:func:`gmm_core.analysis.guarded.fit_kmeans`).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        Bad arguments or a fit that cannot go on (the message has a remedy);
        :class:`~gmm_core.DataError` for data that cannot be scaled.
        :class:`gmm_core.ConvergenceWarning` (not converged, time limit), a
        regularised refit and empty segments are reported in
        ``Comparison.warnings`` rather than raised.
    """
    start = time.perf_counter()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}; "
                         "choose at least one feature.")
    k = int(n_components)
    if X.shape[0] < k:
        raise ValueError(
            f"k = {k} is more than the {X.shape[0]} rows in the data; "
            "choose a smaller k or load more rows.")
    scaler, Xs, caught = scale_for_fit(X, scaling)
    gmm, notes = fit_mixture(Xs, k, covariance_type=covariance_type, init_params=init_params,
                             n_init=n_init, random_state=random_state, max_time=max_time)
    canonicalize(gmm, filled_for_start(Xs))
    caught = [*caught, *in_app_words(notes, max_time)]
    gaps = has_gaps(Xs)
    Xk = gmm.impute(Xs) if gaps else Xs  # KMeans takes no blank cell: the GMM's expected value

    # one budget for both models: KMeans gets what the mixture left (at least one burst)
    left = None if max_time is None else max(max_time - (time.perf_counter() - start), 1e-3)
    kmeans, km_notes = fit_kmeans(Xk, k, n_init=n_init, random_state=random_state,
                                  max_time=left)
    caught.extend(km_notes)
    proba = gmm.predict_proba(Xs)
    gmm_labels = proba.argmax(axis=1)
    empty = empty_segments(Xk, gmm_labels, k, "GMM") or empty_segments(
        Xk, kmeans.labels_, k, "KMeans")
    if empty:
        caught.append(empty)
    mapping = np.asarray(label_mapping(gmm_labels, kmeans.labels_, n_labels=k), dtype=int)
    kmeans_labels = mapping[kmeans.labels_]
    centroids_scaled = np.empty_like(kmeans.cluster_centers_)
    centroids_scaled[mapping] = kmeans.cluster_centers_

    metrics = _metrics(gmm, Xs, gmm_labels, kmeans_labels, y_true)
    return Comparison(
        n_components=k,
        gmm=gmm,
        kmeans=kmeans,
        scaler=scaler,
        gmm_labels=gmm_labels,
        kmeans_labels=kmeans_labels,
        kmeans_mapping=mapping,
        proba=proba,
        means=np.asarray(scaler.inverse_means(gmm.means_), dtype=float),
        covariances=np.asarray(scaler.inverse_covariances(gmm.full_covariances_), dtype=float),
        centroids=np.asarray(scaler.inverse_means(centroids_scaled), dtype=float),
        metrics=metrics,
        warnings=tuple(dict.fromkeys(caught)),
        seconds=time.perf_counter() - start,
        slots=tuple(range(k)),
        order=tuple(range(k)),
        filled=np.where(np.isnan(X), scaler.inverse_transform(Xk), X) if gaps else None,
        gaps=np.isnan(X).any(axis=1) if gaps else None,
    )


def in_app_words(notes: Iterable[str], max_time: float | None) -> list[FitNote]:
    """``notes`` (:class:`~gmm_core.analysis.guarded.FitNote` s) as the app says them.

    The engine's time-limit warning tells a library user to raise ``max_time``;
    the app has no control for that, so a ``time_limit`` note is replaced by one
    that names only what the user can change.  Other notes pass unchanged.

    >>> in_app_words([FitNote("EM stopped ... Raise max_time, ...", kind="time_limit")], 60.0)
    ... # doctest: +NORMALIZE_WHITESPACE
    ['The Gaussian mixture reached its time limit of 60 s before it converged; the best result
      so far is shown. For a fit that finishes in time, use fewer rows, fewer features, fewer
      segments (k) or fewer restarts.']
    """
    said = ("The Gaussian mixture reached its time limit of {:g} s before it converged; the best "
            "result so far is shown. For a fit that finishes in time, use fewer rows, fewer "
            "features, fewer segments (k) or fewer restarts.")
    return [FitNote(said.format(max_time), kind="time_limit")
            if getattr(note, "kind", None) == "time_limit" else note for note in notes]


def _metrics(gmm, Xs, gmm_labels, kmeans_labels, y_true):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    out = {
        "ari_models": float(adjusted_rand_score(gmm_labels, kmeans_labels)),
        "agreement": float(np.mean(gmm_labels == kmeans_labels)),
        "log_likelihood": float(gmm.score(Xs)),
        "bic": float(gmm.bic(Xs)),
        "ari_gmm_truth": None,
        "nmi_gmm_truth": None,
        "ari_kmeans_truth": None,
        "nmi_kmeans_truth": None,
    }
    if y_true is not None:
        y = np.asarray(y_true)
        if y.shape[0] != gmm_labels.shape[0]:
            raise ValueError(f"y_true has {y.shape[0]} labels for {gmm_labels.shape[0]} rows; "
                             "choose the label column of this dataset.")
        out["ari_gmm_truth"] = float(adjusted_rand_score(y, gmm_labels))
        out["nmi_gmm_truth"] = float(normalized_mutual_info_score(y, gmm_labels))
        out["ari_kmeans_truth"] = float(adjusted_rand_score(y, kmeans_labels))
        out["nmi_kmeans_truth"] = float(normalized_mutual_info_score(y, kmeans_labels))
    return out


def contingency(a: ArrayLike, b: ArrayLike, n_components: int) -> np.ndarray:
    """Counts ``C[i, j]`` of points labelled ``i`` in ``a`` and ``j`` in ``b``.

    >>> contingency([0, 0, 1], [1, 1, 1], 2)
    array([[0, 2],
           [0, 1]])
    """
    a = np.asarray(a, dtype=int)
    b = np.asarray(b, dtype=int)
    table = np.zeros((n_components, n_components), dtype=int)
    np.add.at(table, (a, b), 1)
    return table


def _join(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_comparison(comparison: Comparison, names: Sequence[str] | None = None) -> str:
    """One plain-language sentence on how the two models' segments differ.

    The sentence is derived from the results: a GMM component whose points
    KMeans shares out over two or more clusters is *split*; a KMeans cluster
    that takes large shares of two or more GMM components *merges* them.

    Parameters
    ----------
    comparison : Comparison
    names : sequence of str, optional
        Display name of each segment (its letter or the user's name), used as
        "segment A"; default "A", "B", ...

    The sentence says that KMeans assumes round segments only when a GMM
    segment the two models disagree on is stretched (long axis variance more
    than four times the short one's, in the scaled space both were fitted in).
    """
    c = comparison
    k = c.n_components
    names = list(names) if names is not None else [chr(ord("A") + j % 26) for j in range(k)]
    n = c.gmm_labels.shape[0]
    disagree = c.disagreement
    n_dis = int(disagree.sum())
    pct = 100.0 * n_dis / max(n, 1)
    if k == 1:
        return ("With k = 1 both models put every point in one segment; "
                "raise k to see how they split the data.")

    table = contingency(c.gmm_labels, c.kmeans_labels, k)
    gmm_sizes = table.sum(axis=1)
    # split: a GMM segment of which two or more KMeans clusters each hold a quarter
    split = [g for g in range(k)
             if gmm_sizes[g] and np.sum(table[g] >= _SPLIT_SHARE * gmm_sizes[g]) >= 2]
    # merge: a KMeans cluster that holds most of two or more GMM segments
    merged = [tuple(np.flatnonzero(table[:, j] > _MERGE_SHARE * np.maximum(gmm_sizes, 1)).tolist())
              for j in range(k)]
    merged = [m for m in merged if len(m) >= 2]

    # elongation in the space both models were fitted in, per GMM component
    evals = np.linalg.eigvalsh(c.gmm.full_covariances_)
    stretched = evals[:, -1] / np.maximum(evals[:, 0], 1e-12) > _STRETCHED

    def because(involved):
        # only when a segment the models disagree on is itself stretched
        long = [g for g in dict.fromkeys(involved) if stretched[g]]
        if not long:
            return ""
        which = (f"segment {names[long[0]]} is" if len(long) == 1
                 else f"segments {_join(names[g] for g in long)} are")
        return f", because KMeans assumes round segments and the GMM's {which} stretched"

    def tail(involved):
        return (f"{because(involved)}; the models disagree on {n_dis:,} of {n:,} points "
                f"({pct:.0f}%).")

    if len(split) >= 2:
        return (f"KMeans cuts across the GMM's segments: the GMM's segments "
                f"{_join(names[g] for g in split)} are each shared between two or more KMeans "
                f"clusters{tail(split)}")
    if split:
        g = split[0]
        parts = int(np.sum(table[g] >= _SPLIT_SHARE * gmm_sizes[g]))
        how = {2: "in two", 3: "in three"}.get(parts, f"into {parts} parts")
        text = f"KMeans splits the GMM's segment {names[g]} {how}"
        others = [m for m in merged if g not in m]
        if others:
            text += (f" and merges its segments {_join(names[j] for j in others[0])} "
                     "into one cluster")
        return text + tail([g, *(others[0] if others else ())])
    if merged:
        return (f"KMeans merges the GMM's segments {_join(names[j] for j in merged[0])} "
                f"into one cluster{tail(merged[0])}")

    if n_dis == 0:
        return f"Both models find the same {k} segments and agree on every point."
    unsure = float(np.mean(c.certainty[disagree])) < float(np.mean(c.certainty))
    where = ("mostly where segments overlap and the GMM is unsure" if unsure
             else "spread over the segments' edges")
    if pct < 5.0:
        return (f"Both models find the same {k} segments; they disagree on only "
                f"{n_dis:,} of {n:,} points ({pct:.1f}%), {where}.")
    off = table.copy()
    np.fill_diagonal(off, 0)
    g, j = np.unravel_index(int(off.argmax()), off.shape)
    return (f"The models find similar segments but draw the borders differently{because([g, j])}: "
            f"KMeans gives {int(off[g, j]):,} points of the GMM's segment {names[g]} to its "
            f"cluster {names[j]}, and in all they disagree on {n_dis:,} of {n:,} points "
            f"({pct:.0f}%), {where}.")


def plot_ranges(points: ArrayLike, *,
                pad: float = 0.05) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis ranges ``((xmin, xmax), (ymin, ymax))`` around 2-D points, padded.

    >>> plot_ranges([[0, 0], [10, 20]])
    ((-0.5, 10.5), (-1.0, 21.0))
    """
    pts = np.asarray(points, dtype=float)
    lo = np.nanmin(pts, axis=0)
    hi = np.nanmax(pts, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def decision_grid(comparison: Comparison, x_range: tuple[float, float],
                  y_range: tuple[float, float], *,
                  kind: Literal["kmeans", "gmm", "density"] = "kmeans",
                  resolution: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a model on a grid over the plane of a two-feature dataset.

    Parameters
    ----------
    comparison : Comparison
        Fitted on exactly two features (in a projection of more features the
        regions depend on the hidden coordinates, so they are not drawn).
    x_range, y_range : (float, float)
        Grid extent in original units.
    kind : {"kmeans", "gmm", "density"}
        KMeans' segment (aligned colours), the GMM's most likely component, or
        the GMM's density (per unit area of the scaled data).
    resolution : int
        Grid points per axis.

    Returns
    -------
    xs : ndarray (resolution,)
    ys : ndarray (resolution,)
    z : ndarray (resolution, resolution)
        ``z[i, j]`` is the value at ``(xs[j], ys[i])``.
    """
    if comparison.means.shape[1] != 2:
        raise ValueError("decision regions need exactly two features; "
                         f"this fit has {comparison.means.shape[1]}.")
    xs = np.linspace(x_range[0], x_range[1], int(resolution))
    ys = np.linspace(y_range[0], y_range[1], int(resolution))
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    gs = np.asarray(comparison.scaler.transform(grid), dtype=float)
    if kind == "kmeans":
        z = comparison.kmeans_mapping[comparison.kmeans.predict(gs)]
    elif kind == "gmm":
        z = comparison.gmm.predict(gs)
    elif kind == "density":
        z = np.exp(comparison.gmm.score_samples(gs))
    else:
        raise ValueError(f"kind must be 'kmeans', 'gmm' or 'density', got {kind!r}")
    return xs, ys, np.asarray(z).reshape(gx.shape)


@dataclass(frozen=True, eq=False)
class ComparisonView:
    """What the two panels draw: a display subsample and the models, in plot units."""

    points: np.ndarray
    gmm_labels: np.ndarray
    kmeans_labels: np.ndarray
    certainty: np.ndarray
    disagree: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    centroids: np.ndarray
    x_range: tuple
    y_range: tuple
    axis_titles: tuple
    n_shown: int
    n_total: int
    is_plane: bool
    #: Rows of ``X`` drawn, in the order of ``points`` (for row keys, values, probabilities).
    index: np.ndarray = None
    #: Per drawn point: True when the row had blank cells, drawn at the values the model expects.
    gaps: np.ndarray = None


def comparison_view(comparison: Comparison, X: ArrayLike, projection: Projection, *,
                    max_points: int = 20_000, seed: int = 0) -> ComparisonView:
    """Project a comparison to the plotted plane and subsample the points drawn.

    Parameters
    ----------
    comparison : Comparison
    X : array-like (n_samples, n_features)
        The data the comparison was fitted on, in original units.
    projection : object
        A fitted 2-D projection from :mod:`gmm_core.data`, with
        ``project_points``, ``project_means``, ``project_covariances``
        (``A S A^T``) and ``axis_labels``.
    max_points : int
        At most this many points are drawn, a deterministic subsample.
        A row with blank cells is drawn at the value the model expectss
        (``comparison.filled``) and marked in ``ComparisonView.gaps``.

    Returns
    -------
    ComparisonView
    """

    X = drawn_values(comparison, X)
    idx = np.asarray(display_subsample(X.shape[0], max_points=max_points, seed=seed))
    points = np.asarray(projection.project_points(X[idx]), dtype=float)
    means = np.asarray(projection.project_means(comparison.means), dtype=float)
    covs = np.asarray(projection.project_covariances(comparison.covariances), dtype=float)
    centroids = np.asarray(projection.project_means(comparison.centroids), dtype=float)
    # room for the points, the centres and each component's 2-sigma box
    half = 2.0 * np.sqrt(np.clip(np.diagonal(covs, axis1=1, axis2=2), 0.0, None))
    x_range, y_range = plot_ranges(np.vstack([points, means, centroids, means - half,
                                              means + half]))
    return ComparisonView(
        points=points,
        gmm_labels=comparison.gmm_labels[idx],
        kmeans_labels=comparison.kmeans_labels[idx],
        certainty=comparison.certainty[idx],
        disagree=comparison.disagreement[idx],
        means=means,
        covariances=covs,
        centroids=centroids,
        x_range=x_range,
        y_range=y_range,
        axis_titles=tuple(str(a) for a in projection.axis_labels),
        n_shown=int(idx.shape[0]),
        n_total=int(X.shape[0]),
        is_plane=X.shape[1] == 2,
        index=idx,
        gaps=comparison.had_gaps[idx],
    )


def drawn_values(comparison: Comparison, X: ArrayLike) -> np.ndarray:
    """``X`` (original units) as drawn: a blank cell at the GMM's expected value.

    >>> cmp = compare_models([[0.0, 1.0], [1.0, 2.0], [2.0, 2.5], [3.0, 5.0]], 1)
    >>> drawn_values(cmp, [[0.0, 1.0]]).tolist()
    [[0.0, 1.0]]
    """
    X = np.asarray(X, dtype=float)
    filled = getattr(comparison, "filled", None)
    if filled is None or filled.shape != X.shape:
        return X
    return filled


def view_projection(comparison: Comparison, X: ArrayLike, feature_names: Sequence[str], *,
                    axes: tuple[int | str, int | str] | None = None) -> Projection:
    """The 2-D view to draw a comparison in, acting on data in original units.

    ``axes=(x, y)`` (names or indices) plots two features as they are.
    Otherwise the view is the first two principal components of the *scaled*
    data -- the space the models were fitted in, where no feature dominates
    by its units -- written as a map of the original data:
    ``y = A_s ((x - offset_) / scale_ - o_s) = (A_s / scale_) (x - offset_ - scale_ o_s)``.

    Returns
    -------
    gmm_core.data.Projection
    """

    names = [str(n) for n in feature_names]
    if axes is not None:
        return axes_projection(names, axes[0], axes[1])
    scaler = comparison.scaler
    pca = pca_projection(scaler.transform(drawn_values(comparison, X)), names)
    A = pca.A / scaler.scale_[None, :]
    offset = scaler.offset_ + scaler.scale_ * pca.offset
    scaled = getattr(scaler, "method", "none") != "none"
    labels = tuple(label + (" of scaled data" if scaled else "") for label in pca.axis_labels)
    return Projection(A, offset, labels, "pca", pca.explained_variance_ratio)
