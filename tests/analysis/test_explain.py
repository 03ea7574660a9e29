"""gmm_core.analysis.explain: the formulas' numbers against independent computations (scipy, numpy)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    return gmm_core.analysis.explain.em_run(data, 3, covariance_type=request.param, init_params="random",
                           random_state=0)


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


def test_m_step_numbers_match_weighted_numpy(data):
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=data.shape[0])
    num = gmm_core.analysis.explain.m_step_numbers(data, resp, covariance_type="full", reg_covar=0.0)
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


@given(n=st.integers(1, 500), cap=st.integers(2, 80))
@settings(deadline=None, max_examples=60)
def test_frame_indices_cap_and_ends(n, cap):
    idx = gmm_core.analysis.explain.frame_indices(n, cap)
    assert len(idx) <= cap and idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)


def test_em_view_caps_frames_and_points_and_keeps_current():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (1500, 2)), rng.normal(3, 1, (1500, 2))])
    run = gmm_core.analysis.explain.em_run(X, 2, init_params="random", random_state=0, tol=1e-9)
    assert run.n_steps > 60
    proj = gmm_core.data.axes_projection(["a", "b"], 0, 1)
    view = gmm_core.analysis.explain.em_view(run, X, proj, current=7, max_frames=60, max_points=2000)
    assert len(view.frames) <= 60 and view.points.shape == (2000, 2)
    shown = [f["index"] for f in view.frames]
    assert 7 in shown and shown[0] == 0 and shown[-1] == run.n_steps - 1
    again = gmm_core.analysis.explain.em_view(run, X, proj, current=7)
    np.testing.assert_array_equal(view.rows, again.rows)  # deterministic subsample


def test_heatmap_rows_sorted_by_component_then_certainty():
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=1000)
    rows = gmm_core.analysis.explain.heatmap_rows(resp, max_rows=400)
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    lab, cert = resp[rows].argmax(axis=1), resp[rows].max(axis=1)
    assert np.all(np.diff(lab) >= 0)
    for k in range(3):
        assert np.all(np.diff(cert[lab == k]) <= 0)
    np.testing.assert_array_equal(rows, gmm_core.analysis.explain.heatmap_rows(resp, max_rows=400))


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
