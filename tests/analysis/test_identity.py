"""Stable segment identity across fits: matching to the previous fit, renumbering in one place."""

import numpy as np
import pytest

from gmm_core.analysis.compare import compare_models, decision_grid
from gmm_core.analysis.identity import match_slots, reordered


@pytest.fixture(scope="module")
def three():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.5, (80, 2)) for c in ([0, 0], [5, 5], [10, 0])])
    return X, compare_models(X, 3, random_state=0)


def test_reordered_renumbers_everything_together(three):
    X, cmp = three
    shown = reordered(cmp, (2, 0, 1), (4, 0, 7))
    assert shown.slots == (4, 0, 7) and shown.order == (2, 0, 1)
    np.testing.assert_array_equal(shown.means, cmp.means[[2, 0, 1]])
    np.testing.assert_array_equal(shown.covariances, cmp.covariances[[2, 0, 1]])
    np.testing.assert_array_equal(shown.centroids, cmp.centroids[[2, 0, 1]])
    np.testing.assert_array_equal(shown.proba, cmp.proba[:, [2, 0, 1]])
    Xs = cmp.scaler.transform(X)
    # labels, probabilities and the fitted model agree with each other after renumbering
    np.testing.assert_array_equal(shown.gmm_labels, shown.proba.argmax(axis=1))
    np.testing.assert_array_equal(shown.gmm.predict(Xs), shown.gmm_labels)
    np.testing.assert_array_equal(shown.kmeans_mapping[cmp.kmeans.predict(Xs)], shown.kmeans_labels)
    np.testing.assert_allclose(shown.gmm.means_, cmp.gmm.means_[[2, 0, 1]])
    _, _, z = decision_grid(shown, (-1, 11), (-1, 6), kind="gmm", resolution=20)
    _, _, z0 = decision_grid(cmp, (-1, 11), (-1, 6), kind="gmm", resolution=20)
    np.testing.assert_array_equal(np.asarray([1, 2, 0])[z0], z)
    assert shown.metrics == cmp.metrics
    assert cmp.order == (0, 1, 2) and cmp.gmm.means_ is not shown.gmm.means_  # the input is kept


def test_same_clusters_keep_their_slots_across_covariance_types(three):
    X, cmp = three
    first = reordered(cmp, (1, 2, 0), (0, 1, 2))  # as if shown in another order before
    other = compare_models(X, 3, covariance_type="spherical", random_state=5)
    shown = reordered(other, *match_slots(other, first.means, first.slots))
    np.testing.assert_allclose(shown.means, first.means, atol=0.3)
    assert shown.slots == (0, 1, 2)


@pytest.mark.parametrize("k_new", [2, 4])
def test_another_k_keeps_matched_slots_and_gives_new_components_free_ones(three, k_new):
    X, cmp = three
    other = compare_models(X, k_new, random_state=0)
    order, slots = match_slots(other, cmp.means, cmp.slots)
    assert len(set(slots)) == k_new and list(slots) == sorted(slots)
    shown = reordered(other, order, slots)
    right = int(np.argmin(np.linalg.norm(shown.means - [10, 0], axis=1)))
    assert shown.slots[right] == 2  # the cluster at (10, 0) was slot 2 and stays slot 2
    if k_new == 4:
        assert set(slots) == {0, 1, 2, 3}


def test_features_of_another_shape_are_not_matched(three):
    _, cmp = three
    assert match_slots(cmp, np.zeros((3, 5)), (0, 1, 2)) == ((0, 1, 2), (0, 1, 2))
