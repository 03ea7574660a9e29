"""Input checks shared by every path into the engine (arrays in memory and Dask chunks).

:class:`~gmm_core.mixture.GaussianMixture` validates in one place, here: the
public methods call these checks, the kernels behind them trust their input.
A Dask chunk is checked with the same function as an in-memory array, so the
messages are the same word for word; ``first_row`` numbers a chunk's rows as
rows of the whole array.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from gmm_core.errors import MAX_MAGNITUDE
from gmm_core.mixture._typing import RandomState

__all__ = ["check_random_state", "as_float_matrix", "feature_names", "check_sample_weight",
           "check_shape", "check_weight_values", "check_weight_total", "check_weight_shape",
           "check_init_arrays", "input_dtype", "is_dask_collection", "COMPLEX_MESSAGE"]

COMPLEX_MESSAGE = "Complex data not supported."


def check_random_state(seed: RandomState) -> np.random.RandomState | np.random.Generator:
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



def as_float_matrix(X, name="X", *, first_row=0, allow_nan=False):
    """X as a float64 (N, D) array, refusing sparse, complex and non-finite input.

    ``first_row`` numbers the rows of a block taken from a larger array (a
    dask chunk) so that an error names the row of the whole array.  With
    ``allow_nan`` (``nan_policy="marginalize"``) NaN marks a missing cell and
    only infinity is refused.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"Sparse input is not supported for {name}: densify it with "
                        f"{name}.toarray() first.")
    columns = None
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a pandas DataFrame
        columns = [str(c) for c in X.columns]
        X = _frame_values(X, name)
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X)
    if X.dtype.kind in "mMOUS" and X.size:
        X = _object_values(X, name)
    if np.iscomplexobj(X):
        raise ValueError(COMPLEX_MESSAGE)
    X = np.asarray(X, dtype=np.float64)
    check_shape(X.shape)
    # One sum is finite exactly when every value is (bar overflow of huge values, which
    # the exact check below then clears) and, unlike isfinite(X), allocates nothing.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(X)
    if not np.isfinite(total) and not _all_finite(X, allow_nan):
        rows, cols = np.nonzero(np.isinf(X) if allow_nan else ~np.isfinite(X))
        column = repr(columns[cols[0]]) if columns else cols[0]
        raise ValueError(
            f"Input {name} contains {'infinity' if allow_nan else 'NaN or infinity'} (first at "
            f"row {first_row + rows[0]}, column {column}; {rows.size} value(s) in all). "
            + ("Replace infinite values (NaN marks a missing value) before fitting."
               if allow_nan else "Remove or impute those values before fitting, or pass "
               "nan_policy='marginalize' to fit rows with missing values (NaN) as they are.")
        )
    if allow_nan and np.isnan(total):
        with warnings.catch_warnings():  # a matrix of NaN only: refused by row later
            warnings.simplefilter("ignore", RuntimeWarning)
            biggest = max(float(np.nanmax(X)), -float(np.nanmin(X)))
    else:
        biggest = max(float(X.max()), -float(X.min()))  # no |X| temporary
    if biggest > MAX_MAGNITUDE:
        raise ValueError(
            f"Input {name} holds values as large as {biggest:.3g}: their squares overflow "
            "double precision. Rescale the features (e.g. standardise them) before fitting.")
    return X


def input_dtype(X):
    """float32 for float32 data (an array, or a frame whose columns all are), else float64.

    The dtype scikit-learn keeps for the fitted arrays and the outputs; the
    engine computes in float64 either way.

    >>> input_dtype(np.zeros((2, 2), dtype=np.float32)), input_dtype([[1, 2]])
    (<class 'numpy.float32'>, <class 'numpy.float64'>)
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(X, "columns"):
        kept = len(dtypes) > 0 and all(t == np.float32 for t in dtypes)
    else:
        kept = getattr(X, "dtype", None) == np.float32
    return np.float32 if kept else np.float64


def _frame_values(frame, name):
    """A DataFrame's values as floats; a column that is not numbers is named and refused.

    Nullable integer, float and boolean columns (``Int64``, ``Float64``,
    ``boolean``) become floats with NaN where they hold ``pd.NA`` (then refused
    below as missing values); datetimes, text, categories and objects are
    refused with the column's name, since EM needs numbers.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [(c, t) for c, t in frame.dtypes.items()
           if not (is_numeric_dtype(t) or is_bool_dtype(t)) or str(t).startswith("datetime")]
    if bad:
        column, dtype = bad[0]
        kind = ("dates or times" if str(dtype).startswith(("datetime", "timedelta", "period"))
                else "categories" if str(dtype) == "category" else "text or mixed values")
        raise TypeError(
            f"Column {str(column)!r} of {name} holds {kind} (dtype {dtype}), not numbers; a "
            f"Gaussian mixture needs numeric features. Select numeric columns only (e.g. "
            f"{name}.select_dtypes('number')), or convert it first"
            + (" (e.g. to days since a date)." if kind == "dates or times" else
               " (e.g. one-hot encode a category)." if kind == "categories" else ".")
            + (f" {len(bad) - 1} more column(s) are not numeric either." if len(bad) > 1 else ""))
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _object_values(X, name):
    """An array of objects, strings or datetimes as floats, or a clear TypeError."""
    if X.dtype.kind in "mM":
        raise TypeError(f"{name} holds dates or times (dtype {X.dtype}), not numbers; a Gaussian "
                        "mixture needs numeric features. Convert them first (e.g. to days since "
                        "a date).")
    try:
        with np.errstate(all="ignore"):
            return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    flat = X.ravel()
    for i, v in enumerate(flat):
        try:
            float(v)
        except (TypeError, ValueError) as exc:
            if v is None or type(v).__name__ in ("NAType", "NaTType"):
                continue  # missing: reported with the other missing values below
            row, col = np.unravel_index(i, X.shape) if X.ndim > 1 else (i, 0)
            raise TypeError(f"{name} holds a value that is not a number ({str(v)[:40]!r} of "
                            f"type {type(v).__name__}, at row {row}, column {col}: {exc}); a "
                            "Gaussian mixture needs numeric features. Remove or convert such "
                            "columns first.") from None
    return np.array([np.nan if v is None or type(v).__name__ in ("NAType", "NaTType")
                     else float(v) for v in flat], dtype=np.float64).reshape(X.shape)


def check_shape(shape):
    """Refuse anything but a 2-D shape with at least one row and one column."""
    if len(shape) != 2:
        raise ValueError(
            f"Expected 2D array, got {len(shape)}D array instead. Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    if shape[1] == 0:
        raise ValueError(f"0 feature(s) (shape={shape}) while a minimum of 1 is required.")
    if shape[0] == 0:
        raise ValueError(f"0 sample(s) (shape={shape}) while a minimum of 1 is required.")


def check_weight_values(sw):
    """Refuse negative or non-finite sample weights (of a whole array or of one chunk)."""
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError("sample_weight must be finite and non-negative.")


def check_weight_total(total):
    """Refuse weights that sum to zero, or to more than double precision holds."""
    if not total > 0:
        raise ValueError("sample_weight sums to zero: give at least one row a positive "
                         "weight.")
    if not np.isfinite(total) or total > 1e300:
        raise ValueError(f"sample_weight sums to {total:.3g}, too large to compute with: "
                         "rescale the weights (only their ratios matter), e.g. divide them "
                         "by their mean.")


def check_weight_shape(shape, n_samples):
    if shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {shape}, expected ({n_samples},).")


def _all_finite(X, allow_nan=False, block_rows=65536):
    """No infinity (and, unless ``allow_nan``, no NaN) in ``X``, a block of rows at a time."""
    if allow_nan:
        return not any(np.isinf(X[i:i + block_rows]).any() for i in range(0, len(X), block_rows))
    return all(np.isfinite(X[i:i + block_rows]).all() for i in range(0, len(X), block_rows))


def feature_names(X):
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    names = list(cols)
    if names and all(isinstance(c, str) for c in names):
        return np.asarray(names, dtype=object)
    return None


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    check_weight_shape(sw.shape, n_samples)
    check_weight_values(sw)
    with np.errstate(over="ignore"):
        check_weight_total(np.sum(sw))
    return sw


def check_init_arrays(weights_init, means_init, precisions_init, covariance_type,
                       n_components, n_features):
    out = []
    if weights_init is not None:
        # scikit-learn keeps float32 weights and allows them 1e-6 off a sum of one
        single = np.asarray(weights_init).dtype == np.float32
        w = np.asarray(weights_init, dtype=float)
        if w.shape != (n_components,):
            raise ValueError(f"The parameter 'weights' should have the shape of "
                             f"({n_components},), but got {w.shape}: weights_init should have "
                             f"shape ({n_components},), one weight per component.")
        _check_finite(w, "weights_init")
        if np.any(w < 0) or np.any(w > 1):
            raise ValueError("The parameter 'weights' should be in the range [0, 1], but "
                             f"got max value {w.max():.5f}, min value {w.min():.5f}: "
                             "weights_init holds the probability of each component.")
        total = np.sum(np.asarray(weights_init, dtype=np.float32)) if single else w.sum()
        if not np.isclose(float(total), 1.0, rtol=0, atol=1e-6 if single else 1e-8):
            raise ValueError("The parameter 'weights' should be normalized, but got "
                             f"sum(weights) = {total:.5f}: divide weights_init by its sum.")
        w = w.copy()
    else:
        w = None
    out.append(w)
    if means_init is not None:
        m = np.asarray(means_init, dtype=float)
        if m.shape != (n_components, n_features):
            raise ValueError(f"The parameter 'means' should have the shape of ({n_components}, "
                             f"{n_features}), but got {m.shape}: means_init should have shape "
                             f"({n_components}, {n_features}), one mean per component "
                             "(n_components, n_features).")
        _check_finite(m, "means_init")
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
            raise ValueError(f"The parameter '{covariance_type} precision' should have the "
                             f"shape of {shape}, but got {p.shape}: precisions_init for "
                             f"covariance_type='{covariance_type}' should have shape {shape}.")
        _check_finite(p, "precisions_init")
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


def _check_finite(a, name):
    """Refuse NaN, infinite or overflowing values in a ``*_init`` array, naming the parameter."""
    bad = ~np.isfinite(a) | (np.abs(np.nan_to_num(a)) > MAX_MAGNITUDE)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must hold finite numbers below {MAX_MAGNITUDE:.0e} in size; "
                         f"got {float(a[where])!r} at index {where}. Pass finite starting "
                         "values, or leave it None to let init_params choose them.")


def is_dask_collection(X: object) -> bool:
    """True for a dask array or DataFrame; dask itself is not imported.

    >>> is_dask_collection(np.zeros((2, 2)))
    False
    """
    return type(X).__module__.startswith("dask.") and hasattr(type(X), "__dask_graph__")

