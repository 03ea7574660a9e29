"""A deterministic start: agglomerative clustering on a sample, merged down to k groups.

EM from random starts reaches the best optimum only some of the time (at five
or more components, a few percent of random starts on some real data sets).
R's mclust starts EM once, deterministically, from model-based agglomerative
hierarchical clustering: every row starts as its own group and the two groups
whose merge costs the least likelihood are merged, until ``k`` remain.  For
the equal-volume spherical model the cost of a merge is exactly Ward's
criterion (the increase of the within-group sum of squares; Fraley 1998,
"Algorithms for model-based Gaussian hierarchical clustering"), so
:func:`hierarchical_labels` runs Ward's linkage (:func:`scipy.cluster.hierarchy.linkage`)
-- on the standardised columns, as the app fits them, and on a fixed sample
of at most :data:`MAX_ROWS` rows, because agglomeration costs ``O(n^2)``
memory.  mclust's default merges under the unconstrained model (VVV) after an
SVD of the data; Ward is its spherical special case, cheaper and as stable.

The same data always give the same start: the sample is drawn with a fixed
seed, not ``random_state``.  The tree does not depend on ``k``: the last one
built is kept (keyed on the sample's bytes), so a sweep over ``k`` agglomerates
once.

Examples
--------
>>> import numpy as np
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(9, 1, (50, 2))])
>>> rows, labels = hierarchical_labels(X, 2)
>>> rows.size, sorted(np.bincount(labels).tolist())
(100, [50, 50])
"""

import hashlib
import threading

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist

__all__ = ["MAX_ROWS", "hierarchical_labels"]

#: Rows agglomerated at most (a fixed random sample of larger data).
MAX_ROWS = 2000

_LAST = {}  # the last sample's digest -> its Ward tree
_LOCK = threading.Lock()


def _ward_tree(sample):
    """Ward's linkage of ``sample``'s rows; the same sample's tree is built only once in a row."""
    key = hashlib.blake2b(sample.tobytes(), digest_size=16,
                          person=str(sample.shape).encode()[:16]).digest()
    with _LOCK:
        tree = _LAST.get(key)
    if tree is None:
        # condensed Euclidean distances: Ward's linkage of the rows themselves, and unambiguous
        # (a square sample, e.g. 2 rows of 2 features, would look like a distance matrix)
        tree = linkage(pdist(sample), method="ward")
        tree.flags.writeable = False
        with _LOCK:
            _LAST.clear()
            _LAST[key] = tree
    return tree


def hierarchical_labels(X, n_components, *, max_rows=MAX_ROWS):
    """``(rows, labels)``: a sample of rows and their group among ``n_components`` (Ward).

    Groups are numbered by their first row in the sample, so the result does
    not depend on scipy's internal numbering.
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    rows = (np.arange(n) if n <= max_rows
            else np.sort(np.random.default_rng(0).choice(n, size=max_rows, replace=False)))
    sample = X[rows]
    scale = sample.std(axis=0)
    sample = (sample - sample.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    k = int(min(n_components, rows.size))
    if k <= 1:
        return rows, np.zeros(rows.size, dtype=int)
    tree = _ward_tree(sample)
    groups = fcluster(tree, t=k, criterion="maxclust")
    _, first = np.unique(groups, return_index=True)
    order = {g: i for i, g in enumerate(groups[np.sort(first)])}
    labels = np.array([order[g] for g in groups], dtype=int)
    if labels.max() + 1 < n_components:  # ties: fewer distinct groups than asked (duplicates)
        raise ValueError(f"The rows form only {labels.max() + 1} distinct groups, fewer than "
                         f"the {n_components} components asked for; use fewer components.")
    return rows, labels
