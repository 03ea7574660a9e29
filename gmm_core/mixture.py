"""``GaussianMixture``: a scikit-learn-compatible estimator over :mod:`gmm_core.em`.

The constructor, fitted attributes and methods are scikit-learn's, with the
same meaning, so code written for scikit-learn's ``GaussianMixture`` runs
unchanged.  From the same initial parameters and number of iterations the two
agree to rounding (the tests hold them to 1e-8 relative).  Beyond
scikit-learn:

* ``fit(X, sample_weight=...)`` -- weighted EM: integer weights give the same
  fit as repeating rows;
* ``params_`` -- the fitted mixture as an immutable :class:`~gmm_core.em.GMMParams`,
  and ``full_covariances_`` -- (K, D, D) whatever the covariance type;
* errors that name the collapsed component and say what to do.

The EM loop is the one of scikit-learn's ``BaseMixture.fit_predict``: each
iteration is one pass over the rows (:func:`~gmm_core.fast.summarize`, the
E-step reduced to sufficient statistics) followed by the M-step
(:func:`~gmm_core.em.params_from_stats`); the lower bound of iteration ``n``
is the mean log-likelihood of the parameters *before* its M-step; ``tol``
applies to its change; the best of ``n_init`` runs is kept and a final
E-step makes ``fit_predict(X) == fit(X).predict(X)``.
"""

import inspect
import numbers
import time
import warnings

import numpy as np

from gmm_core import em, fast
from gmm_core.errors import ConvergenceWarning
from gmm_core.kmeans import kmeans, kmeans_plusplus

__all__ = ["GaussianMixture", "NotFittedError", "initial_params", "check_random_state"]

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data")
MAX_ABS_VALUE = 1e150  # squares of larger values overflow float64
KMEANS_INIT_ITER = 10  # Lloyd passes for init_params="kmeans": a start, not a clustering


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


def check_random_state(seed):
    """A ``RandomState`` from None, an int, or an existing generator (as scikit-learn)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.RandomState(seed)
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState; got {seed!r}."
    )


# ------------------------------------------------------------------ validation
def _as_float_matrix(X, name="X", *, first_row=0):
    """X as a float64 (N, D) array, refusing sparse, complex and non-finite input.

    ``first_row`` numbers the rows of a block taken from a larger array (a
    dask chunk) so that an error names the row of the whole array.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"Sparse input is not supported for {name}: densify it with "
                        f"{name}.toarray() first.")
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError("Complex data not supported.")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead. Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    if X.shape[1] == 0:
        raise ValueError(f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    if X.shape[0] == 0:
        raise ValueError(f"0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
    # One sum is finite exactly when every value is (bar overflow of huge values, which
    # the exact check below then clears) and, unlike isfinite(X), allocates nothing.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(X)
    if not np.isfinite(total) and not _all_finite(X):
        rows, cols = np.nonzero(~np.isfinite(X))
        raise ValueError(
            f"Input {name} contains NaN or infinity (first at row {first_row + rows[0]}, column "
            f"{cols[0]}; {rows.size} value(s) in all). Remove or impute those values "
            "before fitting."
        )
    biggest = max(float(X.max()), -float(X.min()))  # no |X| temporary
    if biggest > MAX_ABS_VALUE:
        raise ValueError(
            f"Input {name} holds values as large as {biggest:.3g}: their squares overflow "
            "double precision. Rescale the features (e.g. standardise them) before fitting.")
    return X


def _all_finite(X, block_rows=65536):
    return all(np.isfinite(X[i:i + block_rows]).all() for i in range(0, len(X), block_rows))


def _feature_names(X):
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    names = list(cols)
    if names and all(isinstance(c, str) for c in names):
        return np.asarray(names, dtype=object)
    return None


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({n_samples},).")
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    if np.sum(sw) <= 0:
        raise ValueError("sample_weight sums to zero: give at least one row a positive "
                         "weight.")
    return sw


def _check_init_arrays(weights_init, means_init, precisions_init, covariance_type,
                       n_components, n_features):
    out = []
    if weights_init is not None:
        w = np.asarray(weights_init, dtype=float)
        if w.shape != (n_components,):
            raise ValueError(f"weights_init should have shape ({n_components},), "
                             f"but got {w.shape}.")
        if np.any(w < 0) or np.any(w > 1):
            raise ValueError("The parameter 'weights' should be in the range [0, 1], but "
                             f"got max value {w.max():.5f}, min value {w.min():.5f}")
        if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-8):
            raise ValueError("The parameter 'weights' should be normalized, but got "
                             f"sum(weights) = {w.sum():.5f}")
        w = w.copy()
    else:
        w = None
    out.append(w)
    if means_init is not None:
        m = np.asarray(means_init, dtype=float)
        if m.shape != (n_components, n_features):
            raise ValueError(f"means_init should have shape ({n_components}, "
                             f"{n_features}), but got {m.shape}.")
        m = m.copy()
    else:
        m = None
    out.append(m)
    if precisions_init is not None:
        p = np.asarray(precisions_init, dtype=float)
        shape = {"full": (n_components, n_features, n_features),
                 "tied": (n_features, n_features), "diag": (n_components, n_features),
                 "spherical": (n_components,)}[covariance_type]
        if p.shape != shape:
            raise ValueError(f"precisions_init for covariance_type='{covariance_type}' "
                             f"should have shape {shape}, but got {p.shape}.")
        if covariance_type in ("full", "tied"):
            mats = p[None] if covariance_type == "tied" else p
            if not (np.allclose(mats, np.swapaxes(mats, 1, 2))
                    and np.all(np.linalg.eigvalsh(mats) > 0)):
                raise ValueError(f"'{covariance_type} precision' should be symmetric, "
                                 "positive-definite")
        elif np.any(p <= 0):
            raise ValueError(f"'{covariance_type} precision' should be positive")
        p = p.copy()
    else:
        p = None
    out.append(p)
    return out


def _params_from_precisions(weights, means, precisions, covariance_type):
    if covariance_type in ("full", "tied"):
        mats = precisions[None] if covariance_type == "tied" else precisions
        chol = np.linalg.cholesky(mats)
        covs = np.linalg.inv(mats)
        if covariance_type == "tied":
            chol, covs = chol[0], covs[0]
    else:
        chol, covs = np.sqrt(precisions), 1.0 / precisions
    return em.GMMParams(weights, means, covs, chol, covariance_type)


def initial_params(X, n_components, *, covariance_type="full", init_params="kmeans",
                   random_state=None, reg_covar=1e-6, sample_weight=None,
                   weights_init=None, means_init=None, precisions_init=None):
    """Starting parameters for EM, exactly as scikit-learn builds them.

    Initial responsibilities come from ``init_params``: ``"kmeans"`` (hard labels
    of a k-means clustering), ``"k-means++"`` (one row per component chosen by
    k-means++ seeding), ``"random"`` (uniform random soft responsibilities) or
    ``"random_from_data"`` (one random row per component); one M-step turns them
    into parameters, and any of ``weights_init``, ``means_init`` or
    ``precisions_init`` given replaces its part.  When all three are given, no
    responsibilities are computed and ``random_state`` is not used.

    ``X`` and the ``*_init`` arrays are trusted to be validated (see
    :class:`GaussianMixture`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
    >>> p = initial_params(X, 2, covariance_type="spherical", random_state=0)
    >>> sorted(np.round(p.means[:, 1], 2))
    [np.float64(0.5), np.float64(9.5)]
    """
    rng = check_random_state(random_state)
    n_samples = X.shape[0]
    total = n_samples if sample_weight is None else float(np.sum(sample_weight))
    if weights_init is not None and means_init is not None and precisions_init is not None:
        return _params_from_precisions(weights_init, means_init, precisions_init,
                                       covariance_type)
    resp = labels = None
    if init_params == "kmeans":
        _, labels = kmeans(X, n_components, random_state=rng, sample_weight=sample_weight,
                           max_iter=KMEANS_INIT_ITER)
    elif init_params == "k-means++":
        labels = np.full(n_samples, -1)  # rows that are no seed take no part
        labels[kmeans_plusplus(X, n_components, random_state=rng,
                               sample_weight=sample_weight)] = np.arange(n_components)
    elif init_params == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        resp /= resp.sum(axis=1)[:, None]
    elif init_params == "random_from_data":
        labels = np.full(n_samples, -1)
        labels[rng.choice(n_samples, size=n_components, replace=False)] = np.arange(
            n_components)
    else:
        raise ValueError(f"init_params must be one of {INIT_METHODS}; got {init_params!r}.")
    if labels is not None and np.any(labels < 0):  # seeds only: a tiny subset of rows
        rows = np.flatnonzero(labels >= 0)
        X, labels = X[rows], labels[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
    params = fast.m_step(X, covariance_type, reg_covar, sample_weight, resp=resp,
                         labels=labels, n_components=n_components)
    # scikit-learn's initial weights are nk / n_samples, not renormalised
    if resp is not None:
        wr = resp if sample_weight is None else resp * sample_weight[:, None]
        nk = wr.sum(axis=0)
    else:
        nk = np.bincount(labels, weights=sample_weight, minlength=n_components)
    weights = (nk + 10 * np.finfo(float).eps) / total
    weights = weights if weights_init is None else weights_init
    means = params.means if means_init is None else means_init
    if precisions_init is None:
        return em.GMMParams(weights, means, params.covariances, params.precisions_cholesky,
                            covariance_type)
    return _params_from_precisions(weights, means, precisions_init, covariance_type)


def _is_dask(X):
    """A dask array or DataFrame (tested without importing dask): handled by gmm_core.scale."""
    return type(X).__module__.startswith("dask.") and hasattr(type(X), "__dask_graph__")


# ------------------------------------------------------------------ estimator
class GaussianMixture:
    """Gaussian mixture model fitted by Expectation-Maximization.

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
    max_time : float or None, default=None
        Wall-clock budget of one ``fit`` in seconds (not in scikit-learn).  EM
        stops after the iteration that crosses it, keeps the best run so far
        and warns with :class:`~gmm_core.ConvergenceWarning`; ``timed_out_``
        says so.  ``None``: no limit.

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
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None,
                 warm_start=False, max_time=None):
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
        self.max_time = max_time

    # -------------------------------------------------------------- params API
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        """Constructor parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor parameters; unknown names raise ``ValueError``."""
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self!r}. "
                                 f"Valid parameters are: {valid!r}.")
            setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {n: p.default for n, p in
                    inspect.signature(type(self).__init__).parameters.items() if n != "self"}
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), defaults[name]
            same = value is default or (
                not isinstance(value, np.ndarray) and not isinstance(default, np.ndarray)
                and type(value) is type(default) and value == default)
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import Tags, TargetTags
        return Tags(estimator_type="density_estimator",
                    target_tags=TargetTags(required=False),
                    transformer_tags=None, regressor_tags=None, classifier_tags=None)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "precisions_cholesky_")

    # -------------------------------------------------------------- validation
    def _check_parameters(self):
        def is_int(v):
            return isinstance(v, numbers.Integral) and not isinstance(v, bool)

        if not is_int(self.n_components) or self.n_components < 1:
            raise ValueError(f"n_components must be an integer >= 1; got "
                             f"{self.n_components!r}.")
        if self.covariance_type not in em.COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {em.COVARIANCE_TYPES}; got "
                             f"{self.covariance_type!r}.")
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a number >= 0; got {self.tol!r}.")
        if not isinstance(self.reg_covar, numbers.Real) or not self.reg_covar >= 0:
            raise ValueError(f"reg_covar must be a number >= 0; got {self.reg_covar!r}.")
        if not is_int(self.max_iter) or self.max_iter < 0:
            raise ValueError(f"max_iter must be an integer >= 0; got {self.max_iter!r}.")
        if not is_int(self.n_init) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1; got {self.n_init!r}.")
        if self.init_params not in INIT_METHODS:
            raise ValueError(f"init_params must be one of {INIT_METHODS}; got "
                             f"{self.init_params!r}.")
        if self.max_time is not None and (not isinstance(self.max_time, numbers.Real)
                                          or isinstance(self.max_time, bool)
                                          or not self.max_time > 0):
            raise ValueError(f"max_time must be None or a number of seconds > 0; got "
                             f"{self.max_time!r}.")

    def _validate_X(self, X, *, reset):
        names = _feature_names(X)
        Xa = _as_float_matrix(X)
        self._check_features(names, Xa.shape[1], reset=reset)
        return Xa

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
                          "was fitted with feature names", UserWarning)
        elif fitted_names is None and names is not None:
            warnings.warn(f"X has feature names, but {type(self).__name__} was fitted "
                          "without feature names", UserWarning)
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
    def fit(self, X, y=None, sample_weight=None):
        """Fit the mixture by EM (``n_init`` runs, best kept). Returns ``self``."""
        self.fit_predict(X, y, sample_weight=sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the most probable component of each row of ``X``.

        A dask array or DataFrame is fitted chunk by chunk on its cluster
        (:mod:`gmm_core.scale`) and the labels returned are a lazy dask array.
        """
        if _is_dask(X):
            from gmm_core import scale
            return scale.fit_predict(self, X, sample_weight)
        self._check_parameters()
        X = self._validate_X(X, reset=True)
        n_samples, n_features = X.shape
        self._check_n_samples(n_samples)
        sw = _check_sample_weight(sample_weight, n_samples)
        inits = self._check_init_arrays(n_features)
        best = self._em(lambda rng: self._initial_params(X, rng, sw, inits),
                        lambda params: fast.summarize(X, params, sw),
                        check_random_state(self.random_state))
        return fast.predict_blocks(X, best)

    def _check_n_samples(self, n_samples):
        if n_samples < 2:
            raise ValueError(f"n_samples={n_samples}: a Gaussian mixture needs at least 2 "
                             "rows to fit; got 1 sample.")
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {n_samples}. Use fewer components or "
                "more rows.")

    def _check_init_arrays(self, n_features):
        return _check_init_arrays(self.weights_init, self.means_init, self.precisions_init,
                                  self.covariance_type, self.n_components, n_features)

    def _initial_params(self, X, rng, sample_weight, inits):
        return initial_params(X, self.n_components, covariance_type=self.covariance_type,
                              init_params=self.init_params, random_state=rng,
                              reg_covar=self.reg_covar, sample_weight=sample_weight,
                              weights_init=inits[0], means_init=inits[1],
                              precisions_init=inits[2])

    def _em(self, init, summarize, rng, on_iteration=None):
        """The EM loop, whatever holds the rows; sets the fitted attributes, returns the best.

        ``init(rng)`` gives a start's parameters; ``summarize(params)`` is one
        E-step pass over all the rows reduced to :class:`~gmm_core.em.SufficientStats`
        (in memory: :func:`gmm_core.fast.summarize`; on a cluster:
        :func:`gmm_core.scale.summarize`); ``on_iteration(run, n_iter,
        lower_bound)``, if given, hears of every iteration.
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
            params = init(rng) if do_init else self.params_
            if self.max_iter == 0:
                best, best_n_iter = params, 0
                continue
            lower_bound = -np.inf if do_init else self.lower_bound_
            bounds, converged = [], False
            for n_iter in range(1, self.max_iter + 1):
                prev = lower_bound
                stats = summarize(params)
                params = em.params_from_stats(stats, self.reg_covar)
                lower_bound = stats.log_likelihood
                bounds.append(lower_bound)
                if on_iteration is not None:
                    on_iteration(run, n_iter, lower_bound)
                if abs(lower_bound - prev) < self.tol:
                    converged = True
                    break
                if deadline is not None and time.monotonic() > deadline:
                    self.timed_out_ = True
                    break
            if lower_bound > best_lb or best_lb == -np.inf:
                best, best_lb, best_bounds, best_n_iter = params, lower_bound, bounds, n_iter
                self.converged_ = converged
        if self.timed_out_:
            warnings.warn(
                f"EM stopped at the time limit of {self.max_time:g} s after {n_iter} "
                f"iteration(s) of the current start, before it converged; the best result so "
                "far is kept. Use fewer rows, features, components or restarts, or allow "
                "more time.", ConvergenceWarning)
        elif not self.converged_ and self.max_iter > 0:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (tol="
                f"{self.tol}). Increase max_iter, loosen tol, try another init_params or "
                "random_state, or check the data for duplicates and outliers.",
                ConvergenceWarning)
        self._set_params(best)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = best_lb
        self.lower_bounds_ = best_bounds
        return best

    def _set_params(self, params):
        self.weights_ = np.array(params.weights)
        self.means_ = np.array(params.means)
        self.covariances_ = np.array(params.covariances)
        self.precisions_cholesky_ = np.array(params.precisions_cholesky)
        self.precisions_ = np.array(params.precisions)


    # -------------------------------------------------------------- fitted views
    @property
    def params_(self):
        """The fitted mixture as an immutable :class:`~gmm_core.em.GMMParams`."""
        self._check_fitted()
        return em.GMMParams(self.weights_, self.means_, self.covariances_,
                            self.precisions_cholesky_, self.covariance_type)

    @property
    def full_covariances_(self):
        """Covariances as (K, D, D) full matrices, whatever ``covariance_type``."""
        return self.params_.full_covariances

    # -------------------------------------------------------------- inference
    def score_samples(self, X):
        """Log of the mixture density at each row, ``log p(x)``, shape (N,).

        Lazy (a dask array) when ``X`` is a dask array or DataFrame; so are
        :meth:`predict` and :meth:`predict_proba`.
        """
        if _is_dask(X):
            from gmm_core import scale
            return scale.score_samples(self, X)
        self._check_fitted()
        return fast.log_prob_blocks(self._validate_X(X, reset=False), self.params_,
                                    what="log_prob_norm")

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X):
        """Responsibilities: the posterior probability of each component, (N, K)."""
        if _is_dask(X):
            from gmm_core import scale
            return scale.predict_proba(self, X)
        self._check_fitted()
        return np.exp(fast.log_prob_blocks(self._validate_X(X, reset=False), self.params_))

    def predict(self, X):
        """The most probable component of each row."""
        if _is_dask(X):
            from gmm_core import scale
            return scale.predict(self, X)
        self._check_fitted()
        return fast.predict_blocks(self._validate_X(X, reset=False), self.params_)

    def _n_parameters(self):
        return em.n_parameters(self.covariance_type, self.means_.shape[0],
                               self.means_.shape[1])

    def _criteria(self, X):
        log_prob = self.score_samples(X)
        return em.information_criteria(float(np.mean(log_prob)), log_prob.shape[0],
                                       self._n_parameters())

    def bic(self, X):
        """Bayesian information criterion; lower is better.

        ``-2 * log-likelihood + n_parameters * log(n_samples)`` (scikit-learn's
        sign; R's mclust reports the negative, where higher is better).
        """
        return self._criteria(X)[0]

    def aic(self, X):
        """Akaike information criterion; lower is better: ``-2 log L + 2 n_parameters``."""
        return self._criteria(X)[1]

    def sample(self, n_samples=1):
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
                           for m, c, n in zip(self.means_, self.covariances_, counts)])
        elif ct == "tied":
            X = np.vstack([rng.multivariate_normal(m, self.covariances_, int(n))
                           for m, n in zip(self.means_, counts)])
        else:
            X = np.vstack([m + rng.standard_normal(size=(n, self.means_.shape[1]))
                           * np.sqrt(c) for m, c, n in zip(self.means_, self.covariances_,
                                                           counts)])
        y = np.concatenate([np.full(n, j, dtype=int) for j, n in enumerate(counts)])
        return X, y
