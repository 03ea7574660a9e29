"""Choose k's figures: criteria against k, KMeans' curves, stability per k."""

import numpy as np
import pandas as pd

from gmm_core.plots import choose_k as figures


def _curves():
    rows = []
    for ct in ("full", "spherical"):
        for k in range(1, 5):
            base = 100 - 10 * k + (k - 3) ** 2 * 12 + (5 if ct == "spherical" else 0)
            for crit in ("bic", "aic"):
                rows.append(dict(covariance_type=ct, n_components=k, criterion=crit,
                                 min=base, mean=base + 1, max=base + 2, n_fits=3))
    return pd.DataFrame(rows)


def test_criterion_figure_one_line_per_type_band_and_minimum():
    fig = figures.criterion_figure(_curves(), "bic")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["full", "spherical"]
    assert any(t.fill == "tonexty" for t in fig.data)  # spread over restarts
    best = [t for t in fig.data if t.name == "lowest BIC"][0]
    assert (best.x[0], best.y[0]) == (3, 70)
    texts = [a.text for a in fig.layout.annotations]
    assert any("lower is better" in t for t in texts)
    assert any("k = 3, full" in t for t in texts)


def test_kmeans_sweep_figure_marks_best_silhouette():
    sweep = pd.DataFrame(dict(k=[1, 2, 3], inertia=[30.0, 10.0, 8.0],
                              silhouette=[np.nan, 0.7, 0.5]))
    fig = figures.kmeans_sweep_figure(sweep)
    best = [t for t in fig.data if t.name == "highest silhouette"][0]
    assert best.x[0] == 2



def test_a_model_whose_every_fit_is_degenerate_is_crossed_out_and_not_marked_best():
    curves = _curves()
    curves["degenerate"] = (curves["covariance_type"] == "full") & (curves["n_components"] == 3)
    fig = figures.criterion_figure(curves, "bic")
    crossed = [t for t in fig.data if t.name == "degenerate (not recommended)"][0]
    assert (list(crossed.x), list(crossed.y)) == ([3], [70])
    best = [t for t in fig.data if t.name == "lowest BIC"][0]
    assert (best.x[0], best.y[0]) != (3, 70)                  # the sound minimum instead
    assert (best.x[0], best.y[0]) == (4, 72)                  # full k = 4, the next sound one


def test_stability_figure_shows_the_average_and_the_least_stable_segment():
    by_k = pd.DataFrame(dict(k=[2, 3, 4], stability=[1.0, 0.97, 0.6], least=[1.0, 0.9, 0.1],
                             n_boot=[20, 20, 20]))
    fig = figures.stability_figure(by_k, best_k=3)
    bars, marks = fig.data
    assert list(bars.y) == [1.0, 0.97, 0.6] and list(marks.y) == [1.0, 0.9, 0.1]
    assert bars.marker.color[1] != bars.marker.color[0]       # the recommended k stands out
    assert fig.layout.yaxis.tickformat == ".0%"


def test_subplot_titles_are_lifted_off_the_frame_line():
    """Regression (issue 16): Choose k's subplot titles sat on the top frame line, struck out."""
    sweep = pd.DataFrame({"k": [1, 2, 3], "inertia": [9.0, 4.0, 3.0],
                          "silhouette": [np.nan, 0.5, 0.4]})
    fig = figures.kmeans_sweep_figure(sweep)
    titles = [a for a in fig.layout.annotations if a.text.startswith(("Inertia", "Silhouette"))]
    assert len(titles) == 2 and all(a.yshift >= 8 for a in titles)
