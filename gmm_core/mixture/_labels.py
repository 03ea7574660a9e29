"""Stable labels, label matching and per-point diagnostics.

**Label switching.**  A mixture's components have no natural order: EM started
from another seed may find the same clusters and number them differently, so
"cluster 0" turns from blue to orange between runs -- the most common surprise
for GMM users.  Two remedies:

* :func:`canonical_order` / :func:`canonicalize` -- a documented order: components
  sorted by the position of their mean along the data's first principal axis
  (the direction of largest variance, signed so that its largest loading is
  positive), ties broken by the second axis.  Two fits that find the same
  clusters list them in the same order, so the app gives them the same colours.
* :func:`align_labels` -- relabel one clustering to agree best with another
  (KMeans vs GMM, run vs run) by the Hungarian algorithm on their contingency
  table (:func:`scipy.optimize.linear_sum_assignment`).

**How sure, how unusual.**  :func:`uncertainty` is ``1 - max_k p(k | x)``:
0 for a point certainly in one component, up to ``1 - 1/K`` for a point shared
evenly.  :func:`anomaly_score` is ``-log p(x)``, the negative log-density:
the larger, the more unusual the point under the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment

if TYPE_CHECKING:
    from gmm_core.mixture._estimator import GaussianMixture

__all__ = ["canonical_order", "canonicalize", "align_labels", "label_mapping",
           "uncertainty", "anomaly_score"]


def _principal_axes(X):
    Xc = np.asarray(X, float) - np.mean(X, axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    for i, axis in enumerate(vt):  # fix each axis' sign: largest loading positive
        if axis[np.argmax(np.abs(axis))] < 0:
            vt[i] = -axis
    return vt


def canonical_order(means: ArrayLike, X: ArrayLike) -> np.ndarray:
    """The canonical order of components: by mean along the data's principal axes.

    Parameters
    ----------
    means : ndarray (K, D)
    X : ndarray (N, D)
        The data the model was fitted on (defines the axes).

    Returns
    -------
    order : ndarray (K,)
        ``means[order]`` is sorted.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.1], [5.0, 0.0], [6.0, 0.2]])
    >>> canonical_order(np.array([[5.5, 0.1], [0.5, 0.05]]), X)
    array([1, 0])
    """
    means = np.asarray(means, float)
    axes = _principal_axes(X)
    proj = (means - np.mean(X, axis=0)) @ axes.T
    keys = [np.round(proj[:, j], 12) for j in range(min(2, proj.shape[1]))][::-1]
    return np.lexsort(keys)


def canonicalize(model: GaussianMixture, X: ArrayLike) -> GaussianMixture:
    """Reorder a fitted :class:`~gmm_core.GaussianMixture`'s components in place.

    Applies :func:`canonical_order`; predictions are unchanged except for the
    numbering.  Returns the model.
    """
    order = canonical_order(model.means_, np.asarray(X, float))
    model._set_params(model.params_.permuted(order), model.means_.dtype)
    return model


def label_mapping(reference: ArrayLike, labels: ArrayLike,
                  n_labels: int | None = None) -> np.ndarray:
    """``mapping[old] = new``: the relabelling of ``labels`` that best agrees with ``reference``.

    Labels of ``labels`` with no partner in ``reference`` (more clusters than the
    reference has) get fresh numbers after the reference's.

    >>> label_mapping([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])
    array([1, 2, 0])
    """
    reference = np.asarray(reference, int)
    labels = np.asarray(labels, int)
    n_ref = int(reference.max()) + 1 if reference.size else 0
    n_lab = int(labels.max()) + 1 if labels.size else 0
    if n_labels is not None:
        n_lab = max(n_lab, int(n_labels))
    size = max(n_ref, n_lab)
    table = np.zeros((n_lab, size))
    np.add.at(table, (labels, reference), 1)
    rows, cols = linear_sum_assignment(-table)
    mapping = np.empty(n_lab, dtype=int)
    mapping[rows] = cols
    return mapping


def align_labels(reference: ArrayLike, labels: ArrayLike) -> np.ndarray:
    """Relabel ``labels`` to agree best with ``reference`` (Hungarian matching).

    >>> align_labels([0, 0, 1, 1], [1, 1, 0, 0])
    array([0, 0, 1, 1])
    """
    labels = np.asarray(labels, int)
    return label_mapping(reference, labels)[labels]


def uncertainty(proba: ArrayLike) -> np.ndarray:
    """``1 - max_k p(k | x)`` for each row of a responsibility matrix.

    >>> uncertainty(np.array([[1.0, 0.0], [0.5, 0.5]]))
    array([0. , 0.5])
    """
    return 1.0 - np.max(np.asarray(proba, float), axis=1)


def anomaly_score(model: GaussianMixture, X: ArrayLike) -> np.ndarray:
    """``-log p(x)`` under a fitted mixture: larger means more unusual."""
    return -model.score_samples(X)
