"""gmm_core.mixture._dask: the same EM on Dask -- equal to the in-memory fit, lazy predictions,
and a fit over data several times larger than a worker's memory."""

import pathlib
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import COVARIANCE_TYPES, blobs, init_arrays
from dask_support import require_dask
from gmm_core import ConvergenceWarning, DataError, GaussianMixture

ROOT = pathlib.Path(__file__).resolve().parents[2]
RTOL = 1e-10


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, shared by the module's tests."""
    require_dask()
    from distributed import Client

    from gmm_core.mixture import local_cluster

    with local_cluster(2) as cluster, Client(cluster) as c:
        yield c


def max_rel(a, b):
    """Largest elementwise |a - b| / |a| (a's zeros compared absolutely)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.where(a == 0, 1.0, np.abs(a))))


def fitted_differences(mem, dsk):
    return {name: max_rel(getattr(mem, name), getattr(dsk, name))
            for name in ("weights_", "means_", "covariances_", "lower_bound_")}


def dataset(n_features, seed=0):
    """Three blobs; with more than 2 features the extra ones are noise on another scale."""
    X, y = blobs(n_per=1500, seed=seed)
    if n_features > 2:
        rng = np.random.RandomState(seed + 10)
        X = np.hstack([X, rng.normal(3.0, 2.0, (len(X), n_features - 2))])
    return X, y


def test_import_gmm_core_does_not_import_dask():
    code = ("import sys, gmm_core, gmm_core.mixture._dask, gmm_core.cli; "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "False"


# ---------------------------------------------------------------- equal to the in-memory fit
@pytest.mark.parametrize("n_features", [2, 6])  # 6 > fast.SMALL_D: the BLAS kernel
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_equals_in_memory_fit_from_the_same_start(client, covariance_type, n_features):
    import dask.array as da

    X, _ = dataset(n_features)
    w, m, p = init_arrays(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, weights_init=w, means_init=m,
              precisions_init=p, tol=1e-8, max_iter=200)
    mem = GaussianMixture(3, **kw).fit(X)
    Xd = da.from_array(X, chunks=(997, n_features))  # uneven chunks, 5 of them
    dsk = GaussianMixture(3, **kw).fit(Xd)
    diffs = fitted_differences(mem, dsk)
    print(f"\n{covariance_type} D={n_features}: n_iter {dsk.n_iter_}, max relative "
          "difference " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    assert dsk.n_iter_ == mem.n_iter_ > 5
    assert dsk.converged_ and mem.converged_
    assert max(diffs.values()) < RTOL, diffs
    np.testing.assert_allclose(dsk.lower_bounds_, mem.lower_bounds_, rtol=RTOL)


def test_default_start_equals_in_memory_when_the_sample_is_all_rows(client):
    """With at most init_sample_size rows the sample is the data, so k-means init is too."""
    import dask.array as da

    X, _ = dataset(2, seed=4)
    Xd = da.from_array(X, chunks=1000)
    for seed in (7, 8):  # run to convergence from the default start
        mem = GaussianMixture(3, random_state=seed).fit(X)
        dsk = GaussianMixture(3, random_state=seed).fit(Xd)
        assert dsk.n_iter_ == mem.n_iter_
        assert max(fitted_differences(mem, dsk).values()) < RTOL
    # Restarts pick the same best run. On the data above every restart reaches the
    # same optimum, so they tie to the last bit and which one wins (the same mixture
    # in another component order) is up to rounding; here k = 3 of 5 overlapping
    # clusters, stopped after 4 iterations, leaves the restarts apart.
    from gmm_core.data.datasets import make_elongated_blobs

    X = make_elongated_blobs(3000, n_components=5, random_state=3).features.to_numpy()
    kw = dict(n_init=3, max_iter=4, tol=0, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mem = GaussianMixture(3, **kw).fit(X)
        dsk = GaussianMixture(3, **kw).fit(da.from_array(X, chunks=700))
    assert max(fitted_differences(mem, dsk).values()) < RTOL


def test_weighted_fit_equals_in_memory_with_dask_weights(client):
    import dask.array as da

    X, _ = dataset(2, seed=1)
    sw = np.random.RandomState(2).uniform(0.0, 3.0, len(X))
    w, m, p = init_arrays(X, 3, "full")
    kw = dict(weights_init=w, means_init=m, precisions_init=p, tol=1e-8)
    mem = GaussianMixture(3, **kw).fit(X, sample_weight=sw)
    # weights chunked differently from X: they are aligned to X's rows
    dsk = GaussianMixture(3, **kw).fit(da.from_array(X, chunks=(800, 2)),
                                       sample_weight=da.from_array(sw, chunks=1300))
    assert max(fitted_differences(mem, dsk).values()) < RTOL
    unweighted = GaussianMixture(3, **kw).fit(X)
    assert max_rel(unweighted.means_, dsk.means_) > 1e-6  # the weights did count


def test_predictions_are_lazy_and_equal_in_memory(client):
    import dask.array as da

    X, _ = dataset(6, seed=2)
    gm = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    Xd = da.from_array(X, chunks=(1100, 6))
    labels, proba, logp = gm.predict(Xd), gm.predict_proba(Xd), gm.score_samples(Xd)
    for lazy in (labels, proba, logp):
        assert isinstance(lazy, da.Array)
        assert lazy.chunks[0] == Xd.chunks[0]
    assert proba.shape == (len(X), 3)
    np.testing.assert_array_equal(labels.compute(), gm.predict(X))
    np.testing.assert_allclose(proba.compute(), gm.predict_proba(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(logp.compute(), gm.score_samples(X), rtol=1e-12)
    assert gm.score(Xd) == pytest.approx(gm.score(X), rel=1e-12)
    assert gm.bic(Xd) == pytest.approx(gm.bic(X), rel=1e-12)


def test_fit_predict_returns_lazy_labels_of_the_fit(client):
    import dask.array as da

    X, y = dataset(2, seed=3)
    Xd = da.from_array(X, chunks=1000)
    gm = GaussianMixture(3, random_state=0)
    labels = gm.fit_predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), gm.predict(X))
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(y, labels.compute()) > 0.95


def test_sample_initialisation_recovers_the_blobs(client):
    """More rows than init_sample_size: k-means runs on a sample, EM on every row."""
    import dask.array as da

    from gmm_core.mixture import _dask as scale

    X, y = blobs(n_per=3000, seed=5)
    gm = GaussianMixture(3, random_state=1)
    scale.fit(gm, da.from_array(X, chunks=2000), init_sample_size=300)
    order = np.argsort(gm.means_[:, 0] + 10 * gm.means_[:, 1])
    np.testing.assert_allclose(gm.means_[order], [[0, 0], [6, 1], [1, 7]], atol=0.1)
    assert gm.converged_


def test_dask_dataframe_fit_keeps_feature_names(client):
    import dask.dataframe as dd

    X, _ = dataset(2, seed=6)
    pdf = pd.DataFrame(X, columns=["income", "spend"])
    ddf = dd.from_pandas(pdf, npartitions=4)
    w, m, p = init_arrays(X, 3, "diag")
    kw = dict(covariance_type="diag", weights_init=w, means_init=m, precisions_init=p)
    dsk = GaussianMixture(3, **kw).fit(ddf)
    mem = GaussianMixture(3, **kw).fit(pdf)
    assert list(dsk.feature_names_in_) == ["income", "spend"]
    assert max(fitted_differences(mem, dsk).values()) < RTOL
    labels = dsk.predict(ddf)
    assert np.isnan(labels.shape[0])  # lazy: not even the partitions' lengths computed
    np.testing.assert_array_equal(labels.compute(), mem.predict(pdf))
    np.testing.assert_allclose(dsk.predict_proba(ddf).compute(), mem.predict_proba(pdf),
                               rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="feature names should match"):
        dsk.predict(ddf.rename(columns={"spend": "spending"}))


def test_non_numeric_dask_column_is_a_data_error(client):
    import dask.dataframe as dd

    ddf = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0, 3.0], "city": ["a", "b", "c"]}),
                         npartitions=1)
    with pytest.raises(DataError, match="'city' is not numeric"):
        GaussianMixture(1).fit(ddf)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_rows_with_gaps_fit_on_the_cluster_as_in_memory(client, covariance_type):
    """nan_policy="marginalize" on worker processes: the same fit, and a row with no value
    refused by its number in the whole array (the DataError comes back from a worker)."""
    import dask.array as da

    X, _ = dataset(6)
    X[np.random.RandomState(3).uniform(size=X.shape) < 0.2] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    w, m, p = init_arrays(X[~np.isnan(X).any(axis=1)], 3, covariance_type)
    kw = dict(covariance_type=covariance_type, weights_init=w, means_init=m,
              precisions_init=p, tol=1e-8, max_iter=100, nan_policy="marginalize")
    mem = GaussianMixture(3, **kw).fit(X)
    dsk = GaussianMixture(3, **kw).fit(da.from_array(X, chunks=(997, 6)))
    assert dsk.n_iter_ == mem.n_iter_ > 5
    assert max(fitted_differences(mem, dsk).values()) < RTOL
    np.testing.assert_allclose(mem.impute(da.from_array(X, chunks=(997, 6))).compute(),
                               mem.impute(X), rtol=RTOL)
    X[2345] = np.nan
    with pytest.raises(DataError, match=r"\(row 2346, counting from 1\)"):
        GaussianMixture(3, **kw).fit(da.from_array(X, chunks=(997, 6)))


def test_nan_in_a_chunk_names_the_row_of_the_whole_array(client):
    import dask.array as da

    X, _ = dataset(2)
    X[2345, 1] = np.nan
    with pytest.raises(ValueError, match=r"first at row 2345, column 1"):
        GaussianMixture(2, random_state=0, init_params="random").fit(
            da.from_array(X, chunks=1000))


@pytest.mark.parametrize("bad, message", [
    (lambda X: X[:, 0], "Expected 2D array"),
    (lambda X: X[:1], "at least 2"),
    (lambda X: X.astype(complex), "Complex data"),
])
def test_bad_dask_input_is_refused_like_in_memory_input(client, bad, message):
    import dask.array as da

    X, _ = dataset(2)
    with pytest.raises(ValueError, match=message):
        GaussianMixture(1).fit(bad(da.from_array(X, chunks=1000)))


def test_loop_semantics_are_shared(client):
    """max_iter, the convergence warning and n_iter_ come from the one EM loop."""
    import dask.array as da

    X, _ = dataset(2)
    gm = GaussianMixture(3, max_iter=2, tol=0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm.fit(da.from_array(X, chunks=1000))
    assert gm.n_iter_ == 2 and not gm.converged_ and len(gm.lower_bounds_) == 2
    seen = []
    from gmm_core.mixture import _dask as scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scale.fit(GaussianMixture(3, n_init=2, max_iter=3, tol=0, random_state=0),
                  da.from_array(X, chunks=1000),
                  on_iteration=lambda it: seen.append((it.run, it.n_iter)))
    assert seen == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]


def test_unfitted_model_refuses_dask_input(client):
    import dask.array as da

    from gmm_core import NotFittedError

    with pytest.raises(NotFittedError):
        GaussianMixture(2).predict(da.zeros((4, 2)))


# ---------------------------------------------------------------- out of core
def _mixture_block(block_id=None, n_rows=0, n_features=0, seed=0):
    """One chunk of a 3-component mixture, generated on the worker from its block number."""
    centers = np.random.default_rng(seed).normal(0.0, 5.0, (3, n_features))
    rng = np.random.default_rng([seed, block_id[0]])
    x = rng.standard_normal((n_rows, n_features))
    x += centers[rng.integers(0, 3, n_rows)]
    return x


def _rss():
    import psutil
    return psutil.Process().memory_info().rss


@pytest.mark.slow
def test_out_of_core_fit_keeps_worker_memory_flat():
    """2.4 GB generated chunk by chunk on two workers limited to 600 MB each.

    Pausing is off, so a worker that outgrew its limit would be killed and the fit
    fail, rather than hang.
    """
    require_dask()
    import dask
    import dask.array as da
    from distributed import Client

    from gmm_core.mixture import local_cluster

    limit, n_blocks, n_rows, n_features = 600e6, 150, 250_000, 8
    X = da.map_blocks(_mixture_block, n_rows=n_rows, n_features=n_features, seed=3,
                      chunks=((n_rows,) * n_blocks, (n_features,)), dtype=np.float64)
    assert X.nbytes >= 4 * limit
    with dask.config.set({"distributed.worker.memory.pause": False}), \
            local_cluster(2, memory_limit=int(limit)) as cluster, Client(cluster) as c:
        baseline = c.run(_rss)
        peaks, done = dict(baseline), threading.Event()

        def sample():
            while not done.is_set():
                for worker, rss in c.run(_rss).items():
                    peaks[worker] = max(peaks.get(worker, 0), rss)
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        gm = GaussianMixture(3, covariance_type="diag", max_iter=2, tol=0, random_state=0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gm.fit(X)
        finally:
            done.set()
            sampler.join()
        seconds = time.monotonic() - started
        restarted = set(c.run(_rss)) != set(baseline)
    print(f"\nout of core: {X.nbytes / 1e9:.1f} GB on 2 workers limited to {limit / 1e6:.0f} "
          f"MB; {seconds:.0f} s; worker RSS baseline "
          f"{', '.join(f'{v / 1e6:.0f}' for v in baseline.values())} MB, peak "
          f"{', '.join(f'{v / 1e6:.0f}' for v in peaks.values())} MB")
    assert not restarted, "a worker was restarted (out of memory?)"
    assert max(peaks.values()) < 0.8 * limit  # where distributed would pause a worker
    centers = np.random.default_rng(3).normal(0.0, 5.0, (3, n_features))
    fitted = gm.means_[np.argsort(gm.means_[:, 0])]
    np.testing.assert_allclose(fitted, centers[np.argsort(centers[:, 0])], atol=0.01)
    np.testing.assert_allclose(gm.covariances_, 1.0, atol=0.01)
