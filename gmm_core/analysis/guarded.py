"""Fits the app can trust: bounded in time, regularised when they collapse, said in words.

The app fits whatever users upload, so every Gaussian-mixture fit it makes
(:mod:`~gmm_core.analysis.compare`, :mod:`~gmm_core.analysis.choose_k`,
:mod:`~gmm_core.analysis.explain`) goes through this module, and every
degenerate case ends in words a user can act on, as a :class:`FitNote`: a
string with a ``kind`` (``not_converged``, ``time_limit``, ``regularised``,
``empty``) that callers count and filter by instead of by its wording:

* **time** -- each Gaussian-mixture fit has a wall-clock budget
  (``max_time``, default :data:`FIT_TIME_LIMIT`) on top of ``max_iter``; a fit
  that hits it keeps its best result and says so in ``Comparison.warnings``.
  KMeans beside it is bounded the same way (:func:`fit_kmeans`): scikit-learn's
  Lloyd passes run in bursts of :data:`KMEANS_BURST` with the clock read between;
* **stopping** -- every loop here calls :func:`gmm_core.mixture.checkpoint`
  between passes, so a caller's :func:`gmm_core.mixture.stop_when` ends a fit
  nobody waits for (a :class:`~gmm_core.errors.FitInterrupted`);
* **collapse** -- a component whose points lie on a line or coincide has a
  singular covariance (a :class:`~gmm_core.errors.CollapseError`, caught by
  type); the fit is repeated with the stronger ``reg_covar`` of
  :data:`RETRY_REG_COVAR` and a warning says so (only if every one fails is it
  a ``ValueError``, with remedies the user can apply in the app);
* **empty segments** -- with ``k`` above the number of distinct points some
  segments hold no point; a warning says how many distinct points there are
  and which ``k`` to choose;
* **gaps** -- rows with missing values (NaN) are fitted on their observed
  columns (``nan_policy="marginalize"``); a start that needs complete rows
  (k-means, Ward) is computed from the column means (:func:`filled_for_start`);
* **scale** -- data that cannot be scaled to finite values is a
  :class:`~gmm_core.DataError`; a feature that varies by less than the
  regularisation can resolve is a warning.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.data.scaling import Scaler
from gmm_core.errors import MAX_MAGNITUDE, MIN_SPREAD, CollapseError, ConvergenceWarning, DataError
from gmm_core.mixture import GaussianMixture, checkpoint
from gmm_core.mixture._missing import mean_filled
from gmm_core.mixture._typing import CovarianceType, InitMethod, Scaling

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

__all__ = ["FIT_TIME_LIMIT", "KMEANS_BURST", "RETRY_REG_COVAR", "NOTE_KINDS", "FitNote",
           "empty_segments", "filled_for_start", "fit_kmeans", "fit_mixture", "has_gaps",
           "regularised", "scale_for_fit"]

T = TypeVar("T")  # what the ``fit`` given to :func:`regularised` returns

#: Seconds: the wall-clock budget of one Gaussian-mixture fit (all its restarts)
#: made for the app.  EM stops after the iteration that crosses it.
FIT_TIME_LIMIT = 60.0
#: Lloyd passes of KMeans between two looks at the clock (and at :func:`checkpoint`).
KMEANS_BURST = 10
#: The stronger ``reg_covar`` values tried, in turn, when a component collapses, as
#: shares of the features' mean variance (so 1e-4 and 1e-2 on standardised data).
RETRY_REG_COVAR = (1e-4, 1e-2)
#: What a :class:`FitNote` can be about.
NOTE_KINDS = ("not_converged", "time_limit", "regularised", "empty")


class FitNote(str):
    """A sentence about a fit, for the user, with its ``kind`` for the program.

    It is the sentence itself (a ``str``), so pages show it as it is; code
    that counts or filters notes reads ``kind``, never the wording.

    >>> note = FitNote("EM stopped at the time limit ...", kind="time_limit")
    >>> note.kind, note.startswith("EM")
    ('time_limit', True)
    """

    def __new__(cls, text, kind):
        if kind not in NOTE_KINDS:
            raise ValueError(f"kind must be one of {NOTE_KINDS}; got {kind!r}.")
        note = super().__new__(cls, text)
        note.kind = kind
        return note

    def __getnewargs__(self):  # pickled by st.cache_data: keep the kind
        return str(self), self.kind


def scale_for_fit(X: ArrayLike, scaling: Scaling, *,
                  reg_covar: float = 1e-6) -> tuple[Scaler, np.ndarray, tuple[FitNote, ...]]:
    """Scale ``X`` as the app fits it; return ``(scaler, Xs, warnings)``.

    Raises :class:`~gmm_core.DataError` for data the app cannot show in its
    own units -- values beyond :data:`~gmm_core.errors.MAX_MAGNITUDE` or a
    spread below :data:`~gmm_core.errors.MIN_SPREAD` (the reader's limits: the
    covariances would overflow or underflow) -- or when the scaled data are not
    finite; warns, in words, about a feature whose values differ but whose
    scaled spread is below ``sqrt(reg_covar)``, the smallest spread the
    regularised fit can resolve.

    >>> scaler, Xs, notes = scale_for_fit([[0.0, 1.0], [1e-9, 2.0], [2e-9, 3.0]], "none")
    >>> print(notes[0])  # doctest: +ELLIPSIS
    Feature 1 varies by only 2e-09, less than ... choose standardise or min-max scaling
    on the Data page.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 2 and X.size and X.shape[1] and np.isnan(X).all(axis=1).any():
        empty = np.flatnonzero(np.isnan(X).all(axis=1))
        raise DataError(
            f"{empty.size:,} row(s) have no value in any of the chosen feature columns (the "
            f"first is row {empty[0] + 1}, counting from 1), so the model cannot place them. "
            "Choose more feature columns, or drop the rows with missing values on the Data page.")
    if X.ndim == 2 and X.size and not np.isinf(X).any() and not np.isnan(X).all(axis=0).any():
        with np.errstate(over="ignore"):
            size, spread = np.nanmax(np.abs(X), axis=0), _spread(X)
        for j in range(X.shape[1]):
            if size[j] > MAX_MAGNITUDE or 0 < spread[j] < MIN_SPREAD:
                raise DataError(
                    f"Feature {j + 1} has values as large as {size[j]:.3g} and a spread of "
                    f"{spread[j]:.3g}: the covariances in its units would overflow or underflow "
                    f"(sizes up to {MAX_MAGNITUDE:.0e} and spreads from {MIN_SPREAD:.0e} work). "
                    "Rescale it (change its units or multiply or divide it by a power of ten) "
                    "and load the data again.")
    scaler = Scaler(method=scaling)
    with np.errstate(over="ignore", invalid="ignore"):
        Xs = np.asarray(scaler.fit_transform(X), dtype=float)
        finite = not np.isinf(Xs).any() and np.isfinite(scaler.scale_).all()
    if not finite:
        raise DataError(
            "The data cannot be scaled: its values are too large to compute with (their "
            "squares overflow). Rescale the features (change their units or divide them by a "
            "power of ten) and load the data again.")
    notes = []
    floor = float(np.sqrt(reg_covar))
    spread_x, spread_s = _spread(X), _spread(Xs)
    for j in np.flatnonzero((spread_x > 0) & (spread_s < floor)):
        remedy = ("choose standardise or min-max scaling on the Data page" if scaling == "none"
                  else "rescale it (change its units or multiply it by a power of ten) and "
                       "load the data again")
        notes.append(
            f"Feature {j + 1} varies by only {spread_x[j]:.3g}, less than the fit can resolve "
            f"(the regularisation adds a spread of about {floor:.0e}), so its values are treated "
            f"as equal. To use it, {remedy}.")
    return scaler, Xs, tuple(notes)


def _spread(X):
    """Each column's range over its observed (non-NaN) values."""
    return np.nanmax(X, axis=0) - np.nanmin(X, axis=0)


def has_gaps(Xs: ArrayLike) -> bool:
    """Whether ``Xs`` has missing values (NaN): rows the app fits on their observed columns."""
    return bool(np.isnan(np.asarray(Xs, dtype=float)).any())


def filled_for_start(Xs: np.ndarray) -> np.ndarray:
    """``Xs`` with each missing cell at its column's mean: where a start (k-means, Ward) is
    computed from, as the estimator itself does under ``nan_policy="marginalize"``."""
    return mean_filled(np.asarray(Xs, dtype=float)) if has_gaps(Xs) else Xs


def regularised(fit: Callable[[float], T], Xs: np.ndarray,
                reg_covar: float = 1e-6) -> tuple[T, float, tuple[FitNote, ...]]:
    """Call ``fit(reg_covar)``; if a component collapses, again with stronger ``reg_covar``.

    The retries use :data:`RETRY_REG_COVAR` times the mean variance of the
    columns of ``Xs``, so they mean the same on any scale.  Returns
    ``(result, reg_covar_used, notes)`` where ``notes`` says, in words, that the
    fit was regularised (empty when the first call succeeded).

    Raises
    ------
    CollapseError
        When even the strongest regularisation collapses, with remedies a user
        of the app can apply; other errors of ``fit`` pass through.
    """
    def retries():  # the columns' variance only when a retry is needed
        variance = float(np.mean(np.nanvar(Xs, axis=0))) or 1.0
        yield from (r * variance for r in RETRY_REG_COVAR if r * variance > reg_covar)

    last = None
    for reg in itertools.chain((reg_covar,), retries()):
        try:
            result = fit(reg)
        except CollapseError as exc:
            last = exc
            continue
        notes = () if reg == reg_covar else (FitNote(
            f"A component collapsed (its points lie on a line or coincide), so the fit was run "
            f"again with stronger regularisation: reg_covar = {reg:.3g} instead of "
            f"{reg_covar:g} is added to every variance. To avoid it, choose fewer segments, "
            "standardise the features or remove duplicate rows.", kind="regularised"),)
        return result, reg, notes
    raise CollapseError(
        f"A component collapsed even with strong regularisation (reg_covar = {reg:.3g}): the "
        "points it holds lie on a line or plane or coincide. Choose fewer segments (k), another "
        "covariance type (diag or spherical), or standardise the features on the Data page."
    ) from last


def fit_mixture(Xs: np.ndarray, n_components: int, *, covariance_type: CovarianceType = "full",
                init_params: InitMethod = "kmeans", n_init: int = 1, random_state: int = 0,
                reg_covar: float = 1e-6, max_iter: int = 100, tol: float = 1e-3,
                max_time: float | None = FIT_TIME_LIMIT,
                estimator: type[GaussianMixture] | None = None,
                start: dict | None = None) -> tuple[GaussianMixture, tuple[FitNote, ...]]:
    """Fit a Gaussian mixture for the app: bounded in time, regularised if it collapses.

    Returns ``(gmm, notes)``: :class:`FitNote` s -- the
    :class:`~gmm_core.ConvergenceWarning` messages (kind ``time_limit`` when the
    fit hit ``max_time``, else ``not_converged``) and, from :func:`regularised`,
    one of kind ``regularised`` when a collapsed component made the fit start
    again with a stronger ``reg_covar``.  ``estimator`` is the class to fit
    (default :class:`gmm_core.GaussianMixture`); ``start`` (a dict of
    ``weights_init``, ``means_init``, ``precisions_init``) gives the starting
    parameters instead of ``init_params``.  Rows with missing values (NaN in
    ``Xs``) are fitted on their observed columns (``nan_policy="marginalize"``):
    nothing is filled in.

    >>> X = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], [50, 50, 1], axis=0)
    >>> gmm, notes = fit_mixture(X, 3, covariance_type="full", random_state=0)
    >>> gmm.converged_, notes
    (True, ())
    """
    estimator = GaussianMixture if estimator is None else estimator
    caught = []
    gaps = dict(nan_policy="marginalize") if has_gaps(Xs) else {}

    def fit(reg):
        gmm = estimator(int(n_components), covariance_type=covariance_type,
                        init_params=init_params, n_init=int(n_init),
                        random_state=int(random_state), reg_covar=reg, max_iter=max_iter,
                        tol=tol, max_time=max_time, **gaps, **(start or {}))
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always", ConvergenceWarning)
            gmm.fit(Xs)
        kind = "time_limit" if getattr(gmm, "timed_out_", False) else "not_converged"
        caught[:] = [FitNote(str(r.message), kind=kind) for r in records
                     if issubclass(r.category, ConvergenceWarning)]
        return gmm

    gmm, _, notes = regularised(fit, Xs, reg_covar)
    return gmm, tuple(dict.fromkeys([*caught, *notes]))


def empty_segments(Xs: np.ndarray, labels: ArrayLike, k: int, model: str = "GMM") -> FitNote | None:
    """A warning when fewer than ``k`` of the ``labels`` are used, else None.

    >>> empty_segments(np.zeros((4, 2)), [0, 0, 0, 0], 3)
    'Only 1 of the 3 GMM segments holds any points: the data hold only 1 distinct point(s).
    The empty segments are kept with a tiny weight; choose k = 1 for a clean split.'
    """
    used = int(np.unique(labels).size)
    if used >= k:
        return None
    distinct = int(np.unique(Xs, axis=0).shape[0])
    why = (f": the data hold only {distinct} distinct point(s)" if distinct < k
           else " (some segments are squeezed out by larger ones)")
    best = min(used, distinct)
    return FitNote(f"Only {used} of the {k} {model} segments "
            f"{'holds' if used == 1 else 'hold'} any "
            f"points{why}. The empty segments are kept with a tiny weight; choose k = {best}"
            f"{'' if best == 1 else ' or fewer'} for a clean split.", kind="empty")


def fit_kmeans(Xs: np.ndarray, n_clusters: int, *, n_init: int = 1, random_state: int = 0,
               max_iter: int = 300, tol: float = 1e-4,
               max_time: float | None = FIT_TIME_LIMIT) -> tuple[KMeans, tuple[FitNote, ...]]:
    """scikit-learn's KMeans, bounded in time: ``(kmeans, notes)``.

    Each of the ``n_init`` starts is seeded by k-means++ (one random state for
    all, as ``KMeans(n_init=..., random_state=...)`` draws them) and refined by
    Lloyd's passes in bursts of :data:`KMEANS_BURST`, each burst starting from
    where the last ended, so the passes are those of one uninterrupted run.
    Between bursts the clock is read: past ``max_time`` seconds (``None``: no
    limit) the current start ends and no further start begins; the best start
    so far is kept and a :class:`FitNote` of kind ``time_limit`` says so.
    :func:`gmm_core.mixture.checkpoint` is called between bursts too.

    >>> X = np.repeat([[0.0, 0.0], [5.0, 5.0]], 20, axis=0)
    >>> km, notes = fit_kmeans(X, 2, random_state=0)
    >>> sorted(np.bincount(km.labels_).tolist()), notes
    ([20, 20], ())
    """
    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.exceptions import ConvergenceWarning as KMeansWarning

    Xs = np.asarray(Xs, dtype=float)
    k = int(n_clusters)
    deadline = None if max_time is None else time.monotonic() + float(max_time)
    rng = np.random.RandomState(int(random_state))
    best, timed_out = None, False
    with warnings.catch_warnings():  # duplicate points: said in words by empty_segments
        warnings.simplefilter("ignore", KMeansWarning)
        n_starts = max(int(n_init), 1)
        for start in range(n_starts):
            checkpoint()
            centers, _ = kmeans_plusplus(Xs, k, random_state=rng)
            done = 0
            while True:
                km = KMeans(n_clusters=k, init=centers, n_init=1, tol=tol,
                            max_iter=min(KMEANS_BURST, max_iter - done)).fit(Xs)
                done += km.n_iter_
                if km.n_iter_ < KMEANS_BURST or done >= max_iter:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    timed_out = True
                    break
                checkpoint()
                centers = km.cluster_centers_
            km.n_iter_ = done   # the start's passes, over all its bursts
            if best is None or km.inertia_ < best.inertia_:
                best = km
            if timed_out or (deadline is not None and time.monotonic() > deadline
                             and start < n_starts - 1):
                timed_out = True   # this start cut short, or the rest not begun
                break
    notes = (FitNote(f"KMeans stopped at the time limit of {max_time:g} s before it converged; "
                     "the best result so far is kept. Use fewer rows, features or segments.",
                     kind="time_limit"),) if timed_out else ()
    return best, notes
