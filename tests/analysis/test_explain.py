"""gmm_core.analysis.explain: the formulas' numbers against independent computations
(scipy, numpy)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import gmm_core
import gmm_core.analysis.compare
import gmm_core.analysis.explain
import gmm_core.data
import gmm_core.mixture
from tests.conftest import blobs


@pytest.fixture(scope="module")
def data():
    X, _ = blobs(n_per=50, centers=((0.0, 0.0), (6.0, 1.0), (1.0, 7.0)))
    return X * np.array([10.0, 0.5]) + np.array([100.0, -3.0])  # unequal units: scaling matters


@pytest.fixture(scope="module", params=("full", "tied", "diag", "spherical"))
def run(request, data):
    return gmm_core.analysis.explain.em_run(data, 3, covariance_type=request.param,
                                            init_params="random", random_state=0)


def test_e_step_numbers_match_scipy_multivariate_normal():
    rng = np.random.default_rng(1)
    K, D = 3, 2
    means = rng.normal(size=(K, D)) * 3
    A = rng.normal(size=(K, D, D))
    covs = A @ A.transpose(0, 2, 1) + np.eye(D)
    w = np.array([0.2, 0.5, 0.3])
    x = rng.normal(size=D)
    num = gmm_core.analysis.explain.e_step_numbers(x, w, means, covs)
    dens = np.array([multivariate_normal(means[k], covs[k]).pdf(x) for k in range(K)])
    np.testing.assert_allclose(num.densities, dens, rtol=1e-10)
    np.testing.assert_allclose(num.weighted, w * dens, rtol=1e-10)
    np.testing.assert_allclose(num.total, np.sum(w * dens), rtol=1e-10)
    np.testing.assert_allclose(num.resp, w * dens / np.sum(w * dens), rtol=1e-10)


def test_e_step_numbers_survive_underflow():
    num = gmm_core.analysis.explain.e_step_numbers([1e3, 0.0], [0.5, 0.5], [[0.0, 0.0], [2.0, 0.0]],
                                  [np.eye(2), np.eye(2)])
    assert np.all(num.densities == 0.0)
    np.testing.assert_allclose(num.resp, [0.0, 1.0], atol=1e-12)


def test_e_step_numbers_say_when_every_density_underflows():
    """Issue 17: the worked E-step showed N = 0, π·N = 0, sum 0 and r = 1.000 (0/0 = 1)."""
    num = gmm_core.analysis.explain.e_step_numbers([1e3, 0.0], [0.5, 0.5], [[0.0, 0.0], [2.0, 0.0]],
                                                   [np.eye(2), np.eye(2)])
    assert num.underflow and num.total == 0.0
    expected = np.log(0.5) + np.array([multivariate_normal([0, 0], np.eye(2)).logpdf([1e3, 0]),
                                       multivariate_normal([2, 0], np.eye(2)).logpdf([1e3, 0])])
    np.testing.assert_allclose(num.log_weighted, expected, rtol=1e-12)
    np.testing.assert_allclose(num.log_total, np.logaddexp(*expected), rtol=1e-12)
    np.testing.assert_allclose(num.resp, np.exp(expected - np.logaddexp(*expected)))
    near = gmm_core.analysis.explain.e_step_numbers([0.5, 0.0], [0.5, 0.5],
                                                    [[0.0, 0.0], [2.0, 0.0]],
                                                    [np.eye(2), np.eye(2)])
    assert not near.underflow
    np.testing.assert_allclose(np.exp(near.log_weighted), near.weighted)


def test_e_step_numbers_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected x"):
        gmm_core.analysis.explain.e_step_numbers([0.0], [1.0], [[0.0, 0.0]], [np.eye(2)])


def test_explain_step_e_numbers_in_original_units(run, data):
    index, row = 3, 17
    ex = gmm_core.analysis.explain.explain_step(run, data, index, row)
    w, means, covs = run.original(run.steps[index].resp_params)
    dens = [multivariate_normal(means[k], covs[k]).pdf(data[row]) for k in range(3)]
    np.testing.assert_allclose(ex.e.densities, dens, rtol=1e-8)
    np.testing.assert_allclose(ex.e.resp, run.responsibilities(index)[row], atol=1e-10)
    np.testing.assert_allclose(ex.e.x, data[row])


def test_explain_step_m_numbers_are_the_next_parameters(run, data):
    """At an E-step the M-step numbers are the parameters of the following M-step."""
    e_index = next(s.index for s in run.steps if s.phase == "E")
    ex = gmm_core.analysis.explain.explain_step(run, data, e_index, 0)
    w, means, covs = run.original(run.steps[e_index + 1].params)
    np.testing.assert_allclose(ex.m.weights, w, rtol=1e-8)
    np.testing.assert_allclose(ex.m.means, means, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ex.m.covariances, covs, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("phase", ["init", "E", "M"])
def test_explain_step_m_numbers_are_the_m_step_of_the_responsibilities_shown(run, data, phase):
    """The M-step numbers come from the recorded run; recomputing them from scratch agrees."""
    index = next(s.index for s in run.steps if s.phase == phase)
    ex = gmm_core.analysis.explain.explain_step(run, data, index, 0)
    fresh = gmm_core.analysis.explain.m_step_numbers(
        run.Xs, run.responsibilities(index), covariance_type=run.steps[0].params.covariance_type,
        reg_covar=run.reg_covar)
    np.testing.assert_allclose(ex.m.n_k, fresh.n_k, rtol=1e-8)
    np.testing.assert_allclose(ex.m.weights, fresh.weights, rtol=1e-8)
    np.testing.assert_allclose(ex.m.means, run.scaler.inverse_means(fresh.means), rtol=1e-8,
                               atol=1e-8)
    np.testing.assert_allclose(ex.m.covariances,
                               run.scaler.inverse_covariances(fresh.covariances), rtol=1e-6,
                               atol=1e-8)


def test_explain_step_at_the_very_end_recomputes_the_m_step(data):
    run = gmm_core.analysis.explain.em_run(data, 3, random_state=0, max_iter=0)
    ex = gmm_core.analysis.explain.explain_step(run, data, 0, 0)
    assert ex.m.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["k-means++", "random_from_data"])
def test_seed_starts_begin_one_m_step_after_their_seeds(data, method):
    """Issue 17: k-means++ started at a log-likelihood per point of -426,481."""
    run = gmm_core.analysis.explain.em_run(data, 3, init_params=method, random_state=0)
    start = run.steps[0].params
    assert start.weights.sum() == pytest.approx(1.0) and np.all(start.weights > 0.05)
    ll = run.trajectory.log_likelihoods
    assert ll[0] > ll[-1] - 3.0 and np.all(np.diff(ll) >= -1e-9)
    assert run.seeds.shape == (3,)
    want = gmm_core.mixture.hard_start(run.Xs, run.seeds, covariance_type="full",
                                       reg_covar=run.reg_covar)
    np.testing.assert_allclose(start.means, want.means, rtol=1e-10)  # seeds in component order


def test_a_start_of_ones_own_from_clicked_rows(data):
    rows = [0, 60, 120]
    run = gmm_core.analysis.explain.em_run(data, 3,
                                           init_params=gmm_core.analysis.explain.START_CHOSEN,
                                           start_rows=rows)
    assert sorted(run.seeds.tolist()) == rows
    with pytest.raises(ValueError, match="one row index"):
        gmm_core.analysis.explain.em_run(data, 3, init_params="your clicks", start_rows=[0, 1])
    with pytest.raises(ValueError, match="init_params must be one of"):
        gmm_core.analysis.explain.em_run(data, 3, init_params="nonsense")


def test_a_symmetric_start_that_stays_symmetric_is_stuck_not_converged():
    """Issue 17: 'random' stalled at a saddle (LL -2.553 vs -1.997) under a green 'Converged'."""
    from tests.conftest import elongated
    X, _ = elongated()
    run = gmm_core.analysis.explain.em_run(X, 3, init_params="random", random_state=0)
    status = gmm_core.analysis.explain.run_status(run, ["blue", "orange", "red"])
    assert run.trajectory.converged  # the tol test alone says converged
    assert status.kind == "stuck" and "Stuck at a symmetric point" in status.headline
    assert "blue, orange and red" in status.detail and status.identical_at_start
    good = gmm_core.analysis.explain.em_run(X, 3, random_state=0)
    assert gmm_core.analysis.explain.run_status(good).kind == "converged"
    assert good.trajectory.log_likelihoods[-1] > run.trajectory.log_likelihoods[-1] + 0.3


def test_identical_components_needs_both_mean_and_shape():
    P = gmm_core.mixture.GMMParams.from_covariances
    same = P([0.5, 0.5], [[0.0, 0.0], [0.01, 0.0]], [np.eye(2), np.eye(2)], "full")
    moved = P([0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]], [np.eye(2), np.eye(2)], "full")
    reshaped = P([0.5, 0.5], [[0.0, 0.0], [0.01, 0.0]], [np.eye(2), 2 * np.eye(2)], "full")
    explain = gmm_core.analysis.explain
    assert explain.identical_components(same) == [(0, 1)]
    assert explain.identical_components(moved) == [] == explain.identical_components(reshaped)


def test_every_start_is_described():
    for start in gmm_core.analysis.explain.EM_STARTS:
        assert len(gmm_core.analysis.explain.start_description(start)) > 40


def test_m_step_numbers_match_weighted_numpy(data):
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=data.shape[0])
    num = gmm_core.analysis.explain.m_step_numbers(data, resp, covariance_type="full",
                                                   reg_covar=0.0)
    np.testing.assert_allclose(num.n_k, resp.sum(axis=0))
    np.testing.assert_allclose(num.weights, resp.sum(axis=0) / data.shape[0])
    for k in range(3):
        np.testing.assert_allclose(num.means[k], np.average(data, axis=0, weights=resp[:, k]))
        np.testing.assert_allclose(num.covariances[k],
                                   np.cov(data.T, aweights=resp[:, k], bias=True), rtol=1e-8)


def test_run_log_likelihood_never_decreases_and_colours_follow_canonical_order(run):
    ll = run.trajectory.log_likelihoods
    assert np.all(np.diff(ll) >= -1e-9)
    final = run.trajectory.final_params
    assert np.array_equal(gmm_core.mixture.canonical_order(final.means, run.Xs), np.arange(3))


def test_parameter_table_is_in_original_units(data):
    run = gmm_core.analysis.explain.em_run(data, 3, random_state=0)
    table = gmm_core.analysis.explain.parameter_table(run, ["a", "b"], ["blue", "orange", "red"])
    assert list(table.columns) == ["component", "weight", "mean a", "mean b", "var a",
                                   "cov a, b", "var b"]
    # the Compare page fits the same scaled data with the same seed: same fit, same colours
    cmp = gmm_core.analysis.compare.compare_models(data, 3, random_state=0)
    np.testing.assert_allclose(table[["mean a", "mean b"]].to_numpy(), cmp.means, rtol=1e-4)
    np.testing.assert_allclose(table["var a"], cmp.covariances[:, 0, 0], rtol=1e-3)
    np.testing.assert_allclose(table["weight"].sum(), 1.0)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "hierarchical"])
def test_em_run_with_gaps_marginalises_and_the_worked_e_step_uses_the_observed_columns(
        init_params):
    """Issue 20: the recorded run fits rows with blank cells on their observed columns (the
    log-likelihood still never falls), and the worked E-step of such a row is the density
    of its observed block alone (scipy's oracle, in original units)."""
    from tests.conftest import with_gaps

    X0, _ = blobs(n_per=50)
    X = with_gaps(X0, 0.2, seed=2)
    run = gmm_core.analysis.explain.em_run(X, 3, init_params=init_params, random_state=0)
    assert np.all(np.diff(run.trajectory.log_likelihoods) > -1e-9)
    row = int(np.flatnonzero(np.isnan(X[:, 1]))[0])
    index = run.n_steps - 1
    ex = gmm_core.analysis.explain.explain_step(run, X, index, row)
    assert ex.e.observed.tolist() == [True, False]
    w, means, covs = run.original(run.steps[index].resp_params)
    o = ex.e.observed
    dens = [multivariate_normal(m[o], c[np.ix_(o, o)]).pdf(X[row, o])
            for m, c in zip(means, covs, strict=True)]
    np.testing.assert_allclose(ex.e.densities, dens, rtol=1e-9)
    np.testing.assert_allclose(ex.e.resp, run.responsibilities(index, [row])[0], rtol=1e-9)
    assert np.isfinite(ex.m.means).all()
    assert run.filled is not None and not np.isnan(run.filled).any()
    np.testing.assert_allclose(run.filled[~np.isnan(X)], X[~np.isnan(X)])
