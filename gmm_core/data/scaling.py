"""Scaling before a fit: an invertible affine map per column.

EM with full covariances is unaffected by scale in exact
arithmetic, but ``reg_covar`` (added to every covariance diagonal), the
K-means initialisation and the condition numbers are not: a column in
millimetres next to one in kilometres is trouble.  :class:`Scaler` applies
the affine map ``x' = (x - offset_) / scale_`` per column and maps a model
fitted in scaled units back to the user's units::

    mu    = offset_ + scale_ * mu'
    Sigma = diag(scale_) Sigma' diag(scale_)

Constant columns get ``scale_ = 1``, so nothing is divided by zero.  Missing
values (NaN) are left out of the statistics and stay NaN, so rows with gaps
can be fitted with ``GaussianMixture(nan_policy="marginalize")``.

Examples
--------
>>> X = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]])
>>> sc = Scaler("standard").fit(X)
>>> np.allclose(sc.inverse_transform(sc.transform(X)), X)
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.mixture._typing import Scaling

__all__ = ["Scaler", "SCALINGS", "as_2d"]

SCALINGS = ("standard", "minmax", "none")


def as_2d(X: ArrayLike, name: str = "X", *, allow_nan: bool = False) -> np.ndarray:
    """``X`` as a float (n_samples, n_features) array; refuses infinities, and NaN unless allowed.

    >>> as_2d([[1.0, float("nan")], [2.0, 3.0]], allow_nan=True).shape
    (2, 2)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}."
        )
    bad = np.isinf(X) if allow_nan else ~np.isfinite(X)
    if bad.any():
        what = "infinite" if allow_nan else "NaN or infinite"
        raise ValueError(f"{name} contains {what} values; clean the data first.")
    if allow_nan and np.isnan(X).all(axis=0).any():
        j = int(np.flatnonzero(np.isnan(X).all(axis=0))[0])
        raise ValueError(f"{name} has no value at all in column {j + 1}; leave that column out.")
    return X


class Scaler:
    """Per-column affine scaling ``x' = (x - offset_) / scale_``, invertible.

    Parameters
    ----------
    method : {"standard", "minmax", "none"}, default="standard"
        ``"standard"``: offset = mean, scale = standard deviation;
        ``"minmax"``: offset = min, scale = max - min (values land in [0, 1]);
        ``"none"``: offset = 0, scale = 1.

    Attributes
    ----------
    offset_, scale_ : numpy.ndarray of shape (n_features,)
        Set by :meth:`fit`.  A constant column has ``scale_ == 1``.

    Examples
    --------
    >>> sc = Scaler("minmax").fit([[0.0, 5.0], [10.0, 5.0]])
    >>> sc.transform([[5.0, 5.0]]).tolist()
    [[0.5, 0.0]]
    >>> sc.inverse_means([[0.5, 0.0]]).tolist()
    [[5.0, 5.0]]
    """

    def __init__(self, method: Scaling = "standard") -> None:
        self.method = method

    def fit(self, X: ArrayLike) -> Scaler:
        """Learn ``offset_`` and ``scale_`` from ``X`` (n_samples, n_features).

        Missing values (NaN) are left out of each column's statistics, and
        :meth:`transform` keeps them NaN; every column needs one value.
        """
        self._check_method()
        X = as_2d(X, allow_nan=True)
        stats = (dict(mean=np.nanmean(X, axis=0), std=np.nanstd(X, axis=0))
                 if self.method == "standard"
                 else dict(minimum=np.nanmin(X, axis=0), maximum=np.nanmax(X, axis=0)))
        self._set_from_statistics(X.shape[1], **stats)
        return self

    @classmethod
    def from_statistics(cls, method: Scaling, *, mean: ArrayLike | None = None,
                        std: ArrayLike | None = None, minimum: ArrayLike | None = None,
                        maximum: ArrayLike | None = None, n_features: int | None = None) -> Scaler:
        """A fitted Scaler from column statistics computed elsewhere (e.g. out of core).

        ``"standard"`` needs ``mean`` and ``std``, ``"minmax"`` needs ``minimum``
        and ``maximum``, ``"none"`` only ``n_features``; the rule that turns them
        into ``offset_`` and ``scale_`` is :meth:`fit`'s.

        >>> Scaler.from_statistics("minmax", minimum=[0.0, 5.0], maximum=[10.0, 5.0]).scale_
        array([10.,  1.])
        """
        scaler = cls(method)
        scaler._check_method()
        first = {"standard": mean, "minmax": minimum}.get(method)
        n = np.size(first) if first is not None else int(n_features)
        scaler._set_from_statistics(n, mean=mean, std=std, minimum=minimum, maximum=maximum)
        return scaler

    @classmethod
    def from_parameters(cls, method: Scaling, offset: ArrayLike, scale: ArrayLike) -> Scaler:
        """A fitted Scaler with the given ``offset_`` and ``scale_`` (e.g. read from a model file).

        >>> Scaler.from_parameters("standard", [10.0, 0.0], [2.0, 1.0]).transform([[12.0, 3.0]])
        array([[1., 3.]])
        """
        scaler = cls(method)
        scaler.offset_ = np.array(offset, dtype=float)
        scaler.scale_ = np.array(scale, dtype=float)
        return scaler

    def _check_method(self):
        if self.method not in SCALINGS:
            raise ValueError(f"method must be one of {SCALINGS}, got {self.method!r}.")

    def _set_from_statistics(self, n_features, *, mean=None, std=None, minimum=None,
                             maximum=None):
        """The one rule: which statistic is the offset and which the scale, per method."""
        if self.method == "standard":
            offset, scale = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        elif self.method == "minmax":
            offset = np.asarray(minimum, dtype=float)
            scale = np.asarray(maximum, dtype=float) - offset
        else:
            offset, scale = np.zeros(n_features), np.ones(n_features)
        tiny = scale <= 1e-12 * np.maximum(1.0, np.abs(offset))
        self.offset_, self.scale_ = offset, np.where(tiny, 1.0, scale)

    def _check(self, D):
        if not hasattr(self, "scale_"):
            raise ValueError("This Scaler is not fitted yet; call fit(X) first.")
        if D != self.scale_.size:
            raise ValueError(f"expected {self.scale_.size} features, got {D}.")

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Scale ``X``: ``(X - offset_) / scale_`` (NaN stays NaN)."""
        X = np.asarray(X, dtype=float)
        self._check(X.shape[-1])
        return (X - self.offset_) / self.scale_

    def fit_transform(self, X: ArrayLike) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Back to original units: ``offset_ + scale_ * X``."""
        X = np.asarray(X, dtype=float)
        self._check(X.shape[-1])
        return self.offset_ + self.scale_ * X

    def inverse_means(self, means: ArrayLike) -> np.ndarray:
        """Component means (n_components, n_features) in original units."""
        return self.inverse_transform(means)

    def inverse_covariances(self, covariances: ArrayLike) -> np.ndarray:
        """Full covariances (n_components, D, D) or one (D, D) in original units.

        ``Sigma = diag(scale_) Sigma' diag(scale_)``; no offset, since
        covariances do not move with a shift.

        Examples
        --------
        >>> sc = Scaler("none").fit([[0.0, 0.0], [1.0, 1.0]])
        >>> sc.scale_ = np.array([2.0, 3.0])
        >>> sc.inverse_covariances(np.eye(2)).tolist()
        [[4.0, 0.0], [0.0, 9.0]]
        """
        covariances = np.asarray(covariances, dtype=float)
        if covariances.ndim not in (2, 3) or covariances.shape[-1] != covariances.shape[-2]:
            raise ValueError(
                "covariances must have shape (n_components, D, D) or (D, D), "
                f"got {covariances.shape}."
            )
        self._check(covariances.shape[-1])
        s = self.scale_
        return covariances * s[:, None] * s[None, :]

    def __repr__(self):
        return f"Scaler(method={self.method!r})"
