"""Confidence ellipses of a 2-D Gaussian.

A Gaussian with mean ``mu`` and covariance ``Sigma`` has elliptical contours:
the points ``x`` with Mahalanobis distance
``r = sqrt((x - mu)^T Sigma^{-1} (x - mu))`` equal to a constant.  In two
dimensions ``r^2`` follows a chi-squared distribution with 2 degrees of
freedom, so the ellipse that holds a fraction ``level`` of the probability has
radius ``r = sqrt(chi2.ppf(level, 2))``.  (The "1 sigma" ellipse, ``r = 1``,
holds only 39.3% in 2-D, not the 68.3% of the 1-D rule; ``r = 2`` holds 86.5%.)

With ``Sigma = V diag(lambda) V^T`` (eigen-decomposition) the ellipse is the
unit circle stretched by ``r * sqrt(lambda)`` along the eigenvectors ``V``
and moved to ``mu``.

Examples
--------
>>> import numpy as np
>>> pts = ellipse_points([0.0, 0.0], np.diag([4.0, 1.0]), radius=1.0, n_points=5)
>>> float(pts[:, 0].max().round(6)), float(pts[:, 1].max().round(6))
(2.0, 1.0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import chi2

__all__ = ["ellipse_points", "level_radius", "sigma_level"]


def level_radius(level: float, dim: int = 2) -> float:
    """Mahalanobis radius of the ellipse holding ``level`` of the probability.

    >>> round(level_radius(0.95), 4)
    2.4477
    """
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}; "
                         "use e.g. 0.95 for a 95% ellipse.")
    return float(np.sqrt(chi2.ppf(level, dim)))


def sigma_level(n_sigma: float, dim: int = 2) -> float:
    """Probability inside the ``n_sigma`` Mahalanobis ellipse in ``dim`` dimensions.

    >>> round(sigma_level(1), 4), round(sigma_level(2), 4)
    (0.3935, 0.8647)
    """
    return float(chi2.cdf(float(n_sigma) ** 2, dim))


def ellipse_points(mean: ArrayLike, covariance: ArrayLike, *, level: float | None = None,
                   radius: float | None = None, n_points: int = 100) -> np.ndarray:
    """Closed outline (``n_points``, 2) of a confidence ellipse of a 2-D Gaussian.

    Parameters
    ----------
    mean : array-like (2,)
    covariance : array-like (2, 2)
        Symmetric positive semi-definite.
    level : float, optional
        Probability inside the ellipse, in (0, 1).  Exactly one of ``level``
        and ``radius`` must be given.
    radius : float, optional
        Mahalanobis radius (1 for the 1-sigma ellipse).
    n_points : int
        Points on the outline; the last equals the first so it draws closed.

    Returns
    -------
    ndarray (n_points, 2)
    """
    if (level is None) == (radius is None):
        raise ValueError("give exactly one of level= (e.g. 0.95) or radius= (e.g. 1.0)")
    r = level_radius(level) if radius is None else float(radius)
    mean = np.asarray(mean, dtype=float).reshape(2)
    cov = np.asarray(covariance, dtype=float).reshape(2, 2)
    cov = 0.5 * (cov + cov.T)
    eigval, eigvec = np.linalg.eigh(cov)
    eigval = np.clip(eigval, 0.0, None)
    t = np.linspace(0.0, 2.0 * np.pi, int(n_points))
    circle = np.stack([np.cos(t), np.sin(t)])  # (2, n)
    pts = (eigvec * (r * np.sqrt(eigval))) @ circle
    return (pts + mean[:, None]).T
