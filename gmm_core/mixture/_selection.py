"""How many components?  BIC and AIC over a grid of models.

Adding components always raises the likelihood, so the likelihood alone
cannot choose ``k``.  Information criteria charge for the parameters:

* ``BIC = -2 log L + p log n``  (Schwarz) -- consistent, favours fewer components;
* ``AIC = -2 log L + 2 p``      (Akaike)  -- lighter penalty;
* ``ICL = BIC + 2 E``, ``E = -sum_i sum_k r_ik log r_ik`` the entropy of the
  soft assignments (Biernacki, Celeux & Govaert 2000) -- BIC that also charges
  for overlap, so it prefers well-separated segments.

Here, as in scikit-learn, **lower is better**.  R's mclust reports BIC with
the opposite sign (``2 log L - p log n``), where higher is better: the same
model wins, the plots are mirror images.

:func:`select_model` fits every ``(covariance_type, n_components)`` pair
``n_init`` times with different seeds, one table row per fit, and returns the
best single fit by the chosen criterion -- never a *degenerate* one (a
component on a few rows or on one rounded value, kept alive by ``reg_covar``:
:func:`gmm_core.mixture.degenerate_components`; the table's ``degenerate``
column says why), unless every fit is.  ``init_params`` may name one start
method per restart, e.g. ``("hierarchical", "kmeans", "kmeans")``: one
deterministic start and two random ones.  It is the project's one grid loop:
the app's Choose k sweep (:func:`gmm_core.analysis.choose_k.model_sweep`)
passes its own bounded ``fit`` and a ``max_time`` for the whole grid.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.errors import ConvergenceWarning
from gmm_core.mixture._blocked import posterior_summary
from gmm_core.mixture._degenerate import degenerate_components, describe_degenerate
from gmm_core.mixture._estimator import NAN_POLICIES, GaussianMixture
from gmm_core.mixture._missing import group_rows
from gmm_core.mixture._params import COVARIANCE_TYPES, information_criteria, n_parameters
from gmm_core.mixture._typing import CovarianceType, Criterion, InitMethod, NanPolicy, RandomState
from gmm_core.mixture._validation import as_float_matrix, check_random_state

__all__ = ["ModelSelection", "select_model", "plain_fit", "best_row", "SKIPPED", "COLUMNS",
           "CRITERIA"]

#: The ``error`` of a fit skipped because the grid ran out of time.
SKIPPED = "skipped: the sweep reached its time limit"
COLUMNS = ["n_components", "covariance_type", "restart", "init", "seed", "bic", "aic", "icl",
           "log_likelihood", "n_parameters", "converged", "n_iter", "seconds", "degenerate",
           "error", "note", "note_kinds"]
CRITERIA = ("bic", "aic", "icl")


@dataclass(eq=False)
class ModelSelection:
    """What :func:`select_model` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fit: ``n_components, covariance_type, restart, seed, bic, aic,
        log_likelihood, n_parameters, converged, n_iter, seconds`` (failed fits,
        e.g. a collapsed component, have NaN scores and the reason in ``error``;
        fits skipped at the time limit have ``error`` :data:`SKIPPED`), and
        ``note``/``note_kinds``: what the fit function reported, in words and as
        kinds (space-separated, e.g. ``"time_limit regularised"``).
    best_model : GaussianMixture
        The non-degenerate fit with the lowest criterion.
    criterion : {"bic", "aic", "icl"}
    """

    table: pd.DataFrame
    best_model: GaussianMixture
    criterion: str

    @property
    def best(self) -> pd.Series:
        """The table row of the best model (non-degenerate when any fit is)."""
        return self.table.loc[best_row(self.table, self.criterion)]

    def summary(self) -> pd.DataFrame:
        """Per (covariance_type, n_components): min, mean and max of both criteria."""
        ok = self.table.dropna(subset=["bic"])
        return (ok.groupby(["covariance_type", "n_components"])[["bic", "aic"]]
                .agg(["min", "mean", "max"]).reset_index())


def best_row(table: pd.DataFrame, criterion: Criterion) -> Hashable:
    """Index of the lowest ``criterion`` among the sound fits (all fits if none is sound)."""
    scores = table[criterion]
    if "degenerate" in table:
        sound = scores.where(table["degenerate"].fillna("") == "")
        if sound.notna().any():
            return sound.idxmin()
    return scores.idxmin()


def plain_fit(X: np.ndarray, n_components: int, *, covariance_type: CovarianceType,
              random_state: RandomState, **options: Any) -> tuple[GaussianMixture, tuple]:
    """The default ``fit`` of :func:`select_model`: one :class:`GaussianMixture`, no notes."""
    gm = GaussianMixture(n_components, covariance_type=covariance_type,
                         random_state=random_state, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm, ()


def select_model(X: ArrayLike, n_components: Iterable[int] = range(1, 11),
                 covariance_types: Iterable[CovarianceType] = COVARIANCE_TYPES, *, n_init: int = 1,
                 criterion: Criterion = "bic", random_state: RandomState = 0, max_iter: int = 100,
                 tol: float = 1e-3, reg_covar: float = 1e-6,
                 init_params: InitMethod | Sequence[InitMethod] = "kmeans",
                 progress: Callable[[int, int], object] | None = None,
                 fit: Callable[..., tuple[GaussianMixture, tuple[str, ...]]] = plain_fit,
                 max_time: float | None = None, feature_names: Sequence[str] | None = None,
                 nan_policy: NanPolicy = "raise") -> ModelSelection:
    """Fit a grid of Gaussian mixtures and pick one by BIC or AIC (lower is better).

    Parameters
    ----------
    X : array-like (N, D)
    n_components : iterable of int
        Values above the number of rows are left out.
    covariance_types : iterable of {"full", "tied", "diag", "spherical"}
    n_init : int
        Restarts per model, each a separate fit and table row (the spread shows
        how much the criterion depends on the start); restart ``r`` has the same
        seed for every model.
    criterion : {"bic", "aic", "icl"}
    init_params : str or sequence of str
        The start method, or one per restart (the last one for the restarts after).
    random_state : int or None
        Seeds the restarts' seeds.
    progress : callable(done, total), optional
        Called after every fit.
    fit : callable, default :func:`plain_fit`
        ``fit(X, k, covariance_type=, random_state=, init_params=, max_iter=,
        tol=, reg_covar=)`` returns ``(model, notes)``; a ``ValueError`` it
        raises becomes the row's ``error``.  Each note's ``kind`` attribute, if
        it has one, is listed in ``note_kinds``.
    max_time : float or None
        Seconds for the whole grid: once passed, the fits not yet started are
        skipped (``error`` is :data:`SKIPPED`).
    feature_names : sequence of str, optional
        Named in the ``degenerate`` reasons.
    nan_policy : {"raise", "marginalize"}
        As :class:`GaussianMixture`'s; ``"marginalize"`` is passed to ``fit``
        (``"raise"`` is not, so a ``fit`` of your own need not know it).  Rows
        with every value missing are refused before any fit.

    Returns
    -------
    ModelSelection

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))])
    >>> sel = select_model(X, range(1, 5), ["full", "spherical"], random_state=0)
    >>> int(sel.best["n_components"]), sel.best_model.n_components
    (2, 2)
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}.")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}; got {nan_policy!r}.")
    # C order once: every pass of every fit reads it by rows (an F-ordered frame is copied once)
    X = np.ascontiguousarray(as_float_matrix(X, allow_nan=nan_policy == "marginalize"))
    if nan_policy == "marginalize":
        group_rows(X)  # a row with no value: one DataError now, not one per fit
    ks = [int(k) for k in n_components]
    types = list(covariance_types)
    if not ks or not types:
        raise ValueError("Give at least one value of n_components and one covariance type.")
    bad = [t for t in types if t not in COVARIANCE_TYPES]
    if bad:
        raise ValueError(f"Unknown covariance type(s) {bad}; choose from {COVARIANCE_TYPES}.")
    ks = [k for k in ks if k <= X.shape[0]]
    if not ks:
        raise ValueError(f"Every n_components exceeds the {X.shape[0]} rows; use fewer components.")
    extra = {} if nan_policy == "raise" else dict(nan_policy=nan_policy)  # any fit takes "raise"
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=int(n_init))
    deadline = None if max_time is None else time.monotonic() + max_time
    total = len(ks) * len(types) * len(seeds)
    inits = (init_params,) if isinstance(init_params, str) else tuple(init_params)
    rows, models = [], {}
    for ct in types:
        for k in ks:
            for restart, seed in enumerate(seeds):
                init = inits[min(restart, len(inits) - 1)]
                row = dict(n_components=k, covariance_type=ct, restart=restart, init=init,
                           seed=int(seed), n_parameters=n_parameters(ct, k, X.shape[1]),
                           bic=np.nan, aic=np.nan, icl=np.nan, log_likelihood=np.nan,
                           converged=False, n_iter=0, seconds=0.0, degenerate="", error="",
                           note="", note_kinds="")
                if deadline is not None and rows and time.monotonic() > deadline:
                    row["error"] = SKIPPED
                else:
                    start = time.perf_counter()
                    model = _fit_row(row, X, fit, dict(
                        covariance_type=ct, random_state=int(seed), init_params=init,
                        max_iter=max_iter, tol=tol, reg_covar=reg_covar, **extra),
                        feature_names)
                    row["seconds"] = time.perf_counter() - start
                    if model is not None:
                        models[len(rows)] = model
                rows.append(row)
                if progress is not None:
                    progress(len(rows), total)
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not models:
        raise ValueError("Every fit failed. The first error: " + table["error"].iloc[0])
    return ModelSelection(table, models[best_row(table, criterion)], criterion)


def _fit_row(row, X, fit, options, feature_names):
    """Fit one model of the grid into ``row``; return the model (None when it failed)."""
    try:
        model, notes = fit(X, row["n_components"], **options)
    except ValueError as exc:
        row["error"] = str(exc)
        return None
    ll, entropy, labels = _scores(model, X, "nan_policy" in options)
    bic, aic = information_criteria(ll, X.shape[0], row["n_parameters"])
    found = degenerate_components(model, X, feature_names, labels=labels)
    row.update(bic=bic, aic=aic, icl=bic + 2.0 * entropy, log_likelihood=ll,
               degenerate=describe_degenerate(found, row["n_components"]),
               converged=bool(model.converged_),
               n_iter=int(model.n_iter_), note=" ".join(notes),
               note_kinds=" ".join(getattr(n, "kind", "") for n in notes).strip())
    return model


def _scores(model, X, gaps):
    """``(mean log-likelihood, entropy of the responsibilities, labels)`` of ``X`` under a fit.

    One fused pass (:func:`gmm_core.mixture._blocked.posterior_summary`) for a
    :class:`GaussianMixture` of complete rows; else the model's own ``score``
    and ``predict_proba`` (``labels`` None: :func:`degenerate_components` predicts).
    """
    if not gaps and isinstance(model, GaussianMixture):
        ll_sum, entropy, labels = posterior_summary(X, model.params_)
        return ll_sum / X.shape[0], entropy, labels
    resp = model.predict_proba(X)
    entropy = -float(np.sum(resp * np.log(np.maximum(resp, np.finfo(float).tiny))))
    return model.score(X), entropy, None
