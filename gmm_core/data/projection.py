"""2-D projections for drawing, and which rows to draw.

A mixture in D dimensions is drawn in 2: every point, mean and covariance
goes through the same linear map ``y = A (x - offset)`` with ``A`` of shape
``(2, D)``.  A Gaussian stays Gaussian under a linear map, with mean
``A (mu - offset)`` and covariance ``A Sigma A^T``, so the ellipses drawn are
exactly the projected components.  :func:`fit_projection` builds either the
first two principal components (``"pca"``) or a plain pick of two features
(``"axes"``, where ``A`` is a selection matrix); both return the same
:class:`Projection`, so the figures treat them alike.

**Drawing many points.**  :func:`display_subsample` picks a deterministic,
sorted subset of rows to *draw*; the model is always fitted on all rows.

Examples
--------
>>> X = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]])
>>> proj = fit_projection(X, method="axes", axes=(1, 0), feature_names=["a", "b"])
>>> proj.axis_labels, proj.project_points(X)[0].tolist()
(('b', 'a'), [10.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.data.scaling import as_2d

__all__ = ["Projection", "axes_projection", "display_subsample", "fit_projection",
           "pca_projection"]


@dataclass(frozen=True)
class Projection:
    """A linear map to 2-D, ``y = A (x - offset)``, for points, means and covariances.

    Attributes
    ----------
    A : numpy.ndarray of shape (2, n_features)
        Rows are the two plotting directions (principal axes or unit vectors).
    offset : numpy.ndarray of shape (n_features,)
        Subtracted before projecting (the data mean for PCA, zeros for axes).
    axis_labels : tuple of (str, str)
        E.g. ``("PC1 (72% of variance)", "PC2 (20% of variance)")``.
    kind : {"pca", "axes"}
    explained_variance_ratio : numpy.ndarray of shape (2,) or None
        Share of the total variance along each PCA axis; None for axes.
    """

    A: np.ndarray
    offset: np.ndarray
    axis_labels: tuple
    kind: str
    explained_variance_ratio: np.ndarray | None = None

    def project_points(self, X: ArrayLike) -> np.ndarray:
        """Points (n_samples, D) -> (n_samples, 2)."""
        X = np.asarray(X, dtype=float)
        return (X - self.offset) @ self.A.T

    def project_means(self, means: ArrayLike) -> np.ndarray:
        """Component means (n_components, D) -> (n_components, 2)."""
        return self.project_points(means)

    def project_covariances(self, covariances: ArrayLike) -> np.ndarray:
        """Full covariances (n_components, D, D) or (D, D) -> ``A Sigma A^T``, 2 x 2 each."""
        covariances = np.asarray(covariances, dtype=float)
        return np.einsum("ij,...jk,lk->...il", self.A, covariances, self.A)


def fit_projection(X: ArrayLike, *, method: Literal["pca", "axes"] = "pca",
                   axes: tuple[int, int] = (0, 1),
                   feature_names: Sequence[str] | None = None) -> Projection:
    """Build a 2-D :class:`Projection` of data ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), n_features >= 2
        The data, in the same units as the model to be drawn (project a
        model fitted on scaled data with a projection fitted on scaled data,
        or map the model back with :class:`Scaler` first).
    method : {"pca", "axes"}, default="pca"
        ``"pca"``: the two directions of largest variance (via SVD of the
        centred data; each axis's largest loading is made positive so the
        result is deterministic).  ``"axes"``: features ``axes[0]`` and
        ``axes[1]`` as they are.
    axes : (int, int), default=(0, 1)
        Feature indices for ``method="axes"``.
    feature_names : list of str, optional
        Used for the axis labels of ``"axes"``; default "x1", "x2", ...

    Returns
    -------
    Projection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)) * [5.0, 1.0, 0.1]
    >>> p = fit_projection(X)
    >>> p.axis_labels[0]
    'PC1 (96% of variance)'
    >>> np.abs(p.A[0]).argmax(), p.A.shape
    (np.int64(0), (2, 3))
    """
    X = as_2d(X)
    n, D = X.shape
    if D < 2:
        raise ValueError(f"a 2-D projection needs at least 2 features, got {D}.")
    if method == "axes":
        i, j = (int(a) for a in axes)
        if not (0 <= i < D and 0 <= j < D) or i == j:
            raise ValueError(
                f"axes must be two different feature indices in [0, {D}), got {axes!r}."
            )
        names = [f"x{k + 1}" for k in range(D)] if feature_names is None else list(feature_names)
        A = np.zeros((2, D))
        A[0, i] = A[1, j] = 1.0
        return Projection(A, np.zeros(D), (str(names[i]), str(names[j])), "axes")
    if method != "pca":
        raise ValueError(f"method must be 'pca' or 'axes', got {method!r}.")
    offset = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - offset, full_matrices=False)
    A = Vt[:2].copy()
    if A.shape[0] < 2:  # a single sample: any orthonormal pair will do
        A = np.eye(2, D)
    signs = np.sign(A[np.arange(2), np.abs(A).argmax(axis=1)])
    A *= np.where(signs == 0, 1.0, signs)[:, None]
    var = np.zeros(2)
    var[: min(2, s.size)] = s[:2] ** 2
    total = float((s**2).sum())
    ratio = var / total if total > 0 else np.zeros(2)
    labels = tuple(f"PC{k + 1} ({ratio[k]:.0%} of variance)" for k in range(2))
    return Projection(A, offset, labels, "pca", ratio)


def pca_projection(X: ArrayLike, feature_names: Sequence[str] | None = None) -> Projection:
    """The first two principal components of ``X``: ``fit_projection(X, method="pca")``.

    Examples
    --------
    >>> p = pca_projection([[0.0, 0.0, 1.0], [2.0, 2.0, 1.0], [4.0, 4.1, 1.0]], ["a", "b", "c"])
    >>> p.kind, p.axis_labels[0]
    ('pca', 'PC1 (100% of variance)')
    """
    return fit_projection(X, method="pca", feature_names=feature_names)


def axes_projection(feature_names: Sequence[str], x: int | str, y: int | str) -> Projection:
    """Plot feature ``x`` against feature ``y`` (names or indices) -- no data needed.

    ``A`` selects the two features and ``offset`` is zero, so points, means and
    covariances keep their original values; the interface is that of
    :func:`pca_projection`.

    Examples
    --------
    >>> p = axes_projection(["a", "b", "c"], "c", "a")
    >>> p.A.tolist(), p.axis_labels
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], ('c', 'a'))
    >>> p.project_covariances(np.diag([1.0, 2.0, 3.0])).tolist()
    [[3.0, 0.0], [0.0, 1.0]]
    """
    names = [str(n) for n in feature_names]
    index = []
    for axis in (x, y):
        if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            index.append(int(axis))
        elif str(axis) in names:
            index.append(names.index(str(axis)))
        else:
            raise ValueError(f"unknown feature {axis!r}; choose from {names}.")
    D = len(names)
    return fit_projection(np.zeros((1, D)), method="axes", axes=tuple(index), feature_names=names)


def display_subsample(n_rows: int, max_points: int = 20000, *, seed: int = 0) -> np.ndarray:
    """Sorted row indices to draw: all rows, or ``max_points`` chosen at random.

    Deterministic for a given ``(n_rows, max_points, seed)``.  For drawing
    only -- always fit on all rows.

    Examples
    --------
    >>> display_subsample(5, 10).tolist()
    [0, 1, 2, 3, 4]
    >>> idx = display_subsample(1000, 10, seed=1)
    >>> idx.size, bool(np.all(np.diff(idx) > 0))
    (10, True)
    """
    n_rows, max_points = int(n_rows), int(max_points)
    if n_rows < 0 or max_points < 1:
        raise ValueError(f"need n_rows >= 0 and max_points >= 1, got {n_rows} and {max_points}.")
    if n_rows <= max_points:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=max_points, replace=False))
