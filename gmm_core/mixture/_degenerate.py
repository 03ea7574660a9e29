"""Degenerate components: fits whose likelihood comes from a component sitting on a few rows.

The likelihood of a Gaussian mixture is unbounded: a component that shrinks
onto a handful of rows, or onto rows that share one rounded value, has a
density that grows without limit, and only ``reg_covar`` (added to every
covariance's diagonal) keeps it finite.  Such a fit has a high likelihood and
can win BIC, yet it describes the rounding of the data, not a segment.  R's
mclust reports these fits as singular and never picks them; so does
:func:`gmm_core.mixture.select_model` with :func:`degenerate_components`.

A component is **degenerate** when

* its effective size ``N * weight`` is below the rows its own covariance
  needs: ``D + 1`` for a full covariance (fewer points in ``D`` dimensions lie
  in a flat subspace), 2 for a diagonal or spherical one (a variance needs two
  distinct values), 1 for a tied one (its shape is estimated from all rows);
* its covariance's smallest eigenvalue is within :data:`REG_FACTOR` times
  ``reg_covar`` -- in the fitted units, or relative to the features'
  variances (the covariance of the standardised features) -- so that
  ``reg_covar`` is what keeps it alive; or
* its members (the rows most likely in it) are copies of fewer distinct
  points than that, or all share one value of a feature (a rounded value:
  the component is flat in that direction).

Examples
--------
>>> import numpy as np
>>> from gmm_core.mixture import GaussianMixture
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (200, 2)), np.tile([[5.0, 5.0]], (6, 1))])
>>> gm = GaussianMixture(2, random_state=0).fit(X)
>>> found = degenerate_components(gm, X)
>>> list(found.values())  # doctest: +ELLIPSIS
['its 6 rows are copies of 1 distinct point, fewer than the 3 needed ...']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.mixture._validation import as_float_matrix

if TYPE_CHECKING:
    from gmm_core.mixture._estimator import GaussianMixture

__all__ = ["REG_FACTOR", "degenerate_components", "describe_degenerate", "rows_needed"]

#: A covariance whose smallest eigenvalue is below this many ``reg_covar`` is held up by it.
REG_FACTOR = 10.0


def rows_needed(covariance_type, n_features):
    """Rows one component needs to estimate its own covariance.

    >>> [rows_needed(ct, 4) for ct in ("full", "tied", "diag", "spherical")]
    [5, 1, 2, 2]
    """
    return {"full": n_features + 1, "tied": 1}.get(covariance_type, 2)


def _smallest_eigenvalues(model):
    cov, ct = np.asarray(model.covariances_, dtype=float), model.covariance_type
    k, d = model.means_.shape
    if ct == "full":
        return cov, np.linalg.eigvalsh(cov)[:, 0]
    if ct == "tied":
        return np.repeat(cov[None], k, axis=0), np.repeat(np.linalg.eigvalsh(cov)[0], k)
    if ct == "diag":
        return np.stack([np.diag(c) for c in cov]), cov.min(axis=1)
    full = np.stack([np.eye(d) * float(c) for c in cov])
    return full, cov.astype(float)


def _flat(column):
    """Whether a column's observed values (two or more) are all one value."""
    seen = column[~np.isnan(column)]
    return seen.size > 1 and seen.max() == seen.min()


def _distinct_rows(rows, enough):
    """Distinct rows of ``rows``, counted exactly up to ``enough`` (cheap on a big component)."""
    head = np.unique(rows[:4 * enough + 64], axis=0).shape[0]
    if head >= enough or rows.shape[0] <= 4 * enough + 64:
        return head
    return np.unique(rows, axis=0).shape[0]


def degenerate_components(model: GaussianMixture, X: ArrayLike,
                          feature_names: Sequence[str] | None = None, *,
                          factor: float = REG_FACTOR,
                          labels: ArrayLike | None = None) -> dict[int, str]:
    """Which components of a fitted mixture are degenerate, and why, in words.

    Parameters
    ----------
    model : fitted GaussianMixture (or any object with ``weights_``, ``means_``,
        ``covariances_``, ``covariance_type``, ``reg_covar`` and ``predict``)
    X : array-like (N, D)
        The rows the model was fitted on, in the units it was fitted in.
    feature_names : sequence of str, optional
        Used in the reasons ("all its rows have the same petal width").
    factor : float
        See :data:`REG_FACTOR`.
    labels : array-like (N,), optional
        ``model.predict(X)``, when the caller already has it.

    Returns
    -------
    dict
        ``{component index: reason}`` for each degenerate component; empty
        when the fit is sound.
    """
    X = as_float_matrix(X, allow_nan=True)  # rows with gaps count by their observed cells
    n, d = X.shape
    names = list(feature_names) if feature_names is not None else [
        f"feature {j + 1}" for j in range(d)]
    reg = float(getattr(model, "reg_covar", 1e-6))
    covs, smallest = _smallest_eigenvalues(model)
    variance = np.nanvar(X, axis=0) if np.isnan(X).any() else np.var(X, axis=0)  # var: faster
    spread = np.sqrt(np.maximum(variance, np.finfo(float).tiny))
    labels = np.asarray(model.predict(X) if labels is None else labels)
    need = rows_needed(model.covariance_type, d)
    shape = (f"a shape in {d} dimensions" if model.covariance_type == "full"
             else "its spread")
    out = {}
    for j in range(model.means_.shape[0]):
        size = float(model.weights_[j]) * n
        if size < need:
            out[j] = (f"it sits on about {size:.1f} rows, fewer than the {need} needed to "
                      f"estimate {shape}")
            continue
        members = X[labels == j]
        if members.shape[0]:
            distinct = _distinct_rows(members, need)
            if distinct < need:
                out[j] = (f"its {members.shape[0]} rows are copies of {distinct} distinct "
                          f"point{'s' if distinct != 1 else ''}, fewer than the {need} needed "
                          f"to estimate {shape}")
                continue
            flat = [names[c] for c in range(d) if _flat(members[:, c])]
            if flat and members.shape[0] > 1:
                out[j] = (f"all its {members.shape[0]} rows have the same value of {flat[0]} "
                          "(a rounded value?), so its spread there is only the regularisation")
                continue
        relative = np.linalg.eigvalsh(covs[j] / np.outer(spread, spread))[0]
        if smallest[j] <= factor * reg or relative <= factor * reg:
            out[j] = ("its spread in one direction is no more than the regularisation "
                      f"(reg_covar = {reg:g}) that keeps it from collapsing")
    return out


def describe_degenerate(found: dict[int, str], k: int) -> str:
    """One sentence for a fit with degenerate components (``""`` when there are none).

    >>> describe_degenerate({2: "it sits on about 1.0 rows"}, 4)
    'Degenerate: component 3 of 4 -- it sits on about 1.0 rows.'
    """
    if not found:
        return ""
    parts = [f"component {j + 1} of {k} -- {why}" for j, why in sorted(found.items())]
    return "Degenerate: " + "; ".join(parts) + "."
