"""gmm_core.analysis.em_canvas: a run projected once, drawn one step at a time."""

import numpy as np
import pytest

import gmm_core.data
from gmm_core.analysis import em_canvas, explain


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (1500, 2)), rng.normal(3, 1, (1500, 2))]) * [1.0, 20.0]
    run = explain.em_run(X, 2, init_params="k-means++", random_state=0)
    proj = gmm_core.data.axes_projection(["a", "b"], 0, 1)
    return X, run, proj, em_canvas.em_canvas(run, X, proj, max_points=2000)


def test_canvas_caps_points_and_is_deterministic(setup):
    X, run, proj, canvas = setup
    assert canvas.points.shape == (2000, 2) and canvas.n_total == 3000
    np.testing.assert_allclose(canvas.points, X[canvas.rows])  # axes view: the data as they are
    again = em_canvas.em_canvas(run, X, proj, max_points=2000)
    np.testing.assert_array_equal(canvas.rows, again.rows)


def test_canvas_holds_every_step_in_original_units(setup):
    X, run, proj, canvas = setup
    assert canvas.means.shape == (run.n_steps, 2, 2)
    for index in (0, run.n_steps // 2, run.n_steps - 1):
        _, means, covs = run.original(run.steps[index].params)
        np.testing.assert_allclose(canvas.means[index], means)
        np.testing.assert_allclose(canvas.covariances[index], covs)
    np.testing.assert_allclose(canvas.seeds, X[run.seeds])
    lo, hi = canvas.x_range
    assert lo <= canvas.means[..., 0].min() and canvas.means[..., 0].max() <= hi
    np.testing.assert_allclose(canvas.point(X, 7), X[7])


def test_frame_is_one_step(setup):
    X, run, proj, canvas = setup
    start = em_canvas.em_frame(run, canvas, 0)
    assert start["resp"] is None and start["phase"] == "init"  # grey before the first E-step
    e = em_canvas.em_frame(run, canvas, 3)
    assert e["phase"] == "E"
    np.testing.assert_allclose(e["resp"], run.responsibilities(3)[canvas.rows])
    np.testing.assert_allclose(e["prev_means"], canvas.means[2])
    assert em_canvas.em_frame(run, canvas, 10_000)["index"] == run.n_steps - 1


def test_heatmap_view_sorted_by_component_then_certainty(setup):
    X, run, proj, canvas = setup
    rows, resp = em_canvas.heatmap_view(run, 5, max_rows=400)
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    np.testing.assert_allclose(resp, run.responsibilities(5, rows))
    lab, cert = resp.argmax(axis=1), resp.max(axis=1)
    assert np.all(np.diff(lab) >= 0)
    for k in range(2):
        assert np.all(np.diff(cert[lab == k]) <= 0)


def test_heatmap_rows_sorted_by_component_then_certainty():
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=1000)
    rows = em_canvas.heatmap_rows(resp, max_rows=400)
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    np.testing.assert_array_equal(rows, em_canvas.heatmap_rows(resp, max_rows=400))
