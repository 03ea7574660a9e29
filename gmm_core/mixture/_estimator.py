"""``GaussianMixture``: a scikit-learn-compatible estimator, and the one EM loop.

The constructor, fitted attributes and methods are scikit-learn's, with the
same meaning, so code written for scikit-learn's ``GaussianMixture`` runs
unchanged.  From the same initial parameters and number of iterations the two
agree to rounding (the tests hold them to 1e-8 relative).  Beyond
scikit-learn:

* ``fit(X, sample_weight=...)`` -- weighted EM: integer weights give the same
  fit as repeating rows;
* ``params_`` -- the fitted mixture as an immutable
  :class:`~gmm_core.mixture.GMMParams`, and ``full_covariances_`` -- (K, D, D)
  whatever the covariance type;
* dask arrays and DataFrames, fitted chunk by chunk on their cluster;
* ``nan_policy="marginalize"`` -- rows with missing values (NaN) fitted and
  assigned on their observed columns, and :meth:`GaussianMixture.impute`
  (:mod:`gmm_core.mixture._missing`);
* errors that name the collapsed component and say what to do.

The EM loop (``_em``) is the one of scikit-learn's ``BaseMixture.fit_predict``
and the only one in the project: each iteration is one pass over the rows
(the row source's ``summarize``, the E-step reduced to sufficient statistics)
followed by the M-step (:func:`~gmm_core.mixture.params_from_stats`); the
lower bound of iteration ``n`` is the mean log-likelihood of the parameters
*before* its M-step; ``tol`` applies to its change; the best of ``n_init``
runs is kept and a final E-step makes ``fit_predict(X) == fit(X).predict(X)``.
An ``on_iteration`` hook hears of every :class:`Iteration` and may stop the
run: :func:`~gmm_core.mixture.fit_trajectory` records its steps that way, the
CLI prints its progress.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, DensityMixin

from gmm_core.errors import ConvergenceWarning, NotFittedError
from gmm_core.mixture._init import INIT_METHODS, initial_params
from gmm_core.mixture._params import (
    COVARIANCE_TYPES,
    GMMParams,
    SufficientStats,
    information_criteria,
    n_parameters,
    params_from_stats,
)
from gmm_core.mixture._sources import row_source
from gmm_core.mixture._stop import checkpoint
from gmm_core.mixture._typing import CovarianceType, InitMethod, NanPolicy, RandomState
from gmm_core.mixture._validation import check_init_arrays, check_random_state

if TYPE_CHECKING:
    import dask.array as da

__all__ = ["GaussianMixture", "Iteration", "NAN_POLICIES"]

NAN_POLICIES = ("raise", "marginalize")


@dataclass(frozen=True, eq=False)
class Iteration:
    """What the EM loop tells its ``on_iteration`` hook after each iteration.

    Attributes
    ----------
    run : int
        The start (0 to ``n_init - 1``).
    n_iter : int
        The iteration within that start, from 1.
    lower_bound : float
        Mean log-likelihood of ``params`` (the E-step's parameters).
    params : GMMParams
        The parameters the E-step evaluated.
    stats : SufficientStats
        What the E-step gave.
    new_params : GMMParams
        The M-step's parameters, estimated from ``stats``.
    """

    run: int
    n_iter: int
    lower_bound: float
    params: GMMParams
    stats: SufficientStats
    new_params: GMMParams


# ------------------------------------------------------------------ estimator
class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by Expectation-Maximization.

    A scikit-learn estimator, with scikit-learn's bases in its order
    (``BaseMixture(DensityMixin, BaseEstimator)``): ``get_params``,
    ``set_params``, ``clone``, the repr and the tags are scikit-learn's own.
    float32 data is fitted in float64 and the fitted arrays, ``score_samples``
    and ``predict_proba`` are returned in float32, as scikit-learn returns them.

    Parameters are those of scikit-learn's ``GaussianMixture``:

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        EM stops when the mean per-sample log-likelihood changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, keeping it positive definite.
    max_iter : int, default=100
    n_init : int, default=1
        Restarts; the one with the highest lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
    weights_init, means_init, precisions_init : array-like, optional
    random_state : int, RandomState or None
    warm_start : bool, default=False
        Start a new ``fit`` from the last solution.
    verbose : int, default=0
        1 prints each start and iteration, 2 also the time and the change in
        the lower bound, as scikit-learn prints them.
    verbose_interval : int, default=10
        Iterations between two printed iterations.
    max_time : float or None, default=None
        Wall-clock budget of one ``fit`` in seconds (not in scikit-learn).  EM
        stops after the iteration that crosses it, keeps the best run so far
        and warns with :class:`~gmm_core.ConvergenceWarning`; ``timed_out_``
        says so.  ``None``: no limit.
    nan_policy : {"raise", "marginalize"}, default="raise"
        What NaN in ``X`` means (not in scikit-learn).  ``"raise"``: refuse it,
        as scikit-learn does.  ``"marginalize"``: NaN is a missing value; each
        row counts by its observed columns -- the E-step uses the marginal
        density ``N(x_o | mu_o, Sigma_oo)``, the M-step the expected
        statistics of the missing cells given the observed ones -- so nothing
        is filled in and the log-likelihood (of the observed values) still
        never decreases.  ``fit``, ``predict``, ``predict_proba``,
        ``score_samples``, ``score``, ``bic`` and ``aic`` then take rows with
        gaps; rows with every value missing are refused
        (:class:`~gmm_core.DataError`).  Without NaN both give the same fit.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood (of the best run) at its last iteration.
    lower_bounds_ : list of float
        The lower bound after every iteration of the best run.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from gmm_core import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.sort(gm.means_[:, 0])
    array([ 1., 10.])
    >>> gm.predict([[0, 0], [12, 3]])[0] != gm.predict([[12, 3]])[0]
    np.True_

    Rows with gaps, with ``nan_policy="marginalize"``:

    >>> gm = GaussianMixture(2, random_state=0, nan_policy="marginalize").fit(X)
    >>> gaps = [[1.0, np.nan], [10.0, np.nan]]
    >>> gm.predict(gaps).tolist() == gm.predict([[1, 2], [10, 2]]).tolist()
    True
    >>> gm.impute([[10.0, np.nan]])
    array([[10.,  2.]])
    """

    def __init__(self, n_components: int = 1, *, covariance_type: CovarianceType = "full",
                 tol: float = 1e-3, reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1,
                 init_params: InitMethod = "kmeans", weights_init: ArrayLike | None = None,
                 means_init: ArrayLike | None = None, precisions_init: ArrayLike | None = None,
                 random_state: RandomState = None, warm_start: bool = False, verbose: int = 0,
                 verbose_interval: int = 10, max_time: float | None = None,
                 nan_policy: NanPolicy = "raise") -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.max_time = max_time
        self.nan_policy = nan_policy

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.nan_policy == "marginalize"
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "precisions_cholesky_")

    # -------------------------------------------------------------- validation
    def _check_parameters(self):
        def is_int(v):
            return isinstance(v, numbers.Integral) and not isinstance(v, bool)

        if not is_int(self.n_components) or self.n_components < 1:
            raise ValueError(f"n_components must be an integer >= 1; got "
                             f"{self.n_components!r}.")
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}; got "
                             f"{self.covariance_type!r}.")
        if not isinstance(self.tol, numbers.Real) or not 0 <= self.tol < np.inf:
            raise ValueError(f"tol must be a finite number >= 0; got {self.tol!r}.")
        if not isinstance(self.reg_covar, numbers.Real) or not 0 <= self.reg_covar <= 1e150:
            raise ValueError(f"reg_covar must be a finite number >= 0 (e.g. 1e-6; at most 1e150, "
                             f"whose square still fits in double precision); got "
                             f"{self.reg_covar!r}.")
        if not is_int(self.max_iter) or self.max_iter < 0:
            raise ValueError(f"max_iter must be an integer >= 0; got {self.max_iter!r}.")
        if not is_int(self.n_init) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1; got {self.n_init!r}.")
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:
            raise ValueError(f"verbose must be an integer >= 0 (0: silent, 1: each start and "
                             f"iteration, 2: with times); got {self.verbose!r}.")
        if not is_int(self.verbose_interval) or self.verbose_interval < 1:
            raise ValueError(f"verbose_interval must be an integer >= 1; got "
                             f"{self.verbose_interval!r}.")
        if self.init_params not in INIT_METHODS:
            raise ValueError(f"init_params must be one of {INIT_METHODS}; got "
                             f"{self.init_params!r}.")
        if self.max_time is not None and (not isinstance(self.max_time, numbers.Real)
                                          or isinstance(self.max_time, bool)
                                          or not 0 < self.max_time < np.inf):
            raise ValueError(f"max_time must be None or a number of seconds > 0; got "
                             f"{self.max_time!r}.")
        if not isinstance(self.nan_policy, str) or self.nan_policy not in NAN_POLICIES:
            raise ValueError(f"nan_policy must be one of {NAN_POLICIES}; got "
                             f"{self.nan_policy!r}. 'marginalize' fits rows with missing "
                             "values (NaN) on their observed columns.")

    def _check_features(self, names, n_features, *, reset):
        """Record (``reset``) or check the number and names of the features."""
        if reset:
            self.n_features_in_ = n_features
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        fitted_names = getattr(self, "feature_names_in_", None)
        if fitted_names is not None and names is None:
            warnings.warn(f"X does not have valid feature names, but {type(self).__name__} "
                          "was fitted with feature names", UserWarning, stacklevel=2)
        elif fitted_names is None and names is not None:
            warnings.warn(f"X has feature names, but {type(self).__name__} was fitted "
                          "without feature names", UserWarning, stacklevel=2)
        elif names is not None and (len(names) != len(fitted_names)
                                    or np.any(names != fitted_names)):
            raise ValueError("The feature names should match those that were passed during "
                             f"fit. Fitted with {list(fitted_names)}, got {list(names)}.")
        if n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input.")

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.")

    # -------------------------------------------------------------- fitting
    def fit(self, X: ArrayLike, y: object = None,
            sample_weight: ArrayLike | None = None) -> GaussianMixture:
        """Fit the mixture by EM (``n_init`` runs, best kept). Returns ``self``."""
        self._check_parameters()
        self._fit(row_source(X, sample_weight, nan_policy=self.nan_policy))
        return self

    def fit_predict(self, X: ArrayLike, y: object = None,
                    sample_weight: ArrayLike | None = None) -> np.ndarray | da.Array:
        """Fit, then return the most probable component of each row of ``X``.

        A dask array or DataFrame is fitted chunk by chunk on its cluster
        (:mod:`gmm_core.mixture._dask`) and the labels returned are a lazy dask array.
        """
        self._check_parameters()
        rows = row_source(X, sample_weight, nan_policy=self.nan_policy)
        return rows.outputs(self._fit(rows), "labels")

    def _fit(self, rows, *, on_iteration=None):
        """Fit on a row source (parameters already checked); return the best parameters."""
        self._check_features(rows.feature_names, rows.n_features, reset=True)
        self._check_n_samples(rows.n_samples)
        inits = check_init_arrays(self.weights_init, self.means_init, self.precisions_init,
                                  self.covariance_type, self.n_components, rows.n_features)

        def init(rng):
            if all(a is not None for a in inits):  # no rows needed
                X, sw = np.empty((0, rows.n_features)), None
            else:
                X, sw = rows.init_rows(rng, self.n_components)
            return initial_params(X, self.n_components, covariance_type=self.covariance_type,
                                  init_params=self.init_params, random_state=rng,
                                  reg_covar=self.reg_covar, sample_weight=sw,
                                  weights_init=inits[0], means_init=inits[1],
                                  precisions_init=inits[2])

        return self._em(init, rows.summarize, check_random_state(self.random_state),
                        on_iteration, dtype=rows.dtype)

    def _check_n_samples(self, n_samples):
        if n_samples < 2:
            raise ValueError(f"n_samples={n_samples}: a Gaussian mixture needs at least 2 "
                             "rows to fit; got 1 sample.")
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {n_samples}. Use fewer components or "
                "more rows.")

    def _em(self, init, summarize, rng, on_iteration=None, *, dtype=np.float64):
        """The EM loop, whatever holds the rows; sets the fitted attributes, returns the best.

        ``init(rng)`` gives a start's parameters; ``summarize(params)`` is one
        E-step pass over all the rows reduced to :class:`~gmm_core.mixture.SufficientStats`
        (a row source's, :mod:`gmm_core.mixture._sources`); ``on_iteration``, if
        given, is called with an :class:`Iteration` after every iteration, and a
        true return value ends the current start there.  The fitted arrays are
        set in ``dtype`` (float32 for float32 data, as scikit-learn), the
        returned parameters stay float64.
        """
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        best, best_lb, best_bounds, best_n_iter = None, -np.inf, [], 0
        self.converged_ = False
        deadline = None if self.max_time is None else time.monotonic() + self.max_time
        self.timed_out_ = False
        for run in range(n_init):
            if self.timed_out_:
                break
            self._print_start(run)
            params = init(rng) if do_init else self.params_
            if self.max_iter == 0:
                best, best_n_iter = params, 0
                continue
            lower_bound = -np.inf if do_init else self.lower_bound_
            bounds, converged = [], False
            for n_iter in range(1, self.max_iter + 1):
                checkpoint()   # a fit its caller no longer wants ends here (mixture._stop)
                prev = lower_bound
                stats = summarize(params)
                new_params = params_from_stats(stats, self.reg_covar)
                lower_bound = stats.log_likelihood
                bounds.append(lower_bound)
                stop = on_iteration is not None and on_iteration(
                    Iteration(run, n_iter, lower_bound, params, stats, new_params))
                params = new_params
                self._print_iteration(n_iter, lower_bound - prev)
                if abs(lower_bound - prev) < self.tol:
                    converged = True
                    break
                if stop:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    self.timed_out_ = True
                    break
            self._print_end(lower_bound, converged)
            if lower_bound > best_lb or best_lb == -np.inf:
                best, best_lb, best_bounds, best_n_iter = params, lower_bound, bounds, n_iter
                self.converged_ = converged
        if self.timed_out_:
            warnings.warn(
                f"EM stopped at the time limit of {self.max_time:g} s after {n_iter} "
                f"iteration(s) of the current start, before it converged; the best result so "
                "far is kept. Raise max_time, or use fewer rows, features, components or "
                "restarts (n_init).", ConvergenceWarning, stacklevel=2)
        elif not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data. EM did "
                f"not converge in max_iter={self.max_iter} iterations (tol={self.tol}): "
                "increase max_iter, loosen tol, try another init_params or random_state, or "
                "check the data for duplicates and outliers.",
                ConvergenceWarning, stacklevel=2)
        self._set_params(best, dtype)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = best_lb
        self.lower_bounds_ = best_bounds
        return best

    def _set_params(self, params, dtype=np.float64):
        self.weights_ = np.array(params.weights, dtype=dtype)
        self.means_ = np.array(params.means, dtype=dtype)
        self.covariances_ = np.array(params.covariances, dtype=dtype)
        self.precisions_cholesky_ = np.array(params.precisions_cholesky, dtype=dtype)
        self.precisions_ = np.array(params.precisions, dtype=dtype)

    # -------------------------------------------------------------- verbose (scikit-learn's)
    def _print_start(self, run):
        if self.verbose >= 1:
            print(f"Initialization {run}")
        if self.verbose >= 2:
            self._init_prev_time = self._iter_prev_time = time.time()

    def _print_iteration(self, n_iter, change):
        if self.verbose < 1 or n_iter % self.verbose_interval:
            return
        if self.verbose == 1:
            print(f"  Iteration {n_iter}")
            return
        now = time.time()
        print(f"  Iteration {n_iter}\t time lapse {now - self._iter_prev_time:.5f}s\t "
              f"ll change {change:.5f}")
        self._iter_prev_time = now

    def _print_end(self, lower_bound, converged):
        said = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {said}.")
        elif self.verbose >= 2:
            print(f"Initialization {said}. time lapse {time.time() - self._init_prev_time:.5f}s"
                  f"\t lower bound {lower_bound:.5f}.")

    # -------------------------------------------------------------- fitted views
    @property
    def params_(self) -> GMMParams:
        """The fitted mixture as an immutable :class:`~gmm_core.mixture.GMMParams`."""
        self._check_fitted()
        return GMMParams(self.weights_, self.means_, self.covariances_,
                            self.precisions_cholesky_, self.covariance_type)

    @property
    def full_covariances_(self) -> np.ndarray:
        """Covariances as (K, D, D) full matrices, whatever ``covariance_type``."""
        return self.params_.full_covariances

    # -------------------------------------------------------------- inference
    def score_samples(self, X: ArrayLike) -> np.ndarray | da.Array:
        """Log of the mixture density at each row, ``log p(x)``, shape (N,).

        Lazy (a dask array) when ``X`` is a dask array or DataFrame; so are
        :meth:`predict` and :meth:`predict_proba`.
        """
        return self._outputs(X, "log_prob_norm")

    def _outputs(self, X, what):
        """``what`` of each row of ``X`` under the fitted mixture (checked like ``fit``'s X)."""
        self._check_fitted()
        rows = row_source(X, for_fit=False,
                          nan_policy="marginalize" if what == "impute" else self.nan_policy)
        self._check_features(rows.feature_names, rows.n_features, reset=False)
        out = rows.impute(self.params_) if what == "impute" else rows.outputs(self.params_, what)
        if what != "labels" and rows.dtype == np.float32 and self.means_.dtype == np.float32:
            return out.astype(np.float32)  # scikit-learn's dtype: float32 data, float32 model
        return out

    def score(self, X: ArrayLike, y: object = None) -> float:
        """Mean log-likelihood per row."""
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X: ArrayLike) -> np.ndarray | da.Array:
        """Responsibilities: the posterior probability of each component, (N, K)."""
        return self._outputs(X, "proba")

    def predict(self, X: ArrayLike) -> np.ndarray | da.Array:
        """The most probable component of each row."""
        return self._outputs(X, "labels")

    def impute(self, X: ArrayLike) -> np.ndarray | da.Array:
        """``X`` with each missing value (NaN) replaced by its posterior mean under the model.

        A row's missing part ``x_m`` given its observed part ``x_o`` is
        ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + Sigma_k,mo Sigma_k,oo^-1 (x_o - mu_ko))``:
        each component's conditional mean, weighted by the row's
        responsibilities from its observed values (``predict_proba``).  This is
        the model's best guess in the least-squares sense, not a draw: filled
        values lie closer to the cluster centres than real values would, so use
        them to display or export a row, never to fit again.  Observed values
        are returned unchanged; works whatever ``nan_policy`` the model was
        fitted with.  Returns an ndarray (N, D), lazy for dask input.
        """
        return self._outputs(X, "impute")

    def _n_parameters(self):
        return n_parameters(self.covariance_type, self.means_.shape[0],
                               self.means_.shape[1])

    def _criteria(self, X):
        log_prob = self.score_samples(X)
        return information_criteria(float(np.mean(log_prob)), log_prob.shape[0],
                                       self._n_parameters())

    def bic(self, X: ArrayLike) -> float:
        """Bayesian information criterion; lower is better.

        ``-2 * log-likelihood + n_parameters * log(n_samples)`` (scikit-learn's
        sign; R's mclust reports the negative, where higher is better).
        """
        return self._criteria(X)[0]

    def aic(self, X: ArrayLike) -> float:
        """Akaike information criterion; lower is better: ``-2 log L + 2 n_parameters``."""
        return self._criteria(X)[1]

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` rows from the fitted mixture; returns ``(X, y)``."""
        self._check_fitted()
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples!r}. The sampling "
                             "requires at least one sample.")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        ct = self.covariance_type
        if ct == "full":
            X = np.vstack([rng.multivariate_normal(m, c, int(n))
                           for m, c, n in zip(self.means_, self.covariances_, counts, strict=True)])
        elif ct == "tied":
            X = np.vstack([rng.multivariate_normal(m, self.covariances_, int(n))
                           for m, n in zip(self.means_, counts, strict=True)])
        else:
            X = np.vstack([m + rng.standard_normal(size=(n, self.means_.shape[1]))
                           * np.sqrt(c) for m, c, n in zip(self.means_, self.covariances_,
                                                           counts, strict=True)])
        y = np.concatenate([np.full(n, j, dtype=int) for j, n in enumerate(counts)])
        return X, y
