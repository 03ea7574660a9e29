"""Compiled k-means, silhouette and post-fit summary equal their numpy / scikit-learn references."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import silhouette_score as sklearn_silhouette

from conftest import blobs, broken_kernels
from gmm_core import GaussianMixture, make_customers
from gmm_core.analysis import choose_k
from gmm_core.mixture import _blocked, _hierarchical, _kernels, _kmeans, _selection

numba_only = pytest.mark.skipif(_kernels.compiled() is None, reason="numba is not installed")


def _gridded(n, seed=0):
    """Rows on a grid (integer scores, incomes to one decimal), standardised: many ties."""
    rng = np.random.RandomState(seed)
    X = np.column_stack([np.round(rng.gamma(6, 10, n), 1), rng.randint(1, 101, n)]).astype(float)
    return (X - X.mean(axis=0)) / X.std(axis=0)


@numba_only
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_clusters", [1, 3, 8])
def test_compiled_lloyd_gives_numpys_labels_and_centres(n_clusters, weighted):
    """On 40,000 gridded rows (two worker threads, ties between centres): the same labels and,
    to rounding, the same centres from the same seed, whichever engine runs Lloyd's passes."""
    X = _gridded(40_000)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(X)) if weighted else None
    runs = {e: _kmeans.kmeans(X, n_clusters, random_state=np.random.RandomState(7),
                              sample_weight=w, max_iter=10, engine=e) for e in ("numpy", "numba")}
    (c_np, l_np), (c_nb, l_nb) = runs["numpy"], runs["numba"]
    np.testing.assert_array_equal(l_nb, l_np)
    np.testing.assert_allclose(c_nb, c_np, rtol=1e-12, atol=1e-12)


@numba_only
def test_compiled_lloyd_reaches_the_reference_fixed_point():
    X, _ = blobs(n_per=3000)
    centers, labels = _kmeans.kmeans(X, 3, random_state=np.random.RandomState(0), max_iter=300,
                                     tol=0, engine="numba")
    ref_centers, ref_labels = _kmeans.kmeans_reference(X[::10], centers, 0)
    np.testing.assert_array_equal(ref_labels, labels[::10])
    moved, _ = _kmeans.kmeans_reference(X, centers, 1)
    np.testing.assert_allclose(moved, centers, rtol=1e-12)


@pytest.mark.parametrize("engine", ["numpy", pytest.param("numba", marks=numba_only)])
@pytest.mark.parametrize("data", ["blobs", "gridded", "singletons"])
def test_silhouette_is_scikit_learns(engine, data):
    """The same value as ``sklearn.metrics.silhouette_score`` to 1e-10: clusters of one row
    (silhouette 0), labels that are not 0..K-1, duplicated rows."""
    if data == "blobs":
        X, labels = blobs(n_per=400)
        labels = labels * 3 + 5
    elif data == "gridded":
        X = _gridded(3000, seed=2)
        labels = _kmeans.kmeans(X, 6, random_state=np.random.RandomState(0))[1]
    else:
        X, labels = blobs(n_per=50)
        X = np.vstack([X, [[30.0, 30.0], [-30.0, 9.0]]])
        labels = np.concatenate([labels, [3, 4]])
    got = _kmeans.silhouette_score(X, labels, engine=engine)
    assert got == pytest.approx(sklearn_silhouette(X, labels), abs=1e-10)


@numba_only
def test_silhouette_refuses_what_scikit_learn_refuses():
    X, _ = blobs(n_per=5)
    for labels in (np.zeros(len(X), dtype=int), np.arange(len(X))):
        with pytest.raises(ValueError, match="Number of labels is"):
            _kmeans.silhouette_score(X, labels, engine="numba")
        with pytest.raises(ValueError, match="Number of labels is"):
            sklearn_silhouette(X, labels)


@pytest.mark.parametrize("engine", ["numpy", pytest.param("numba", marks=numba_only)])
def test_posterior_summary_is_score_entropy_and_predict(covariance_type, engine):
    """One pass gives what ``score``, ``predict_proba`` and ``predict`` give (30,000 rows: two
    threads), for every covariance type."""
    X, _ = blobs(n_per=10_000, centers=((0, 0), (3, 0.5), (1, 4)))
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0, max_iter=5).fit(X)
    ll_sum, entropy, labels = _blocked.posterior_summary(X, gm.params_, engine=engine)
    resp = gm.predict_proba(X)
    assert ll_sum / len(X) == pytest.approx(gm.score(X), rel=1e-12)
    assert entropy == pytest.approx(-np.sum(resp * np.log(np.maximum(resp, 1e-300))), rel=1e-10)
    np.testing.assert_array_equal(labels, gm.predict(X))


def test_a_grid_row_scores_a_fit_as_its_model_does():
    """The fused scores of a table row equal the model's own ``score`` and ``predict_proba``."""
    X, _ = blobs(n_per=200)
    gm = GaussianMixture(3, random_state=0).fit(X)
    fast, slow = _selection._scores(gm, X, False), _selection._scores(gm, X, True)
    assert slow[2] is None
    np.testing.assert_allclose(fast[:2], slow[:2], rtol=1e-12)
    np.testing.assert_array_equal(fast[2], gm.predict(X))


def test_forcing_numpy_never_calls_the_compiled_kmeans_kernels(monkeypatch):
    monkeypatch.setenv(_kernels.ENV, "numpy")

    monkeypatch.setitem(_kernels._STATE, "kmeans_module", broken_kernels("kernel"))
    X, labels = blobs(n_per=50)
    _, found = _kmeans.kmeans(X, 3, random_state=np.random.RandomState(0))
    assert _kmeans.silhouette_score(X, found) == pytest.approx(sklearn_silhouette(X, found))


def test_the_ward_tree_is_reused_across_k_and_never_across_data():
    X, _ = blobs(n_per=300)
    ks = range(2, 6)
    kept = [_hierarchical.hierarchical_labels(X, k) for k in ks]
    fresh = []
    for k in ks:
        _hierarchical._LAST.clear()
        fresh.append(_hierarchical.hierarchical_labels(X, k))
    for (rows_a, a), (rows_b, b) in zip(kept, fresh, strict=True):
        np.testing.assert_array_equal(rows_a, rows_b)
        np.testing.assert_array_equal(a, b)
    other = X[::-1].copy()  # the same rows in another order: another sample, another tree
    _, b = _hierarchical.hierarchical_labels(other, 3)
    _hierarchical._LAST.clear()
    np.testing.assert_array_equal(b, _hierarchical.hierarchical_labels(other, 3)[1])


@numba_only
def test_warm_up_compiles_the_kmeans_kernels_once():
    """After the warm-up, k-means, the silhouette and the post-fit summary add no signature."""
    code = (
        "import numpy as np\n"
        "from gmm_core.mixture import _blocked, _compiled, _compiled_kmeans, _kmeans\n"
        "from gmm_core import GaussianMixture\n"
        "_blocked.warm_up(background=False)\n"
        "X = np.random.RandomState(0).normal(size=(20000, 3))\n"
        "_, labels = _kmeans.kmeans(X, 4, random_state=np.random.RandomState(0))\n"
        "_kmeans.kmeans(X, 4, random_state=np.random.RandomState(1), sample_weight=X[:, 0] ** 2)\n"
        "_kmeans.silhouette_score(X[:500], labels[:500])\n"
        "gm = GaussianMixture(2, covariance_type='diag', max_iter=2).fit(X)\n"
        "_blocked.posterior_summary(X, gm.params_)\n"
        "for f in (_compiled_kmeans.lloyd, _compiled_kmeans.distance_sums, _compiled.summary):\n"
        "    assert len(f.signatures) == 1, (f, f.signatures)\n"
        "print('warm')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop(_kernels.ENV, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "warm"


@pytest.mark.parametrize("weighted", [False, True])
def test_m_step_from_labels_is_the_one_hot_m_step(covariance_type, weighted):
    """Hard labels (each component's own rows) give the M-step of their one-hot
    responsibilities, an empty component included."""
    rng = np.random.RandomState(3)
    X = rng.normal(size=(5000, 3)) * [3.0, 40.0, 1.0] + 100.0
    labels = rng.randint(0, 4, len(X))
    labels[labels == 2] = 3  # component 2 empty
    w = rng.uniform(0.5, 2.0, len(X)) if weighted else None
    one_hot = np.eye(4)[labels]
    got = _blocked.m_step(X, covariance_type, 1e-6, w, labels=labels, n_components=4)
    ref = _blocked.m_step(X, covariance_type, 1e-6, w, resp=one_hot)
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


@numba_only
def test_the_choose_k_sweep_is_the_same_on_either_engine(monkeypatch):
    """Choose k's sweep and KMeans curves on 20,000 customers (worker threads in every pass):
    the same fits -- iterations, convergence, degeneracy -- and criteria to 1e-9 whether the
    compiled kernels or numpy's reference run, and the same table twice over."""
    X = make_customers(20_000, random_state=2).frame[
        ["Annual income (k$)", "Spending score (1-100)"]].to_numpy(float)

    def sweep():
        sel = choose_k.model_sweep(X, range(1, 5), ["full", "diag"], n_init=2)
        return sel.table, choose_k.kmeans_sweep(X, range(1, 5))

    (table, km), (again, km_again) = sweep(), sweep()
    monkeypatch.setenv(_kernels.ENV, "numpy")
    ref, km_ref = sweep()
    same = ["n_components", "covariance_type", "init", "seed", "n_iter", "converged",
            "degenerate", "error"]
    assert table[same].equals(ref[same]) and table[same].equals(again[same])
    for column in ("bic", "aic", "icl", "log_likelihood"):
        np.testing.assert_array_equal(table[column], again[column])
        np.testing.assert_allclose(table[column], ref[column], rtol=1e-9)
    assert km.equals(km_again)
    np.testing.assert_allclose(km["silhouette"], km_ref["silhouette"], rtol=1e-10)
