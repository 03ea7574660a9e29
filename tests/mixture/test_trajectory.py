"""Recorded EM trajectories: the same run as the estimator, half-step by half-step."""

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, blobs
from gmm_core import GaussianMixture, fit_trajectory


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_trajectory_ends_where_the_estimator_does(covariance_type):
    X, _ = blobs(seed=2)
    traj = fit_trajectory(X, 3, covariance_type=covariance_type, random_state=4)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=4).fit(X)
    np.testing.assert_allclose(traj.final_params.means, gm.means_, rtol=1e-12)
    assert traj.n_iter == gm.n_iter_ and traj.converged == gm.converged_
    assert [s.log_likelihood for s in traj.steps if s.phase == "E"] == pytest.approx(
        gm.lower_bounds_, rel=1e-12)


def test_half_steps_change_what_they_should():
    X, _ = blobs()
    traj = fit_trajectory(X, 3, init_params="random_from_data", random_state=0)
    assert [s.phase for s in traj.steps[:5]] == ["init", "E", "M", "E", "M"]
    init, e1, m1 = traj.steps[:3]
    assert e1.params is init.params  # the E-step does not move the ellipses
    assert not np.allclose(m1.params.means, e1.params.means)  # the M-step does
    r_init = traj.responsibilities(X, 0)
    r_e2 = traj.responsibilities(X, 3)
    assert not np.allclose(r_init, r_e2)  # the colours change between E-steps
    assert np.all(np.diff(traj.log_likelihoods) > -1e-10)


def test_stop_reason_says_why():
    X, _ = blobs()
    assert "Converged after" in fit_trajectory(X, 3, random_state=0).stop_reason
    traj = fit_trajectory(X, 3, random_state=0, max_iter=2, tol=0)
    assert traj.stop_reason.startswith("Stopped at max_iter = 2") and not traj.converged
    assert len(traj.steps) == 5


def test_memory_is_bounded_by_max_steps():
    X, _ = blobs()
    traj = fit_trajectory(X, 3, random_state=0, max_iter=500, tol=0, max_steps=21)
    assert len(traj.steps) <= 21 and "at most 21 steps" in traj.stop_reason
