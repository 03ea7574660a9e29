"""Which segment is which across fits: stable colours, markers and letters.

A mixture's components have no natural order, and even
:func:`gmm_core.mixture.canonicalize` (components sorted along the data's main
axis) reshuffles them when a change of covariance type moves one mean past
another.  A user who switches ``full`` to ``spherical`` should see the middle
cluster keep its colour.  So the app gives every component a *slot* -- its
colour, marker shape and letter (:mod:`gmm_core.plots.theme`) -- and when a
new fit is shown on the same data, :func:`match_slots` gives each new
component the slot of the previous fit's component it matches;
:func:`reordered` renumbers everything the pages show in one place.

Examples
--------
>>> import numpy as np
>>> from gmm_core.analysis.compare import compare_models
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(c, 0.5, (80, 2)) for c in ([0, 0], [5, 5], [10, 0])])
>>> first = compare_models(X, 3, random_state=0)
>>> first.means.round(0).tolist(), first.slots
([[5.0, 5.0], [-0.0, 0.0], [10.0, 0.0]], (0, 1, 2))

Shown before as slots 7, 3, 5 (means in another order): each mean takes its partner's slot.

>>> shown = reordered(first, *match_slots(first, first.means[[2, 0, 1]], (7, 3, 5)))
>>> shown.slots, bool(np.allclose(shown.means, first.means))
((3, 5, 7), True)

With k = 2 the two left clusters merge; the right one keeps slot 2 (the merged
mean is as far from either left one, so which of their slots it takes is a tie):

>>> two = compare_models(X, 2, random_state=0)
>>> shown = reordered(two, *match_slots(two, first.means, first.slots))
>>> shown.slots[1], shown.means.round(0).tolist()
(2, [[2.0, 3.0], [10.0, 0.0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from gmm_core.analysis.compare import Comparison

__all__ = ["match_slots", "reordered"]


def match_slots(comparison: Comparison, previous_means: ArrayLike | None,
                previous_slots: Sequence[int] | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Give each component the slot of the previous fit's component it matches, on the same data.

    The segments a user has seen keep their colour, marker and letter when
    ``k``, the covariance type, the restarts or the seed change: the
    components are matched to the previous fit's by the Hungarian algorithm
    (:func:`scipy.optimize.linear_sum_assignment`) on the squared distances of
    their means, in the space the models were fitted in (the current fit's
    scaling).  With another ``k``, ``min(k_old, k_new)`` pairs are matched;
    components without a partner take the lowest slots nobody uses.

    Parameters
    ----------
    comparison : gmm_core.analysis.compare.Comparison
        The new fit, as :func:`~gmm_core.analysis.compare.compare_models` returned it.
    previous_means : ndarray (k_old, n_features)
        Means of the fit shown before, in original units, in its shown order.
    previous_slots : sequence of int
        Its slots.

    Returns
    -------
    order, slots : tuple of int
        Arguments for :func:`reordered`: the components sorted by slot.
    """
    from scipy.optimize import linear_sum_assignment

    k = comparison.n_components
    new = np.asarray(comparison.gmm.means_, dtype=float)
    old = np.asarray(previous_means, dtype=float)
    if old.ndim != 2 or old.shape[1] != new.shape[1] or len(previous_slots) != old.shape[0]:
        return tuple(range(k)), tuple(range(k))
    old = np.asarray(comparison.scaler.transform(old), dtype=float)
    cost = ((new[:, None, :] - old[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    slot_of = {int(r): int(previous_slots[c]) for r, c in zip(rows, cols, strict=True)}
    free = (s for s in range(k + len(previous_slots)) if s not in set(slot_of.values()))
    for i in range(k):
        if i not in slot_of:
            slot_of[i] = next(free)
    order = sorted(range(k), key=lambda i: slot_of[i])
    return tuple(order), tuple(slot_of[i] for i in order)


def reordered(comparison: Comparison, order: Sequence[int], slots: Sequence[int]) -> Comparison:
    """The same comparison with its components listed in ``order`` and given ``slots``.

    Everything that numbers components -- both models' labels, the KMeans
    mapping, the probabilities, means, covariances, centroids and the fitted
    GMM itself -- is renumbered together, so every chart, table and export
    built from the result agrees.  ``comparison`` is not changed (it may be
    shared by a cache).
    """
    import copy

    order = tuple(int(i) for i in order)
    slots = tuple(int(s) for s in slots)
    if order == tuple(range(comparison.n_components)) and slots == comparison.slots:
        return comparison
    inverse = np.empty(len(order), dtype=int)
    inverse[list(order)] = np.arange(len(order))
    base = np.asarray(comparison.order, dtype=int)
    gmm = copy.copy(comparison.gmm)
    gmm._set_params(gmm.params_.permuted(list(order)), gmm.means_.dtype)
    return replace(
        comparison, gmm=gmm,
        gmm_labels=inverse[comparison.gmm_labels],
        kmeans_labels=inverse[comparison.kmeans_labels],
        kmeans_mapping=inverse[comparison.kmeans_mapping],
        proba=comparison.proba[:, list(order)],
        means=comparison.means[list(order)],
        covariances=comparison.covariances[list(order)],
        centroids=comparison.centroids[list(order)],
        slots=slots, order=tuple(int(base[i]) for i in order))

