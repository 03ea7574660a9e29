"""The EM kernels against independent oracles, and EM's invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from conftest import COVARIANCE_TYPES, blobs
from gmm_core import mixture
from gmm_core.mixture import _reference as reference


def random_params(covariance_type, k=3, d=2, seed=0):
    rng = np.random.RandomState(seed)
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(0, 3, (k, d))
    a = rng.normal(size=(k, d, d))
    full = a @ np.swapaxes(a, 1, 2) + np.eye(d)
    covs = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
            "spherical": full[:, 0, 0].copy()}[covariance_type]
    return mixture.GMMParams.from_covariances(weights, means, covs, covariance_type)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_prob_matches_scipy_multivariate_normal(covariance_type):
    params = random_params(covariance_type)
    X = np.random.RandomState(1).normal(0, 3, (40, 2))
    got = reference.estimate_log_gaussian_prob(X, params.means, params.precisions_cholesky,
                                        covariance_type)
    for k in range(3):
        want = multivariate_normal(params.means[k], params.full_covariances[k]).logpdf(X)
        np.testing.assert_allclose(got[:, k], want, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_responsibilities_are_bayes_rule_and_sum_to_one(covariance_type):
    params = random_params(covariance_type)
    X = np.random.RandomState(2).normal(0, 3, (30, 2))
    step = reference.e_step(X, params)
    np.testing.assert_allclose(step.resp.sum(axis=1), 1.0, rtol=1e-12)
    joint = np.column_stack([params.weights[k] * multivariate_normal(
        params.means[k], params.full_covariances[k]).pdf(X) for k in range(3)])
    np.testing.assert_allclose(step.resp, joint / joint.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(step.log_prob_norm, np.log(joint.sum(axis=1)), rtol=1e-12)


def test_m_step_full_matches_weighted_np_cov():
    X, _ = blobs()
    resp = np.random.RandomState(0).dirichlet(np.ones(3), size=len(X))
    params = reference.m_step(X, resp, "full", reg_covar=0.0)
    for k in range(3):
        np.testing.assert_allclose(params.means[k], np.average(X, axis=0, weights=resp[:, k]))
        np.testing.assert_allclose(params.covariances[k],
                                   np.cov(X.T, aweights=resp[:, k], bias=True), rtol=1e-10)
    np.testing.assert_allclose(params.weights, resp.mean(axis=0))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_pass_m_step_equals_two_pass(covariance_type):
    """params_from_stats(summarize(.)) must equal the textbook m_step of the same E-step."""
    X, _ = blobs()
    X = X + 1e4  # a large offset: the shifted one-pass formula must not cancel
    params = random_params(covariance_type, seed=3)
    params = mixture.GMMParams.from_covariances(params.weights, params.means + 1e4,
                                           params.covariances, covariance_type)
    one_pass = mixture.params_from_stats(reference.summarize(X, params), 1e-6)
    two_pass = reference.m_step(X, reference.e_step(X, params).resp, covariance_type, 1e-6)
    np.testing.assert_allclose(one_pass.means, two_pass.means, rtol=1e-12)
    np.testing.assert_allclose(one_pass.covariances, two_pass.covariances, rtol=1e-8)
    np.testing.assert_allclose(one_pass.weights, two_pass.weights, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_block_statistics_add_up(covariance_type):
    X, _ = blobs()
    params = random_params(covariance_type)
    whole = reference.summarize(X, params)
    parts = sum(reference.summarize(X[i:i + 37], params) for i in range(0, len(X), 37))
    np.testing.assert_allclose(parts.s2, whole.s2, rtol=1e-12)
    np.testing.assert_allclose(parts.nk, whole.nk, rtol=1e-12)
    assert parts.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type):
    X, _ = blobs(seed=4)
    params = random_params(covariance_type, seed=5)
    lls = []
    for _ in range(40):
        stats = reference.summarize(X, params)
        lls.append(stats.log_likelihood)
        params = mixture.params_from_stats(stats, 1e-6)
    assert np.all(np.diff(lls) > -1e-10)


def test_collapsed_component_names_it_and_the_remedy():
    covs = np.stack([np.eye(2), np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"Component 1 collapsed.*reg_covar"):
        mixture.precision_cholesky(covs, "full")
    with pytest.raises(ValueError, match=r"Component 0 collapsed"):
        mixture.precision_cholesky(np.array([0.0, 1.0]), "spherical")


def test_n_parameters_as_scikit_learn_counts():
    assert mixture.n_parameters("full", 3, 4) == 3 * 10 + 12 + 2
    assert mixture.n_parameters("tied", 3, 4) == 10 + 12 + 2
    assert mixture.n_parameters("diag", 3, 4) == 12 + 12 + 2
    assert mixture.n_parameters("spherical", 3, 4) == 3 + 12 + 2


def test_params_are_immutable():
    p = random_params("full")
    with pytest.raises(ValueError):
        p.means[0, 0] = 1.0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 40), d=st.integers(1, 4), k=st.integers(1, 4),
       ct=st.sampled_from(COVARIANCE_TYPES), seed=st.integers(0, 2**31 - 1))
def test_em_step_properties(n, d, k, ct, seed):
    """On random data: responsibilities sum to one, weights too, likelihood does not fall.

    ``reg_covar`` is kept negligible: a large one makes the M-step a
    regularised estimate, which may lower the likelihood (hypothesis found
    such a case with 1e-3 on data with variances of 0.01).
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, d)
    resp = rng.dirichlet(np.ones(k), size=n)
    params = reference.m_step(X, resp, ct, 1e-10)
    step = reference.e_step(X, params)
    np.testing.assert_allclose(step.resp.sum(axis=1), 1.0, rtol=1e-10)
    nxt = mixture.params_from_stats(reference.summarize(X, params), 1e-10)
    assert nxt.weights.sum() == pytest.approx(1.0)
    assert reference.e_step(X, nxt).log_likelihood >= step.log_likelihood - 1e-9 * (1 + abs(
        step.log_likelihood))
