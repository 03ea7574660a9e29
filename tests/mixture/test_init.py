"""Where EM starts: the seed rows of the seed methods and the hard-assignment start."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from conftest import COVARIANCE_TYPES, blobs, elongated
from gmm_core.mixture import SEED_METHODS, fit_trajectory, hard_start, initial_params, seed_rows
from gmm_core.mixture._reference import m_step as reference_m_step


@pytest.mark.parametrize("method", SEED_METHODS)
def test_seed_rows_are_the_rows_the_estimator_seeds_from(method):
    """scikit-learn's seed start puts each component's mean on its seed row."""
    X, _ = blobs(seed=3)
    rows = seed_rows(X, 3, init_params=method, random_state=7)
    start = initial_params(X, 3, init_params=method, random_state=7)
    np.testing.assert_allclose(start.means, X[rows])
    assert len(set(rows.tolist())) == 3


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_hard_start_is_the_m_step_of_the_nearest_seed_labels(covariance_type):
    X, _ = elongated()
    rows = np.array([5, 250, 480])
    start = hard_start(X, rows, covariance_type=covariance_type, reg_covar=1e-6)
    labels = cdist(X, X[rows]).argmin(axis=1)  # the oracle: scipy's distances
    want = reference_m_step(X, np.eye(3)[labels], covariance_type, 1e-6)
    np.testing.assert_allclose(start.weights, np.bincount(labels) / len(X), rtol=1e-9)
    np.testing.assert_allclose(start.means, want.means, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(start.full_covariances, want.full_covariances, rtol=1e-8,
                               atol=1e-12)


def test_hard_start_keeps_every_component_even_on_duplicate_seeds():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [5.0, 6.0]])
    start = hard_start(X, [0, 1, 3], covariance_type="spherical")
    assert np.all(start.weights > 0) and start.weights.sum() == pytest.approx(1.0)


def test_seed_rows_rejects_a_method_without_seeds():
    with pytest.raises(ValueError, match="init_params must be one of"):
        seed_rows(np.zeros((4, 2)), 2, init_params="kmeans")


def test_a_trajectory_starts_where_it_is_told():
    """Issue 17: a seed start had weights 1/N (summing to 0.005) and spreads of 1e-6."""
    X, _ = blobs()
    rows = seed_rows(X, 3, init_params="k-means++", random_state=0)
    start = hard_start(X, rows, covariance_type="full")
    traj = fit_trajectory(X, 3, random_state=0, weights_init=start.weights,
                          means_init=start.means, precisions_init=start.precisions)
    first = traj.steps[0].params
    np.testing.assert_allclose(first.means, start.means)
    assert first.weights.sum() == pytest.approx(1.0)
    assert np.all(np.linalg.eigvalsh(first.full_covariances) > 0.05)
    assert traj.log_likelihoods[0] > traj.log_likelihoods[-1] - 2.0  # a start on the scale
    assert np.all(np.diff(traj.log_likelihoods) > -1e-10)
