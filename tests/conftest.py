"""Shared test data factories."""

import os
import tempfile

import numpy as np
import pytest

# Saved work (ui.disk) goes to a folder of this test run, never the user's cache; the
# servers the browser tests start inherit it.
os.environ.setdefault("GMM_SAVED_DIR", tempfile.mkdtemp(prefix="gmm-saved-"))

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def blobs(n_per=60, centers=((0.0, 0.0), (6.0, 1.0), (1.0, 7.0)), scale=1.0, seed=0):
    """Well-separated Gaussian blobs: (X, y)."""
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(c, scale, (n_per, len(c))) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per)
    perm = rng.permutation(len(y))
    return X[perm], y[perm]


def with_gaps(X, share=0.15, seed=0):
    """``X`` with ``share`` of its cells blank (NaN) completely at random; every row keeps
    a value."""
    rng = np.random.RandomState(seed)
    X = np.array(X, dtype=float)
    gaps = rng.uniform(size=X.shape) < share
    gaps[gaps.all(axis=1), 0] = False
    X[gaps] = np.nan
    return X


def gappy_customers(n=300, *, seed=7, spend_every=None, footer=False):
    """A customer CSV (bytes) of three segments with blank income cells (every 9th row, from
    the 5th) and, with ``spend_every``, blank spend cells (never both in a row)."""
    rng = np.random.default_rng(seed)
    lines = ["CustomerID,Gender,income,spend"]
    for i in range(n):
        cx, cy = [(20, 20), (60, 70), (90, 20)][i % 3]
        income = "" if i % 9 == 4 else f"{cx + rng.normal(0, 5):.1f}"
        blank = spend_every and i % spend_every == 7 and income
        spend = "" if blank else f"{cy + rng.normal(0, 5):.1f}"
        lines.append(f"C{i + 1:04d},{'F' if i % 2 else 'M'},{income},{spend}")
    return ("\n".join(lines) + ("\nTotal,,,\n" if footer else "\n")).encode()


def elongated(n_per=200, seed=0):
    """Three long thin parallel clusters, where k-means cuts across them: (X, y)."""
    rng = np.random.RandomState(seed)
    cov = np.array([[9.0, 0.0], [0.0, 0.15]])
    X = np.vstack([rng.multivariate_normal((0.0, 3.0 * j), cov, n_per) for j in range(3)])
    y = np.repeat(np.arange(3), n_per)
    return X, y


def init_arrays(X, k, covariance_type, seed=1):
    """A fixed, deliberately poor starting point (weights, means, precisions)."""
    rng = np.random.RandomState(seed)
    d = X.shape[1]
    weights = np.full(k, 1.0 / k)
    means = X[rng.choice(len(X), k, replace=False)]
    scale = 1.0 / np.var(X, axis=0).mean()
    precisions = {"full": np.stack([np.eye(d) * scale] * k), "tied": np.eye(d) * scale,
                  "diag": np.full((k, d), scale), "spherical": np.full(k, scale)}
    return weights, means, precisions[covariance_type]


def assert_stats_close(got, ref, *, nk_atol_share=0.0):
    """Two passes' sufficient statistics equal to 1e-10, at the data's scale where a sum is ~0.

    ``nk_atol_share``: an absolute tolerance on ``nk`` as a share of the total weight (a
    component of weight 0 has ``nk`` ~0).
    """
    scale = np.abs(ref.s2).max()  # s1 about the means can be ~0: compare at the data's scale
    np.testing.assert_allclose(got.nk, ref.nk, rtol=1e-10, atol=nk_atol_share * ref.total_weight)
    np.testing.assert_allclose(got.s1, ref.s1, rtol=1e-10, atol=1e-10 * np.sqrt(scale))
    np.testing.assert_allclose(got.s2, ref.s2, rtol=1e-10, atol=1e-10 * scale)
    np.testing.assert_array_equal(got.shift, ref.shift)
    assert got.total_weight == pytest.approx(ref.total_weight, rel=1e-12)
    assert got.log_likelihood_sum == pytest.approx(ref.log_likelihood_sum, rel=1e-10)


def broken_kernels(what):
    """A stand-in compiled module that fails the test if any kernel of it is reached."""
    from gmm_core.mixture._kernels import ENV

    class Broken:
        def __getattr__(self, name):
            raise AssertionError(f"compiled {what} {name} called under {ENV}=numpy")

    return Broken()


@pytest.fixture
def blob_data():
    return blobs()


@pytest.fixture(params=COVARIANCE_TYPES)
def covariance_type(request):
    return request.param
