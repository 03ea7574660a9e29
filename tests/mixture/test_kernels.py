"""The compiled E-step equals numpy's blocked reference; numpy's path still runs without numba."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, assert_stats_close, broken_kernels, init_arrays
from gmm_core import GaussianMixture
from gmm_core.mixture import _blocked, _kernels
from gmm_core.mixture import _reference as reference
from gmm_core.mixture._params import GMMParams

numba_only = pytest.mark.skipif(_kernels.compiled() is None, reason="numba is not installed")
OUTPUTS = ("log_resp", "log_prob_norm", "log_density", "labels")


def _data(n, d, k, seed=0, offset=40.0):
    """k correlated blobs far from the origin (as real data are): (X, params at a soft start)."""
    rng = np.random.RandomState(seed)
    centres = rng.normal(0, 4, (k, d)) + offset
    labels = rng.randint(0, k, n)
    X = centres[labels] + rng.standard_normal((n, d)) @ (rng.normal(size=(d, d)) / np.sqrt(d)
                                                         + np.eye(d))
    return X, rng


def _params(X, rng, covariance_type, k):
    resp = rng.dirichlet(np.ones(k), size=len(X))
    return reference.m_step(X, resp, covariance_type, 1e-6)


@numba_only
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_features, n_components", [(1, 1), (2, 3), (3, 7), (6, 2), (12, 5)])
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_statistics_equal_numpy(covariance_type, n_features, n_components, weighted):
    """1003 rows: blocks of 256 with a ragged last one, split over three threads."""
    X, rng = _data(1003, n_features, n_components)
    params = _params(X, rng, covariance_type, n_components)
    sw = rng.uniform(0.1, 3.0, len(X)) if weighted else None
    for n_threads in (1, 3):
        got = _blocked.summarize(X, params, sw, n_threads=n_threads, block_size=300,
                                 engine="numba")
        ref = _blocked.summarize(X, params, sw, n_threads=1, engine="numpy")
        assert_stats_close(got, ref)


@numba_only
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_features, n_components", [(1, 2), (2, 3), (5, 7), (12, 4)])
def test_compiled_outputs_equal_numpy(covariance_type, n_features, n_components):
    X, rng = _data(777, n_features, n_components, seed=1)
    params = _params(X, rng, covariance_type, n_components)
    for what in OUTPUTS:
        got = _blocked.log_prob_blocks(X, params, what=what, n_threads=2, engine="numba")
        ref = _blocked.log_prob_blocks(X, params, what=what, n_threads=1, engine="numpy")
        assert got.dtype == ref.dtype and got.shape == ref.shape
        if what == "labels":
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10, err_msg=what)


@numba_only
@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_lower_triangular_factors_from_precisions_init(covariance_type):
    """``precisions_init`` gives *lower* Cholesky factors; the compiled band must cover them."""
    X, rng = _data(600, 4, 3, seed=2)
    ref_params = _params(X, rng, covariance_type, 3)
    pc = np.linalg.cholesky(ref_params.precisions)  # lower, where precision_cholesky is upper
    params = GMMParams(ref_params.weights, ref_params.means, ref_params.covariances, pc,
                       covariance_type)
    assert np.allclose(np.triu(pc, 1), 0) and not np.allclose(np.tril(pc, -1), 0)
    assert_stats_close(_blocked.summarize(X, params, engine="numba"),
                        _blocked.summarize(X, params, engine="numpy"))
    assert_stats_close(_blocked.summarize(X, params, engine="numba"),
                        reference.summarize(X, ref_params,
                                            shift=_blocked.summarize(X, params).shift))


@numba_only
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_means_too_far_apart_and_a_weight_of_zero(covariance_type):
    """Far-apart means take each component's own shift; a weight of 0 gives it no rows."""
    X, rng = _data(500, 3, 3, seed=3)
    X[:100] += 1e4  # one cluster 10^4 spreads away: moment_shift falls back to the means
    labels = np.where(np.arange(len(X)) < 100, 0, rng.randint(1, 3, len(X)))
    params = reference.m_step(X, np.eye(3)[labels], covariance_type, 1e-6)
    for p in (params, GMMParams(np.array([0.5, 0.5, 0.0]), params.means, params.covariances,
                                params.precisions_cholesky, covariance_type)):
        got, ref = (_blocked.summarize(X, p, engine=e) for e in ("numba", "numpy"))
        assert got.shift.ndim == 2
        assert_stats_close(got, ref)
        for what in OUTPUTS:
            a, b = (_blocked.log_prob_blocks(X, p, what=what, engine=e)
                    for e in ("numba", "numpy"))
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=what)
    assert got.nk[2] == 0.0


@numba_only
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_fit_is_the_same_on_either_engine(covariance_type, monkeypatch):
    """Ten EM iterations from the same start, weighted: compiled and numpy agree to 1e-10."""
    X, rng = _data(3000, 3, 4, seed=4)
    w, m, p = init_arrays(X, 4, covariance_type)
    sw = rng.uniform(0.5, 2.0, len(X))

    def fit():
        gm = GaussianMixture(4, covariance_type=covariance_type, max_iter=10, tol=0,
                             weights_init=w, means_init=m, precisions_init=p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gm.fit(X, sample_weight=sw)

    assert _kernels.engine() == "numba"
    fast = fit()
    monkeypatch.setenv(_kernels.ENV, "numpy")
    assert _kernels.engine() == "numpy"
    slow = fit()
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-10,
                                   err_msg=name)
    np.testing.assert_allclose(fast.predict_proba(X), slow.predict_proba(X), rtol=1e-9,
                               atol=1e-12)


def test_forcing_numpy_never_calls_the_compiled_kernels(monkeypatch):
    """GMM_EXPLORER_KERNEL=numpy: no plan, so a broken compiled module is never reached."""
    monkeypatch.setenv(_kernels.ENV, "numpy")

    monkeypatch.setitem(_kernels._STATE, "module", broken_kernels("kernel"))
    X, rng = _data(400, 2, 3, seed=5)
    params = _params(X, rng, "full", 3)
    stats = _blocked.summarize(X, params)
    ref = reference.summarize(X, params, shift=stats.shift)
    np.testing.assert_allclose(stats.s2, ref.s2, rtol=1e-10)
    assert _blocked.predict_blocks(X, params).shape == (400,)


def _fresh_process(code):
    """What ``code`` prints, run in a fresh interpreter with the default engine."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop(_kernels.ENV, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_without_numba_the_numpy_path_fits():
    """numba made unimportable in a fresh process: the engine says numpy, and a fit runs."""
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from gmm_core import GaussianMixture\n"
        "from gmm_core.mixture import _blocked, _kernels\n"
        "assert _kernels.compiled() is None and _kernels.engine() == 'numpy'\n"
        "assert _blocked.warm_up(background=False) is None\n"
        "X = np.random.RandomState(0).normal(size=(500, 2)); X[:250] += 8\n"
        "gm = GaussianMixture(2, random_state=0).fit(X)\n"
        "print(sorted(np.round(gm.means_[:, 0]).astype(int).tolist()))\n")
    assert _fresh_process(code) == "[0, 8]"


@numba_only
def test_warm_up_compiles_every_kernel_once_per_process():
    """While the background warm-up runs, passes take numpy's path instead of waiting."""
    code = (
        "import numpy as np\n"
        "from gmm_core.mixture import _blocked, _compiled, _compiled_gaps, _kernels\n"
        "from gmm_core.mixture._params import GMMParams\n"
        "p = GMMParams(np.ones(1), np.zeros((1, 2)), np.ones(1), np.ones(1), 'spherical')\n"
        "thread = _blocked.warm_up()\n"
        "assert thread is not None and _blocked.warm_up() is None\n"
        "assert thread.is_alive() and not _blocked.is_compiled(p)\n"
        "thread.join()\n"
        "assert _blocked.is_compiled(p)\n"
        "for f in (_compiled.stats, _compiled.outputs, _compiled.mirror, _compiled_gaps.stats,\n"
        "          _compiled_gaps.outputs):\n"
        "    assert len(f.signatures) == 1, (f, f.signatures)\n"
        "print('warm')\n")
    assert _fresh_process(code) == "warm"


def test_a_read_only_package_caches_kernels_in_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(_kernels.os, "access", lambda path, mode: False)
    assert _kernels._cache_dir() == os.path.join(str(tmp_path), "gmm-explorer", "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")  # the user's own choice wins
    assert _kernels._cache_dir() is None


def test_a_changed_compiled_source_drops_every_cached_kernel(tmp_path):
    """numba re-checks a cached kernel against its own file only: a kernel of one file that
    calls another file's must not run stale code after that other file changed."""
    from gmm_core.mixture._kernels import CACHE_STAMP, drop_stale_cache

    (tmp_path / "_compiled.py").write_text("A = 1\n")
    (tmp_path / "_compiled_gaps.py").write_text("from _compiled import A\n")
    (tmp_path / "other.py").write_text("")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    kept = cache / "other.f-1.py311.nbi"
    kept.write_text("")

    def cached():
        names = ["_compiled.f-1.py311.nbi", "_compiled_gaps.g-2.py311.1.nbc"]
        for name in names:
            (cache / name).write_text("")
        return [cache / n for n in names]

    files = cached()
    assert drop_stale_cache(tmp_path)  # no stamp yet: nothing proves the cache fresh
    assert not any(f.exists() for f in files) and kept.exists()
    assert (cache / CACHE_STAMP).exists()
    files = cached()
    assert not drop_stale_cache(tmp_path)  # same sources: the cache stays
    assert all(f.exists() for f in files)
    (tmp_path / "_compiled.py").write_text("A = 2\n")  # only the callee's file changes
    assert drop_stale_cache(tmp_path)
    assert not any(f.exists() for f in files) and kept.exists()
    assert not drop_stale_cache(tmp_path / "missing")  # no folder: nothing to do, no error
