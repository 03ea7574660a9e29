"""gmm_core.analysis.restarts: runs grouped by the optimum they reach, up to label switching."""

import numpy as np
import pytest

import gmm_core.data
from gmm_core.analysis import em_canvas, explain, restarts
from tests.conftest import elongated


@pytest.fixture(scope="module")
def elongated_runs():
    X, _ = elongated()
    return X, restarts.run_restarts(X, 3, n_starts=12, init_params="k-means++")


def test_label_switching_is_not_another_optimum():
    a = np.repeat([0, 1, 2], 50)
    renamed = np.choose(a, [2, 0, 1])
    other = np.roll(a, 25)
    assert restarts.group_optima([a, renamed, other], [-1.0, -1.0, -1.5]) == [[0, 1], [2]]
    near = a.copy()
    near[:1] = 1  # one borderline row of 150 differs: still the same optimum
    assert restarts.group_optima([a, near], [-1.0, -1.0]) == [[0, 1]]


def test_every_start_is_counted_once_and_optima_are_best_first(elongated_runs):
    X, result = elongated_runs
    members = sorted(i for o in result.optima for i in o.members)
    assert members == list(range(12))
    lls = [o.log_likelihood for o in result.optima]
    assert lls == sorted(lls, reverse=True)
    assert result.optima[0].ari == 1.0 and len(result.optima) >= 2
    # k-means cuts across the three long clusters; some k-means++ start does better
    kmeans = explain.em_run(X, 3, random_state=0)
    assert result.optima[0].log_likelihood > kmeans.trajectory.log_likelihoods[-1] + 0.1


def test_an_optimum_is_exactly_the_run_the_page_steps_through(elongated_runs):
    X, result = elongated_runs
    opt = result.optima[1]
    run = explain.em_run(X, 3, init_params="k-means++", random_state=result.runs[opt.best].seed)
    assert run.trajectory.log_likelihoods[-1] == pytest.approx(opt.log_likelihood, rel=1e-12)


def test_stuck_runs_are_one_group():
    X, _ = elongated()
    result = restarts.run_restarts(X, 3, n_starts=4, init_params="random")
    assert len(result.optima) == 1 and result.optima[0].stuck and result.optima[0].count == 4


def test_panels_project_each_optimum_into_the_view(elongated_runs):
    X, result = elongated_runs
    run = explain.em_run(X, 3, random_state=0)
    canvas = em_canvas.em_canvas(run, X, gmm_core.data.axes_projection(["a", "b"], 0, 1))
    panels = restarts.restart_panels(result, canvas, max_panels=2)
    assert len(panels) == 2 and panels[0]["title"].startswith(
        f"1: {result.optima[0].count} of 12 starts")
    best = result.runs[result.optima[0].best]
    np.testing.assert_allclose(panels[0]["means"], result.scaler.inverse_means(best.params.means))
    np.testing.assert_array_equal(panels[0]["labels"], best.labels[canvas.rows])
