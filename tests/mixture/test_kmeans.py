"""k-means for initialisation: a Lloyd fixed point, checked against the plain oracle."""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from conftest import blobs
from gmm_core.mixture._kmeans import kmeans, kmeans_plusplus, kmeans_reference


def test_converged_kmeans_is_a_lloyd_fixed_point():
    X, y = blobs(n_per=100)
    centers, labels = kmeans(X, 3, random_state=np.random.RandomState(0), max_iter=300,
                             tol=0, block_size=37)
    ref_centers, ref_labels = kmeans_reference(X, centers, 1)
    np.testing.assert_allclose(ref_centers, centers, rtol=1e-12)
    np.testing.assert_array_equal(ref_labels, labels)
    assert adjusted_rand_score(y, labels) > 0.95


def test_inertia_close_to_scikit_learn():
    X, _ = blobs(n_per=200, centers=((0, 0), (3, 0), (0, 3), (3, 3), (9, 9)))
    centers, labels = kmeans(X, 5, random_state=np.random.RandomState(1))
    ours = np.sum((X - centers[labels]) ** 2)
    theirs = KMeans(5, n_init=1, random_state=1).fit(X).inertia_
    assert ours <= theirs * 1.05


def test_seeding_on_a_sample_for_large_data():
    X, y = blobs(n_per=5000)
    _, labels = kmeans(X, 3, random_state=np.random.RandomState(0), max_seed_rows=500)
    assert adjusted_rand_score(y, labels) > 0.95


def test_plusplus_picks_distinct_rows_even_with_duplicates():
    X = np.vstack([np.zeros((10, 2)), np.ones((1, 2))])
    idx = kmeans_plusplus(X, 3, random_state=np.random.RandomState(0))
    assert len(set(idx.tolist())) == 3
