"""Input checks shared by every path into the engine (arrays in memory and Dask chunks).

:class:`~gmm_core.mixture.GaussianMixture` validates in one place, here: the
public methods call these checks, the kernels behind them trust their input.
A Dask chunk is checked with the same function as an in-memory array, so the
messages are the same word for word; ``first_row`` numbers a chunk's rows as
rows of the whole array.
"""

import numbers

import numpy as np

from gmm_core.errors import MAX_MAGNITUDE

__all__ = ["check_random_state", "as_float_matrix", "feature_names", "check_sample_weight",
           "check_shape", "check_weight_values", "check_weight_total", "check_weight_shape",
           "check_init_arrays", "is_dask_collection", "COMPLEX_MESSAGE"]

COMPLEX_MESSAGE = "Complex data not supported."


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



def as_float_matrix(X, name="X", *, first_row=0):
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
        raise ValueError(COMPLEX_MESSAGE)
    X = np.asarray(X, dtype=np.float64)
    check_shape(X.shape)
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
    if biggest > MAX_MAGNITUDE:
        raise ValueError(
            f"Input {name} holds values as large as {biggest:.3g}: their squares overflow "
            "double precision. Rescale the features (e.g. standardise them) before fitting.")
    return X


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
    """Refuse weights that sum to zero."""
    if not total > 0:
        raise ValueError("sample_weight sums to zero: give at least one row a positive "
                         "weight.")


def check_weight_shape(shape, n_samples):
    if shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {shape}, expected ({n_samples},).")


def _all_finite(X, block_rows=65536):
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
    check_weight_total(np.sum(sw))
    return sw


def check_init_arrays(weights_init, means_init, precisions_init, covariance_type,
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


def is_dask_collection(X):
    """True for a dask array or DataFrame; dask itself is not imported.

    >>> is_dask_collection(np.zeros((2, 2)))
    False
    """
    return type(X).__module__.startswith("dask.") and hasattr(type(X), "__dask_graph__")

