"""The blocked, threaded EM pass equals the plain reference maths."""

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, blobs
from gmm_core import mixture
from gmm_core.mixture import _blocked as fast
from gmm_core.mixture import _reference as reference


def _params(X, covariance_type, k=3, seed=0):
    resp = np.random.RandomState(seed).dirichlet(np.ones(k), size=len(X))
    return reference.m_step(X, resp, covariance_type, 1e-6)


def _data(n=1003, seed=0, n_features=2):
    centers = np.random.RandomState(seed).normal(0, 6, (3, n_features))
    X, _ = blobs(n_per=n // 3 + 1, centers=centers, seed=seed)
    return X[:n] + 50.0  # an offset, as real data has


@pytest.mark.parametrize("n_features", [2, fast.SMALL_D + 2])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("block_size, n_threads", [
    (1003, 1),   # one block
    (17, 1),     # many blocks, 17 does not divide 1003
    (59, 2),     # 59 * 17 = 1003: blocks divide N, two threads
    (100, 3),    # more threads than cores
    (1, 2),      # a row per block
    (5000, 2),   # block larger than N
])
def test_blocked_summarize_equals_reference(covariance_type, block_size, n_threads,
                                            n_features):
    """Both full-covariance kernels (elementwise for small D, batched BLAS above) too."""
    X = _data(n_features=n_features)
    params = _params(X, covariance_type)
    sw = np.random.RandomState(1).uniform(0.1, 3.0, len(X))
    for weights in (None, sw):
        got = fast.summarize(X, params, weights, block_size=block_size, n_threads=n_threads)
        ref = reference.summarize(X, params, weights, shift=got.shift)
        for name in ("nk", "s1", "s2", "shift"):
            np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-10,
                                       atol=1e-10 * np.abs(getattr(ref, name)).max(),
                                       err_msg=name)
        assert got.log_likelihood == pytest.approx(ref.log_likelihood, rel=1e-12)
        assert got.total_weight == pytest.approx(ref.total_weight, rel=1e-12)
        # and the M-step equals the one from moments about the means themselves
        two_pass = reference.m_step(X, reference.e_step(X, params).resp, covariance_type, 1e-6,
                                    weights)
        np.testing.assert_allclose(mixture.params_from_stats(got).covariances,
                                   two_pass.covariances, rtol=1e-10)
        np.testing.assert_allclose(mixture.params_from_stats(got).means, two_pass.means,
                                   rtol=1e-12)


@pytest.mark.parametrize("n_features", [2, fast.SMALL_D + 2])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("block_size", [7, 1003, 64])
def test_blocked_e_step_outputs_equal_reference(covariance_type, block_size, n_features):
    X = _data(n_features=n_features)
    params = _params(X, covariance_type, seed=2)
    ref = reference.e_step(X, params)
    kw = dict(block_size=block_size, n_threads=2)
    np.testing.assert_allclose(fast.log_prob_blocks(X, params, **kw), ref.log_resp,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.log_prob_blocks(X, params, what="log_prob_norm", **kw),
                               ref.log_prob_norm, rtol=1e-12)
    np.testing.assert_array_equal(fast.predict_blocks(X, params, **kw),
                                  ref.log_resp.argmax(axis=1))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_blocked_m_step_from_labels_or_resp_equals_reference(covariance_type):
    X = _data()
    labels = np.random.RandomState(3).randint(0, 3, len(X))
    onehot = np.eye(3)[labels]
    sw = np.random.RandomState(4).uniform(0.5, 2.0, len(X))
    ref = reference.m_step(X, onehot, covariance_type, 1e-6, sw)
    for kw in (dict(labels=labels, n_components=3), dict(resp=onehot)):
        got = fast.m_step(X, covariance_type, 1e-6, sw, block_size=50, **kw)
        np.testing.assert_allclose(got.means, ref.means, rtol=1e-12)
        np.testing.assert_allclose(got.covariances, ref.covariances, rtol=1e-10)
        np.testing.assert_allclose(got.weights, ref.weights, rtol=1e-12)


def test_default_block_size_keeps_temporaries_bounded():
    assert fast.default_block_size(10, 50) * 10 * 50 <= 1 << 18
    assert fast.default_block_size(50, 500) == 256  # the floor
    assert fast.default_block_size(1, 1) == 16384  # the ceiling
    assert fast.default_block_size(10, 50, "diag") * (10 + 50) <= 1 << 18
