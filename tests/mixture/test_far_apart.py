"""Clusters far apart fit as exactly as clusters near zero, for every covariance type.

Regression (issue 23): diag, spherical and tied fits expanded their quadratic form about
one shared centre, so two unit clusters 1e8 apart got variances of 1e-6 or 0.5 -- the
squares of the distances swamped the spreads.  The one shift rule now takes the moments
about each component's own mean when the means lie too far apart.
"""

import warnings

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES
from gmm_core import GaussianMixture
from gmm_core.mixture import _blocked, _reference, params_from_stats, summarize
from gmm_core.mixture._params import FAR_SPREADS


def _clusters(separation, seed=0):
    rng = np.random.RandomState(seed)
    parts = [rng.normal(0.0, 1.0, (300, 2)) * [1.0, 2.0],
             rng.normal(0.0, 1.0, (200, 2)) * [0.5, 1.0] + separation]
    return np.vstack(parts), parts


def _oracle(parts, covariance_type):
    """Exact covariances of perfectly separated clusters (responsibilities 0 or 1)."""
    centred = [p - p.mean(axis=0) for p in parts]
    if covariance_type == "full":
        return np.array([c.T @ c / len(c) for c in centred])
    if covariance_type == "tied":
        return sum(c.T @ c for c in centred) / sum(len(c) for c in centred)
    variances = np.array([(c ** 2).mean(axis=0) for c in centred])
    return variances if covariance_type == "diag" else variances.mean(axis=1)


@pytest.mark.parametrize("separation", [50.0, 1e8])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_far_apart_clusters_fit_exactly(covariance_type, separation):
    X, parts = _clusters(separation)
    means = np.array([p.mean(axis=0) for p in parts])
    gm = GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, tol=0.0, max_iter=5,
                         means_init=means)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X)
    np.testing.assert_allclose(gm.means_, means, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(gm.covariances_, _oracle(parts, covariance_type), rtol=1e-9)


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
def test_the_expansion_about_the_centre_stays_for_near_clusters(covariance_type):
    """The fast kernel is kept where it is accurate; the exact one takes over past the limit."""
    X, parts = _clusters(50.0)
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    assert _blocked._Prepared(gm.params_).kernel == covariance_type
    far = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(
        _clusters(1e8)[0])
    assert _blocked._Prepared(far.params_).kernel == "full"
    assert FAR_SPREADS == 1e3


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_blocked_equals_reference_far_apart(covariance_type):
    X, _ = _clusters(1e8)
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    got, ref = summarize(X, gm.params_, block_size=97), _reference.summarize(X, gm.params_)
    np.testing.assert_array_equal(got.shift, ref.shift)
    np.testing.assert_allclose(got.nk, ref.nk, rtol=1e-12)
    new, want = params_from_stats(got, 0.0), params_from_stats(ref, 0.0)
    np.testing.assert_allclose(new.means, want.means, rtol=1e-14)
    np.testing.assert_allclose(new.covariances, want.covariances, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_rows_far_from_every_component_get_probabilities_that_sum_to_one(covariance_type):
    """Regression: a row 1e20 away got probabilities summing to 3 (log-sum-exp added log K
    to a log density of -1e40, where it was lost to rounding, before subtracting)."""
    X, _ = _clusters(50.0)
    X = np.vstack([X, X[:100] - 50.0])
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    far = np.array([[1e20, 0.0], [0.0, -1e20], [1e12, 1e12]])
    proba = gm.predict_proba(far)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(gm.score_samples(far)))
