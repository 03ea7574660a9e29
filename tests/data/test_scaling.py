"""Tests for gmm_core.data: invertible scaling, exact projections, subsampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gmm_core.data import (
    Scaler,
    axes_projection,
    display_subsample,
    fit_projection,
    pca_projection,
)

METHODS = ("standard", "minmax", "none")


def random_spd(rng, d):
    M = rng.normal(size=(d, d))
    return M @ M.T + 0.1 * np.eye(d)


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 4)) * [1.0, 10.0, 0.01, 1000.0] + [5.0, -3.0, 0.0, 1e4]


@pytest.mark.parametrize("method", METHODS)
def test_scaler_round_trip(X, method):
    sc = Scaler(method).fit(X)
    Z = sc.transform(X)
    np.testing.assert_allclose(sc.inverse_transform(Z), X, rtol=1e-12, atol=1e-9)
    if method == "standard":
        np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z.std(axis=0), 1)
    if method == "minmax":
        np.testing.assert_allclose(Z.min(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z.max(axis=0), 1)
    if method == "none":
        np.testing.assert_array_equal(Z, X)


@pytest.mark.parametrize("method", METHODS)
def test_inverse_means_and_covariances_match_the_data(X, method):
    """A model estimated in scaled units and mapped back equals one estimated in original units."""
    sc = Scaler(method).fit(X)
    Z = sc.transform(X)
    halves = [Z[:100], Z[100:]]
    means = np.array([h.mean(axis=0) for h in halves])
    covs = np.array([np.cov(h, rowvar=False) for h in halves])
    np.testing.assert_allclose(sc.inverse_means(means), [X[:100].mean(0), X[100:].mean(0)])
    np.testing.assert_allclose(
        sc.inverse_covariances(covs),
        [np.cov(X[:100], rowvar=False), np.cov(X[100:], rowvar=False)],
        rtol=1e-9,
        atol=1e-12,
    )
    one = sc.inverse_covariances(covs[0])
    np.testing.assert_allclose(one, np.cov(X[:100], rowvar=False), rtol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_constant_column_does_not_divide_by_zero(method):
    X = np.array([[1.0, 7.0], [2.0, 7.0], [4.0, 7.0]])
    sc = Scaler(method).fit(X)
    Z = sc.transform(X)
    assert np.isfinite(Z).all()
    assert sc.scale_[1] == 1.0
    np.testing.assert_allclose(sc.inverse_transform(Z), X)


def test_scaler_errors():
    with pytest.raises(ValueError, match="method"):
        Scaler("robust").fit([[1.0, 2.0]])
    with pytest.raises(ValueError, match="not fitted"):
        Scaler().transform([[1.0]])
    with pytest.raises(ValueError, match="infinite"):
        Scaler().fit([[1.0, np.inf], [2.0, 3.0]])
    with pytest.raises(ValueError, match="no value at all in column 2"):
        Scaler().fit([[1.0, np.nan], [2.0, np.nan]])
    with pytest.raises(ValueError, match="expected 2 features"):
        Scaler().fit([[1.0, 2.0], [3.0, 4.0]]).transform([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="covariances"):
        Scaler().fit([[1.0, 2.0], [3.0, 4.0]]).inverse_covariances(np.ones((2, 3)))


@pytest.mark.parametrize("method", METHODS)
def test_scaler_leaves_missing_values_out_and_keeps_them_missing(method):
    """Rows with gaps (the reader's missing="use"): statistics of the observed cells only."""
    X = np.array([[1.0, 10.0], [np.nan, 30.0], [3.0, np.nan], [5.0, 20.0]])
    sc = Scaler(method).fit(X)
    observed = [np.array([1.0, 3.0, 5.0]), np.array([10.0, 30.0, 20.0])]
    want = {"standard": ([o.mean() for o in observed], [o.std() for o in observed]),
            "minmax": ([o.min() for o in observed], [np.ptp(o) for o in observed]),
            "none": ([0.0, 0.0], [1.0, 1.0])}[method]
    np.testing.assert_allclose(sc.offset_, want[0])
    np.testing.assert_allclose(sc.scale_, want[1])
    Z = sc.transform(X)
    np.testing.assert_array_equal(np.isnan(Z), np.isnan(X))
    np.testing.assert_allclose(sc.inverse_transform(Z), X)   # NaN where X is NaN


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 3), elements=st.floats(-1e6, 1e6)), st.sampled_from(METHODS))
def test_scaler_round_trip_property(X, method):
    sc = Scaler(method).fit(X)
    Z = sc.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(sc.inverse_transform(Z), X, rtol=1e-9, atol=1e-6)


# --- projections ----------------------------------------------------------------------------


def test_pca_projection_of_covariance_equals_covariance_of_projected_samples():
    rng = np.random.default_rng(1)
    mean, cov = rng.normal(size=4), random_spd(rng, 4)
    S = rng.multivariate_normal(mean, cov, size=200_000)
    proj = fit_projection(S)
    Y = proj.project_points(S)
    np.testing.assert_allclose(
        np.cov(Y, rowvar=False), proj.project_covariances(cov), rtol=0.02, atol=0.02
    )
    np.testing.assert_allclose(Y.mean(axis=0), proj.project_means(mean[None])[0], atol=0.02)
    # exact on the sample itself
    np.testing.assert_allclose(
        np.cov(Y, rowvar=False),
        proj.project_covariances(np.cov(S, rowvar=False)),
        rtol=1e-9,
        atol=1e-12,
    )


def test_pca_axes_are_orthonormal_ordered_and_labelled(X):
    proj = fit_projection(X)
    np.testing.assert_allclose(proj.A @ proj.A.T, np.eye(2), atol=1e-12)
    Y = proj.project_points(X)
    var = Y.var(axis=0)
    assert var[0] >= var[1]
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-8)
    total = X.var(axis=0).sum()
    np.testing.assert_allclose(proj.explained_variance_ratio, var / total)
    assert proj.kind == "pca"
    assert proj.axis_labels[0] == f"PC1 ({var[0] / total:.0%} of variance)"
    # deterministic sign: largest loading positive
    assert all(row[np.abs(row).argmax()] > 0 for row in proj.A)


def test_pca_projection_batches_of_covariances(X):
    rng = np.random.default_rng(2)
    covs = np.array([random_spd(rng, 4) for _ in range(3)])
    proj = pca_projection(X, ["a", "b", "c", "d"])
    out = proj.project_covariances(covs)
    assert out.shape == (3, 2, 2)
    for k in range(3):
        np.testing.assert_allclose(out[k], proj.A @ covs[k] @ proj.A.T)


def test_axes_projection_selects_features(X):
    names = ["a", "b", "c", "d"]
    proj = axes_projection(names, "d", 1)
    assert proj.axis_labels == ("d", "b") and proj.kind == "axes"
    np.testing.assert_array_equal(proj.project_points(X), X[:, [3, 1]])
    cov = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(proj.project_covariances(cov), cov[np.ix_([3, 1], [3, 1])])
    same = fit_projection(X, method="axes", axes=(3, 1), feature_names=names)
    np.testing.assert_array_equal(same.A, proj.A)


def test_projection_errors(X):
    with pytest.raises(ValueError, match="unknown feature"):
        axes_projection(["a", "b"], "a", "z")
    with pytest.raises(ValueError, match="two different"):
        fit_projection(X, method="axes", axes=(1, 1))
    with pytest.raises(ValueError, match="at least 2 features"):
        fit_projection(X[:, :1])
    with pytest.raises(ValueError, match="method"):
        fit_projection(X, method="tsne")


def test_pca_of_degenerate_data():
    proj = fit_projection(np.ones((5, 3)))
    np.testing.assert_array_equal(proj.explained_variance_ratio, [0.0, 0.0])
    assert proj.project_points(np.ones((2, 3))).shape == (2, 2)
    single = fit_projection(np.array([[1.0, 2.0, 3.0]]))
    assert single.A.shape == (2, 3)


# --- subsampling ----------------------------------------------------------------------------


def test_display_subsample_is_deterministic_sorted_and_unique():
    a = display_subsample(100_000, 20_000, seed=3)
    b = display_subsample(100_000, 20_000, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.size == 20_000 and np.all(np.diff(a) > 0) and a[-1] < 100_000
    assert not np.array_equal(a, display_subsample(100_000, 20_000, seed=4))


def test_display_subsample_small_inputs():
    np.testing.assert_array_equal(display_subsample(0), np.arange(0))
    np.testing.assert_array_equal(display_subsample(20_000), np.arange(20_000))
    with pytest.raises(ValueError):
        display_subsample(10, 0)
