"""How many components?  BIC and AIC over a grid of models.

Adding components always raises the likelihood, so the likelihood alone
cannot choose ``k``.  Information criteria charge for the parameters:

* ``BIC = -2 log L + p log n``  (Schwarz) -- consistent, favours fewer components;
* ``AIC = -2 log L + 2 p``      (Akaike)  -- lighter penalty.

Here, as in scikit-learn, **lower is better**.  R's mclust reports BIC with
the opposite sign (``2 log L - p log n``), where higher is better: the same
model wins, the plots are mirror images.

:func:`select_model` fits every ``(covariance_type, n_components)`` pair
``n_init`` times with different seeds, one table row per fit, and returns the
best single fit by the chosen criterion.
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gmm_core import em
from gmm_core.errors import ConvergenceWarning
from gmm_core.mixture import GaussianMixture, _as_float_matrix, check_random_state

__all__ = ["ModelSelection", "select_model"]


@dataclass(eq=False)
class ModelSelection:
    """What :func:`select_model` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fit: ``n_components, covariance_type, restart, seed, bic, aic,
        log_likelihood, n_parameters, converged, n_iter, seconds`` (failed fits,
        e.g. a collapsed component, have NaN scores and the reason in ``error``).
    best_model : GaussianMixture
        The fit with the lowest criterion.
    criterion : {"bic", "aic"}
    """

    table: pd.DataFrame
    best_model: GaussianMixture
    criterion: str

    @property
    def best(self):
        """The table row of the best model."""
        return self.table.loc[self.table[self.criterion].idxmin()]

    def summary(self):
        """Per (covariance_type, n_components): min, mean and max of both criteria."""
        ok = self.table.dropna(subset=["bic"])
        return (ok.groupby(["covariance_type", "n_components"])[["bic", "aic"]]
                .agg(["min", "mean", "max"]).reset_index())


def select_model(X, n_components=range(1, 11), covariance_types=em.COVARIANCE_TYPES, *,
                 n_init=1, criterion="bic", random_state=0, max_iter=100, tol=1e-3,
                 reg_covar=1e-6, init_params="kmeans", progress=None):
    """Fit a grid of Gaussian mixtures and pick one by BIC or AIC (lower is better).

    Parameters
    ----------
    X : array-like (N, D)
    n_components : iterable of int
    covariance_types : iterable of {"full", "tied", "diag", "spherical"}
    n_init : int
        Restarts per model, each a separate fit and table row (the spread shows
        how much the criterion depends on the start).
    criterion : {"bic", "aic"}
    random_state : int or None
        Seeds the restarts' seeds.
    progress : callable(done, total), optional
        Called after every fit.

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
    if criterion not in ("bic", "aic"):
        raise ValueError(f"criterion must be 'bic' or 'aic'; got {criterion!r}.")
    X = _as_float_matrix(X)
    ks = [int(k) for k in n_components]
    types = list(covariance_types)
    if not ks or not types:
        raise ValueError("Give at least one value of n_components and one covariance type.")
    bad = [t for t in types if t not in em.COVARIANCE_TYPES]
    if bad:
        raise ValueError(f"Unknown covariance type(s) {bad}; choose from {em.COVARIANCE_TYPES}.")
    ks = [k for k in ks if k <= X.shape[0]]
    if not ks:
        raise ValueError(f"Every n_components exceeds the {X.shape[0]} rows; use fewer components.")
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max,
                                                     size=n_init)
    total, done = len(ks) * len(types) * n_init, 0
    rows, best_model, best_score = [], None, np.inf
    for ct in types:
        for k in ks:
            for restart, seed in enumerate(seeds):
                gm = GaussianMixture(k, covariance_type=ct, random_state=int(seed),
                                     max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                                     init_params=init_params)
                row = dict(n_components=k, covariance_type=ct, restart=restart,
                           seed=int(seed), n_parameters=em.n_parameters(ct, k, X.shape[1]))
                start = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        gm.fit(X)
                    ll = gm.score(X)
                    bic, aic = em.information_criteria(ll, X.shape[0], row["n_parameters"])
                    row.update(bic=bic, aic=aic, log_likelihood=ll, converged=bool(gm.converged_),
                               n_iter=int(gm.n_iter_), error="")
                    score = row[criterion]
                    if score < best_score:
                        best_score, best_model = score, gm
                except ValueError as exc:
                    row.update(bic=np.nan, aic=np.nan, log_likelihood=np.nan,
                               converged=False, n_iter=0, error=str(exc))
                row["seconds"] = time.perf_counter() - start
                rows.append(row)
                done += 1
                if progress is not None:
                    progress(done, total)
    table = pd.DataFrame(rows, columns=["n_components", "covariance_type", "restart", "seed",
                                        "bic", "aic", "log_likelihood", "n_parameters",
                                        "converged", "n_iter", "seconds", "error"])
    if best_model is None:
        raise ValueError("Every fit failed. The first error: " + table["error"].iloc[0])
    return ModelSelection(table, best_model, criterion)
