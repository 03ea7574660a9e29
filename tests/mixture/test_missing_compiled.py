"""The compiled pass over rows with gaps (``_compiled_gaps``) equals numpy's pattern by pattern.

:func:`gmm_core.mixture._missing.summarize` and :func:`~gmm_core.mixture._missing.log_prob`
with ``engine="numpy"`` are the reference (themselves held to the textbook maths in
``test_missing.py``); here the compiled kernels must give the same statistics and outputs
to 1e-10 for every covariance type, with weights, far-apart means, a weight of 0 and a
pattern cut between two worker threads, and fall back to numpy where they cannot run.
"""

import warnings

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, assert_stats_close, broken_kernels, init_arrays, with_gaps
from gmm_core import CollapseError, ConvergenceWarning, GaussianMixture
from gmm_core.mixture import GMMParams, _kernels
from gmm_core.mixture._missing import group_rows

numba_only = pytest.mark.skipif(_kernels.compiled() is None, reason="numba is not installed")
OUTPUTS = ("log_resp", "log_prob_norm", "log_density", "labels")


def start(X, k, covariance_type):
    """``*_init`` keyword arguments from the complete rows."""
    w, m, p = init_arrays(X[~np.isnan(X).any(axis=1)], k, covariance_type)
    return dict(weights_init=w, means_init=m, precisions_init=p)


def mixture_with_gaps(n, covariance_type, *, d=5, k=3, seed=0, far=False, zero_weight=False):
    """Rows of ``k`` correlated components with 30 % gaps, and a mixture to evaluate them under.

    ``far`` moves component 0 (rows and mean) 1e5 spreads away along column 0, so that
    the full mixture's moment shift is each mean; ``zero_weight`` gives component 2
    a weight of 0 (``weights_init`` may).
    """
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(k, d, d))
    full = a @ np.swapaxes(a, 1, 2) / d + 0.3 * np.eye(d)
    means = rng.normal(0, 4, (k, d)) + 20.0
    if far:
        means[0, 0] += 1e5
    labels = rng.randint(0, k, n)
    X = means[labels] + np.einsum("nij,nj->ni", np.linalg.cholesky(full)[labels],
                                  rng.standard_normal((n, d)))
    covs = {"full": full, "tied": full[0], "diag": np.einsum("kdd->kd", full),
            "spherical": full[:, 0, 0]}[covariance_type]
    weights = np.array([0.5, 0.5, 0.0]) if zero_weight else rng.dirichlet([2.0] * k)
    params = GMMParams.from_covariances(weights, means + 0.1 * rng.normal(size=means.shape),
                                        covs, covariance_type)
    return with_gaps(X, 0.3, seed=seed), params, rng


@numba_only
@pytest.mark.parametrize("case", ["near", "far-apart", "weight-0"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_compiled_pass_equals_numpys_pattern_by_pattern(covariance_type, weighted, case):
    """20,000 rows in 31 patterns: one worker, and two whose runs cut a pattern in two."""
    from gmm_core.mixture._missing import summarize

    X, params, rng = mixture_with_gaps(20_000, covariance_type, far=case == "far-apart",
                                       zero_weight=case == "weight-0")
    sw = rng.uniform(0.1, 3.0, len(X)) if weighted else None
    groups = group_rows(X)
    cut = 16_384  # the two workers' boundary (whole CHUNK_ROWS runs) falls inside a pattern
    p = int(np.searchsorted(groups.bounds, cut, side="right")) - 1
    assert groups.bounds[p] < cut < groups.bounds[p + 1] and groups.n_patterns == 31
    ref = summarize(X, params, sw, groups, n_threads=1, engine="numpy")
    assert np.array_equal(ref.shift, params.means) == (case == "far-apart"
                                                       or covariance_type == "full")
    for n_threads in (1, 2):
        assert_stats_close(summarize(X, params, sw, groups, n_threads=n_threads,
                                     engine="numba"), ref, nk_atol_share=1e-10)
    if case == "weight-0":
        assert ref.nk[2] == 0.0


@numba_only
@pytest.mark.parametrize("case", ["near", "far-apart", "weight-0"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_compiled_outputs_equal_numpys_pattern_by_pattern(covariance_type, case):
    from gmm_core.mixture._missing import log_prob

    X, params, _ = mixture_with_gaps(20_000, covariance_type, seed=1, far=case == "far-apart",
                                     zero_weight=case == "weight-0")
    groups = group_rows(X)
    for what in OUTPUTS:
        ref = log_prob(X, params, groups, what=what, n_threads=1, engine="numpy")
        got = log_prob(X, params, groups, what=what, n_threads=2, engine="numba")
        assert got.dtype == ref.dtype and got.shape == ref.shape
        if what == "labels":
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10, err_msg=what)


@numba_only
def test_many_features_take_the_compiled_pass_too():
    """``full`` at D >= BLAS_MIN_FEATURES: complete rows run BLAS, rows with gaps compile."""
    from gmm_core.mixture import _blocked
    from gmm_core.mixture._missing import log_prob, summarize

    d = _kernels.BLAS_MIN_FEATURES + 1
    X, params, rng = mixture_with_gaps(3000, "full", d=d, seed=3)
    sw = rng.uniform(0.1, 3.0, len(X))
    assert not _blocked.is_compiled(params) and _kernels.gap_plan(params) is not None
    groups = group_rows(X)
    assert_stats_close(summarize(X, params, sw, groups, engine="numba"),
                       summarize(X, params, sw, groups, engine="numpy"), nk_atol_share=1e-10)
    np.testing.assert_allclose(log_prob(X, params, groups, engine="numba"),
                               log_prob(X, params, groups, engine="numpy"), rtol=1e-10,
                               atol=1e-10)


@numba_only
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_fit_of_rows_with_gaps_is_the_same_on_either_engine(covariance_type, monkeypatch):
    """Eight weighted iterations from the same start, then every output, under both engines."""
    X, _, rng = mixture_with_gaps(4000, covariance_type, seed=2)
    sw = rng.uniform(0.5, 2.0, len(X))
    init = start(X, 3, covariance_type)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return GaussianMixture(3, covariance_type=covariance_type, max_iter=8, tol=0,
                                   nan_policy="marginalize", **init).fit(X, sample_weight=sw)

    fast = fit()
    monkeypatch.setenv(_kernels.ENV, "numpy")
    slow = fit()
    np.testing.assert_allclose(fast.lower_bounds_, slow.lower_bounds_, rtol=1e-10)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-10,
                                   err_msg=name)
    monkeypatch.delenv(_kernels.ENV)
    fast_out = fast.score_samples(X), fast.predict_proba(X), fast.predict(X)
    monkeypatch.setenv(_kernels.ENV, "numpy")
    slow_out = slow.score_samples(X), slow.predict_proba(X), slow.predict(X)
    np.testing.assert_allclose(fast_out[0], slow_out[0], rtol=1e-10)
    np.testing.assert_allclose(fast_out[1], slow_out[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(fast_out[2], slow_out[2])


@numba_only
def test_a_sigma_oo_that_does_not_factor_falls_back_to_numpy_and_its_error():
    """An indefinite covariance: the compiled loops give up and numpy's path names the component."""
    from gmm_core.mixture._missing import log_prob, summarize

    X, good, _ = mixture_with_gaps(500, "full", d=3)
    covs = good.covariances.copy()
    covs[1, 0, 0] = -1.0  # no longer positive definite, nor is any Sigma_oo holding column 0
    bad = GMMParams(good.weights, good.means, covs, good.precisions_cholesky, "full")
    with pytest.raises(CollapseError, match="Component 1"):
        summarize(X, bad, engine="numba")
    with pytest.raises(CollapseError, match="Component 1"):
        log_prob(X, bad, engine="numba")


def test_forcing_numpy_never_calls_the_compiled_gap_kernels(monkeypatch):
    from gmm_core.mixture._missing import log_prob, summarize

    X, params, _ = mixture_with_gaps(500, "full", d=3)
    expected = summarize(X, params, engine="numpy")
    monkeypatch.setenv(_kernels.ENV, "numpy")
    _kernels.compiled()  # loaded (or found missing) before the module is replaced
    monkeypatch.setitem(_kernels._STATE, "gaps", broken_kernels("gap kernel"))
    np.testing.assert_array_equal(summarize(X, params).s2, expected.s2)
    assert log_prob(X, params, what="labels").shape == (len(X),)
