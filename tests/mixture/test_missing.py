"""gmm_core.mixture._missing: EM over rows with gaps (``nan_policy="marginalize"``).

The oracle is :func:`reference_em_step`, the maths written as plainly as it
reads in a textbook: per row and per component, scipy's multivariate normal on
the observed block for the E-step, the conditional mean and covariance of the
missing block by ``np.linalg.inv``, and the M-step of each covariance type
taken from the expected scatter matrix (the derivation the engine's lifted
statistics must agree with).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from benchmarks.missing import FRACTIONS, parameter_errors
from conftest import COVARIANCE_TYPES, blobs, init_arrays
from gmm_core import ConvergenceWarning, DataError, GaussianMixture
from gmm_core.mixture import GMMParams, full_covariances
from gmm_core.mixture._missing import group_rows

RTOL = 1e-10


def with_gaps(X, fraction, seed=0):
    """``X`` with ``fraction`` of its cells set to NaN at random; no row left empty."""
    rng = np.random.RandomState(seed)
    out = X.copy()
    out[rng.uniform(size=X.shape) < fraction] = np.nan
    empty = np.isnan(out).all(axis=1)
    out[empty, 0] = X[empty, 0]
    return out


def correlated(n=60, seed=0):
    """Two correlated 3-D components, so the conditional means depend on the observed cells."""
    rng = np.random.RandomState(seed)
    a = np.array([[1.0, 0.8, 0.3], [0.8, 1.5, -0.4], [0.3, -0.4, 0.7]])
    X = np.vstack([rng.multivariate_normal([0, 0, 0], a, n // 2),
                   rng.multivariate_normal([4, 1, -2], a[::-1, ::-1] * 0.6, n - n // 2)])
    return X[rng.permutation(n)]


def start(X, k, covariance_type):
    """``*_init`` keyword arguments from the complete rows."""
    w, m, p = init_arrays(X[~np.isnan(X).any(axis=1)], k, covariance_type)
    return dict(weights_init=w, means_init=m, precisions_init=p)


def reference_posterior(X, weights, means, covs):
    """Per row and component: log(w_k N(x_o | mu_o, S_oo)), the filled row and C."""
    n, d = X.shape
    k = len(weights)
    log_p, fills, conds = np.empty((n, k)), np.empty((n, k, d)), np.zeros((n, k, d, d))
    for i in range(n):
        o = ~np.isnan(X[i])
        m = ~o
        for j in range(k):
            s, mu = covs[j], means[j]
            log_p[i, j] = np.log(weights[j]) + multivariate_normal(
                mu[o], s[np.ix_(o, o)]).logpdf(X[i, o])
            gain = s[np.ix_(m, o)] @ np.linalg.inv(s[np.ix_(o, o)])
            fills[i, j] = X[i]
            fills[i, j, m] = mu[m] + gain @ (X[i, o] - mu[o])
            conds[i, j][np.ix_(m, m)] = s[np.ix_(m, m)] - gain @ s[np.ix_(o, m)]
    return log_p, fills, conds


def reference_em_step(X, sample_weight, weights, means, covs, covariance_type, reg_covar):
    """One EM iteration from (weights, means, full covs): new parameters, mean log-likelihood."""
    log_p, fills, conds = reference_posterior(X, weights, means, covs)
    log_norm = logsumexp(log_p, axis=1)
    wr = np.exp(log_p - log_norm[:, None]) * sample_weight[:, None]
    nk = wr.sum(axis=0)
    new_means = np.einsum("ik,ikd->kd", wr, fills) / nk[:, None]
    scatter = np.zeros_like(covs)
    for j in range(len(weights)):
        diff = fills[:, j] - new_means[j]
        scatter[j] = np.einsum("i,id,ie->de", wr[:, j], diff, diff) + np.einsum(
            "i,ide->de", wr[:, j], conds[:, j])
    d = X.shape[1]
    if covariance_type == "full":
        new = scatter / nk[:, None, None] + reg_covar * np.eye(d)
    elif covariance_type == "tied":
        new = np.repeat((scatter.sum(axis=0) / nk.sum() + reg_covar * np.eye(d))[None],
                        len(nk), axis=0)
    elif covariance_type == "diag":
        new = np.einsum("kdd->kd", scatter) / nk[:, None] + reg_covar
        new = np.einsum("kd,de->kde", new, np.eye(d))
    else:
        var = np.einsum("kdd->k", scatter) / (d * nk) + reg_covar
        new = var[:, None, None] * np.eye(d)
    ll = float(sample_weight @ log_norm / sample_weight.sum())
    return nk / nk.sum(), new_means, new, ll


# ---------------------------------------------------------------- no gaps: the plain EM
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_without_nan_marginalize_is_the_plain_em_bit_for_bit(covariance_type):
    X, _ = blobs()
    sw = np.random.RandomState(3).uniform(0.5, 2.0, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [GaussianMixture(3, covariance_type=covariance_type, random_state=0, tol=0,
                                max_iter=15, nan_policy=policy).fit(X, sample_weight=sw)
                for policy in ("raise", "marginalize")]
    plain, marg = fits
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(marg, name), getattr(plain, name))
    assert marg.lower_bounds_ == plain.lower_bounds_
    np.testing.assert_array_equal(marg.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(marg.score_samples(X), plain.score_samples(X))
    np.testing.assert_array_equal(marg.impute(X), X)


# ---------------------------------------------------------------- the reference
@pytest.mark.parametrize("scale", [1.0, 1e4], ids=["near", "far-apart"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_agrees_with_the_slow_reference(covariance_type, scale):
    """Three iterations and the final E-step match the textbook maths to 1e-10.

    ``far-apart`` puts the means 1e4 spreads apart along column 0 only: the full
    mixture's moments are then taken about each mean while a pattern missing
    column 0 sees means that coincide (about their centre) -- the lift between
    the two shifts is exercised.
    """
    X = correlated()
    X[:, 0] *= scale
    X = with_gaps(X, 0.3, seed=1)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, len(X))
    init = start(X, 2, covariance_type)
    n_iter, reg = 3, 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(2, covariance_type=covariance_type, max_iter=n_iter, tol=0,
                             reg_covar=reg, nan_policy="marginalize", **init)
        gm.fit(X, sample_weight=sw)
    prec = init["precisions_init"]
    covs = {"full": lambda: np.linalg.inv(prec), "tied": lambda: np.linalg.inv(prec),
            "diag": lambda: 1.0 / prec, "spherical": lambda: 1.0 / prec}[covariance_type]()
    weights, means = init["weights_init"], init["means_init"]
    covs = full_covariances(covs, covariance_type, 2, X.shape[1])
    bounds = []
    for _ in range(n_iter):
        weights, means, covs, ll = reference_em_step(X, sw, weights, means, covs,
                                                     covariance_type, reg)
        bounds.append(ll)
    np.testing.assert_allclose(gm.lower_bounds_, bounds, rtol=RTOL)
    np.testing.assert_allclose(gm.weights_, weights, rtol=RTOL)
    np.testing.assert_allclose(gm.means_, means, rtol=RTOL, atol=RTOL * scale)
    np.testing.assert_allclose(gm.full_covariances_, covs, rtol=RTOL,
                               atol=RTOL * np.abs(covs).max())
    log_p, fills, _ = reference_posterior(X, weights, means, covs)
    log_norm = logsumexp(log_p, axis=1)
    resp = np.exp(log_p - log_norm[:, None])
    np.testing.assert_allclose(gm.score_samples(X), log_norm, rtol=RTOL)
    np.testing.assert_allclose(gm.predict_proba(X), resp, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(gm.predict(X), resp.argmax(axis=1))
    np.testing.assert_allclose(gm.impute(X), np.einsum("ik,ikd->id", resp, fills), rtol=RTOL,
                               atol=RTOL * scale)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), fraction=st.floats(0.05, 0.6),
       scale=st.sampled_from([1.0, 1e3, 1e5]), covariance_type=st.sampled_from(COVARIANCE_TYPES))
def test_the_lifted_statistics_are_the_expected_ones(seed, fraction, scale, covariance_type):
    """One pass's statistics equal sum_i r_ik E[(x - shift_k), (x - shift_k)(...)^T | x_o, k].

    Random mixtures (means up to 1e5 spreads apart: every combination of the
    two shift rules on the full and the observed columns) and random gaps.
    """
    from gmm_core.mixture._missing import summarize

    rng = np.random.RandomState(seed)
    X = with_gaps(correlated(40, seed=seed % 1000) * [scale, 1.0, 1.0], fraction, seed=seed)
    a = rng.normal(size=(2, 3, 3))
    full = a @ np.swapaxes(a, 1, 2) + 0.3 * np.eye(3)
    covs = {"full": full, "tied": full[0], "diag": np.einsum("kdd->kd", full),
            "spherical": full[:, 0, 0]}[covariance_type]
    means = rng.normal(size=(2, 3)) + [[0.0, 0, 0], [4.0 * scale, 1, -2]]
    params = GMMParams.from_covariances(rng.dirichlet([2, 2]), means, covs, covariance_type)
    got = summarize(X, params)
    log_p, fills, conds = reference_posterior(X, params.weights, params.means,
                                              params.full_covariances)
    resp = np.exp(log_p - logsumexp(log_p, axis=1)[:, None])
    shift = np.broadcast_to(got.shift, params.means.shape)
    diff = fills - shift[None]  # (n, K, D)
    s2 = np.einsum("ik,ikd,ike->kde", resp, diff, diff) + np.einsum("ik,ikde->kde", resp, conds)
    s2 = {"full": s2, "tied": s2.sum(axis=0)}.get(covariance_type, np.einsum("kdd->kd", s2))
    np.testing.assert_allclose(got.nk, resp.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(got.s1, np.einsum("ik,ikd->kd", resp, diff), rtol=1e-9,
                               atol=1e-9 * np.abs(diff).max() * len(X))
    np.testing.assert_allclose(got.s2, s2, rtol=1e-9, atol=1e-9 * np.abs(s2).max())
    assert got.log_likelihood_sum == pytest.approx(logsumexp(log_p, axis=1).sum(), rel=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type):
    X = with_gaps(blobs(n_per=80)[0], 0.4, seed=5)
    sw = np.random.RandomState(0).uniform(0.1, 3.0, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(3, covariance_type=covariance_type, tol=0, max_iter=60,
                             init_params="random", random_state=1,
                             nan_policy="marginalize").fit(X, sample_weight=sw)
    bounds = np.array(gm.lower_bounds_)
    assert len(bounds) == 60 and bounds[-1] > bounds[0] + 0.01
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))


def test_integer_weights_equal_repeated_rows_with_gaps():
    X = with_gaps(correlated(), 0.3)
    counts = np.random.RandomState(4).randint(1, 4, len(X))
    kw = dict(covariance_type="full", tol=0, max_iter=10, nan_policy="marginalize",
              **start(X, 2, "full"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = GaussianMixture(2, **kw).fit(X, sample_weight=counts.astype(float))
        repeated = GaussianMixture(2, **kw).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-9)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- against the truth
@pytest.mark.parametrize("fraction", FRACTIONS)
def test_closer_to_the_truth_than_listwise_deletion_and_mean_fill(fraction):
    """The table ``python -m benchmarks.missing`` prints, asserted row by row."""
    errors = parameter_errors(fraction)
    marg_mean, marg_cov = errors["marginalize"]
    for method in ("listwise", "mean fill"):
        assert marg_mean < errors[method][0], (method, errors)
        assert marg_cov < errors[method][1], (method, errors)


def test_impute_fills_only_the_gaps_and_beats_the_column_means():
    X = correlated(400, seed=3)
    gaps = with_gaps(X, 0.2, seed=4)
    gm = GaussianMixture(2, random_state=0, nan_policy="marginalize").fit(gaps)
    filled = gm.impute(gaps)
    seen = ~np.isnan(gaps)
    np.testing.assert_array_equal(filled[seen], gaps[seen])
    assert not np.isnan(filled).any()
    holes = ~seen
    model_err = np.abs(filled - X)[holes].mean()
    mean_err = np.abs(np.where(holes, np.nanmean(gaps, axis=0), X) - X)[holes].mean()
    assert model_err < 0.7 * mean_err


def test_rows_with_gaps_are_assigned_by_their_observed_columns():
    """A row missing a column gets the marginal density of the others: scipy on those."""
    X = correlated(200)
    gm = GaussianMixture(2, random_state=0, nan_policy="marginalize").fit(X)
    row = np.array([[np.nan, 1.0, -1.5]])
    dens = [np.log(w) + multivariate_normal(m[1:], c[1:, 1:]).logpdf(row[0, 1:])
            for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_, strict=True)]
    assert gm.score_samples(row)[0] == pytest.approx(logsumexp(dens), rel=RTOL)
    np.testing.assert_allclose(gm.predict_proba(row)[0], np.exp(dens - logsumexp(dens)),
                               rtol=1e-9)


# ---------------------------------------------------------------- refusals and the API
def test_rows_with_every_value_missing_are_refused_by_number():
    X = with_gaps(correlated(), 0.2)
    X[[1, 4]] = np.nan
    gm = GaussianMixture(2, random_state=0, nan_policy="marginalize")
    with pytest.raises(DataError, match=r"2 row\(s\) have every value missing \(row 2, 5,") as e:
        gm.fit(X)
    assert e.value.row == 2
    gm.fit(X[~np.isnan(X).all(axis=1)])
    for method in (gm.predict, gm.predict_proba, gm.score_samples, gm.impute):
        with pytest.raises(DataError, match="row 2, 5"):
            method(X)


def test_the_default_refuses_nan_and_names_the_option():
    X = with_gaps(correlated(), 0.2)
    with pytest.raises(ValueError, match=r"contains NaN.*nan_policy='marginalize'"):
        GaussianMixture(2).fit(X)
    gm = GaussianMixture(2, random_state=0).fit(correlated())
    with pytest.raises(ValueError, match="contains NaN"):
        gm.predict(X)
    assert not np.isnan(gm.impute(X)).any()  # impute takes gaps whatever the policy


def test_infinity_is_still_refused():
    X = correlated()
    X[3, 1], X[5, 0] = np.inf, np.nan
    with pytest.raises(ValueError, match=r"contains infinity \(first at row 3, column 1"):
        GaussianMixture(2, nan_policy="marginalize").fit(X)


@pytest.mark.parametrize("bad", ["omit", None, 1])
def test_unknown_nan_policy_is_refused(bad):
    with pytest.raises(ValueError, match=r"nan_policy must be one of \('raise', 'marginalize'\)"):
        GaussianMixture(2, nan_policy=bad).fit(correlated())


def test_nan_policy_is_a_parameter_and_a_tag():
    gm = GaussianMixture(2, nan_policy="marginalize")
    assert gm.get_params()["nan_policy"] == "marginalize"
    assert GaussianMixture().get_params()["nan_policy"] == "raise"
    assert gm.__sklearn_tags__().input_tags.allow_nan
    assert not GaussianMixture().__sklearn_tags__().input_tags.allow_nan


def test_a_dataframe_with_missing_cells_keeps_its_names():
    X = with_gaps(correlated(), 0.2)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).astype("Float64")  # NaN -> pd.NA
    gm = GaussianMixture(2, random_state=0, nan_policy="marginalize").fit(frame)
    assert list(gm.feature_names_in_) == ["a", "b", "c"]
    ref = GaussianMixture(2, random_state=0, nan_policy="marginalize").fit(X)
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-12)  # the frame's layout rounds


def test_group_rows_keeps_each_pattern_in_row_order():
    X = np.array([[1.0, np.nan, 2.0], [np.nan, 1.0, 1.0], [3.0, np.nan, 0.0], [1.0, 2.0, 3.0]])
    g = group_rows(X)
    got = {tuple(g.observed[p]): g.rows(p).tolist() for p in range(g.n_patterns)}
    assert got == {(True, False, True): [0, 2], (False, True, True): [1],
                   (True, True, True): [3]}


@pytest.mark.parametrize("n_features", [3, 10, 20, 40, 70])
def test_group_rows_matches_a_dictionary_of_masks(n_features, monkeypatch):
    """Against the obvious grouping, blocks of 50 rows: masks of 1, 2, 3 and 5 bytes (sorted as
    one integer) and wider than 8 bytes (sorted as bytes)."""
    from gmm_core.mixture import _missing

    monkeypatch.setattr(_missing, "_GROUP_ROWS", 50)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(333, n_features))
    X[rng.uniform(size=X.shape) < (0.4 if n_features == 3 else 1.0 / n_features)] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    expected = {}
    for i, row in enumerate(X):
        expected.setdefault(tuple(~np.isnan(row)), []).append(i)
    g = group_rows(X)
    assert {tuple(g.observed[p]): g.rows(p).tolist() for p in range(g.n_patterns)} == expected
    assert g.order.dtype == np.int32 and sorted(g.order.tolist()) == list(range(333))


# ---------------------------------------------------------------- Dask
def test_dask_fit_with_gaps_equals_the_in_memory_fit():
    from dask_support import require_dask
    require_dask()
    import dask
    import dask.array as da

    X = with_gaps(correlated(300), 0.3)
    sw = np.random.RandomState(1).uniform(0.5, 2, len(X))
    kw = dict(covariance_type="full", tol=0, max_iter=5, nan_policy="marginalize",
              **start(X, 2, "full"))
    with warnings.catch_warnings(), dask.config.set(scheduler="synchronous"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        mem = GaussianMixture(2, **kw).fit(X, sample_weight=sw)
        dsk = GaussianMixture(2, **kw).fit(da.from_array(X, chunks=(70, 3)),
                                           sample_weight=da.from_array(sw, chunks=70))
        np.testing.assert_allclose(dsk.means_, mem.means_, rtol=RTOL)
        np.testing.assert_allclose(dsk.covariances_, mem.covariances_, rtol=RTOL)
        np.testing.assert_allclose(dsk.lower_bounds_, mem.lower_bounds_, rtol=RTOL)
        lazy = mem.predict_proba(da.from_array(X, chunks=(70, 3)))
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), mem.predict_proba(X), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(mem.impute(da.from_array(X, chunks=(70, 3))).compute(),
                                   mem.impute(X), rtol=RTOL)
        # the default start: every row is in the sample, its gaps filled as in memory
        own = dict(random_state=0, nan_policy="marginalize", tol=1e-8)
        np.testing.assert_allclose(
            GaussianMixture(2, **own).fit(da.from_array(X, chunks=(70, 3))).means_,
            GaussianMixture(2, **own).fit(X).means_, rtol=1e-9)
        X[100] = np.nan
        with pytest.raises(DataError, match=r"\(row 101, counting from 1\)"):
            GaussianMixture(2, **kw).fit(da.from_array(X, chunks=(70, 3)))


def test_the_threaded_pass_equals_one_thread_and_repeats_exactly():
    """Patterns cut across worker threads give the one-thread statistics, the same every time."""
    from gmm_core.mixture._missing import summarize

    X = with_gaps(np.tile(correlated(400), (100, 1)), 0.3, seed=6)  # 40,000 rows
    gm = GaussianMixture(2, random_state=0, max_iter=3, nan_policy="marginalize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = gm.fit(X[:2000]).params_
    groups = group_rows(X)
    one, two, again = (summarize(X, params, None, groups, n_threads=t) for t in (1, 2, 2))
    for name in ("nk", "s1", "s2"):
        np.testing.assert_allclose(getattr(two, name), getattr(one, name), rtol=1e-12)
        np.testing.assert_array_equal(getattr(again, name), getattr(two, name))
    assert two.log_likelihood_sum == pytest.approx(one.log_likelihood_sum, rel=1e-12)


# ---------------------------------------------------------------- the rest of the engine
def test_fit_trajectory_records_a_fit_of_rows_with_gaps():
    from gmm_core import fit_trajectory

    X = with_gaps(correlated(200), 0.3)
    traj = fit_trajectory(X, 2, random_state=0, nan_policy="marginalize", tol=1e-8,
                          max_iter=200)
    gm = GaussianMixture(2, random_state=0, nan_policy="marginalize", tol=1e-8,
                         max_iter=200).fit(X)
    np.testing.assert_allclose(traj.final_params.means, gm.means_, rtol=1e-12)
    assert np.all(np.diff(traj.log_likelihoods) >= -1e-12)
    shown = traj.steps[-1].resp_params
    log_p = reference_posterior(X, shown.weights, shown.means, shown.full_covariances)[0]
    np.testing.assert_allclose(traj.responsibilities(X, len(traj.steps) - 1),
                               np.exp(log_p - logsumexp(log_p, axis=1)[:, None]), rtol=1e-9,
                               atol=1e-15)


def test_select_model_compares_fits_of_rows_with_gaps():
    from gmm_core import select_model

    X = with_gaps(correlated(300), 0.2)
    sel = select_model(X, [1, 2, 3], ["full", "diag"], nan_policy="marginalize")
    assert (sel.table["error"] == "").all()
    assert sel.best_model.nan_policy == "marginalize"
    assert sel.best["bic"] == pytest.approx(sel.best_model.bic(X))
    X[7] = np.nan
    with pytest.raises(DataError, match=r"\(row 8, counting from 1\)"):
        select_model(X, [1, 2], ["full"], nan_policy="marginalize")


def test_the_public_log_densities_and_responsibilities_take_rows_with_gaps():
    """gmm_core.mixture's kernels: unchanged on complete rows, the observed block on gaps."""
    from gmm_core.mixture import _blocked, log_densities, responsibilities

    X = correlated(50)
    gm = GaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_array_equal(log_densities(X, gm.params_),
                                  _blocked.log_densities(X, gm.params_))
    np.testing.assert_array_equal(responsibilities(X, gm.params_),
                                  _blocked.responsibilities(X, gm.params_))
    gaps = with_gaps(X, 0.3)
    log_p = reference_posterior(gaps, np.ones(2), gm.means_, gm.covariances_)[0]
    np.testing.assert_allclose(log_densities(gaps, gm.params_), log_p, rtol=RTOL)
    weighted = log_p + np.log(gm.weights_)
    np.testing.assert_allclose(responsibilities(gaps, gm.params_),
                               np.exp(weighted - logsumexp(weighted, axis=1)[:, None]),
                               rtol=1e-9, atol=1e-15)
