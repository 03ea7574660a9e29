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


@pytest.fixture
def blob_data():
    return blobs()


@pytest.fixture(params=COVARIANCE_TYPES)
def covariance_type(request):
    return request.param
