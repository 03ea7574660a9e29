"""Figure builders: pure, explicit colours, WebGL for points, ellipses that match the maths."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gmm_core.plots import compare as figures
from gmm_core.analysis.geometry import ellipse_points, level_radius, sigma_level


def _points(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.integers(0, 3, n)


def test_ellipse_contains_expected_share_of_samples():
    """The 90% ellipse of a tilted Gaussian holds about 90% of its samples."""
    rng = np.random.default_rng(1)
    cov = np.array([[4.0, 1.5], [1.5, 1.0]])
    mean = np.array([2.0, -1.0])
    X = rng.multivariate_normal(mean, cov, 20_000)
    d2 = np.einsum("ij,jk,ik->i", X - mean, np.linalg.inv(cov), X - mean)
    assert abs(np.mean(d2 <= level_radius(0.9) ** 2) - 0.9) < 0.01
    outline = ellipse_points(mean, cov, level=0.9)
    r2 = np.einsum("ij,jk,ik->i", outline - mean, np.linalg.inv(cov), outline - mean)
    np.testing.assert_allclose(r2, level_radius(0.9) ** 2, rtol=1e-9)
    np.testing.assert_allclose(outline[0], outline[-1])


def test_sigma_levels_are_the_2d_values():
    assert sigma_level(1) == pytest.approx(1 - np.exp(-0.5))
    assert level_radius(sigma_level(2)) == pytest.approx(2.0)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_level_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ValueError, match="level"):
        level_radius(bad)


def test_kmeans_figure_uses_webgl_and_palette_colours():
    pts, labels = _points()
    centroids = np.array([[0, 0], [1, 1], [2, 2]], float)
    fig = figures.kmeans_figure(pts, labels, centroids, x_range=(-3, 3), y_range=(-3, 3),
                                axis_titles=("a", "b"))
    assert isinstance(fig, go.Figure)
    point_traces = [t for t in fig.data if t.type == "scattergl"]
    assert [t.marker.color for t in point_traces] == list(figures.PALETTE[:3])
    assert list(fig.layout.xaxis.range) == [-3, 3]
    assert fig.layout.xaxis.title.text == "a"


def test_gmm_figure_colours_ellipses_like_their_segment_and_fades_unsure_points():
    pts, labels = _points()
    certainty = np.linspace(1 / 3, 1.0, len(pts))
    means = np.array([[0, 0], [1, 1], [2, 2]], float)
    covs = np.stack([np.eye(2)] * 3)
    fig = figures.gmm_figure(pts, labels, certainty, means, covs, x_range=(-3, 3),
                             y_range=(-3, 3), axis_titles=("a", "b"), levels=(0.5, 0.9))
    outlines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines" and t.x[0] is not None]
    assert len(outlines) == 6
    assert {t.line.color for t in outlines} == set(figures.PALETTE[:3])
    first = next(t for t in fig.data if t.type == "scattergl")
    assert first.marker.color == figures.PALETTE[0]
    alphas = np.asarray(first.marker.opacity)
    order = np.argsort(certainty[labels == 0])
    assert np.all(np.diff(np.asarray(alphas)[order]) >= 0)


def test_regions_and_disagreement_layers():
    pts, labels = _points()
    xs = ys = np.linspace(-3, 3, 10)
    z = np.zeros((10, 10), int)
    fig = figures.kmeans_figure(pts, labels, np.zeros((3, 2)), x_range=(-3, 3), y_range=(-3, 3),
                                axis_titles=("a", "b"), regions=(xs, ys, z),
                                disagree=labels == 1)
    assert fig.data[0].type == "heatmap"
    assert any(t.name == "models disagree" for t in fig.data)


def test_scatter_matrix_colours_by_label():
    frame = pd.DataFrame({"a <b>": [1, 2, 3, 4], "b": [4, 3, 2, 1], "c": [0, 1, 0, 1]})
    fig = figures.scatter_matrix_figure(frame, labels=np.array([0, 1, 0, 1]), label_names=("x", "y"))
    assert [t.name for t in fig.data if t.showlegend] == ["x", "y"]
    assert len(fig.data) == 2 * 3  # two labels x three pairs of columns
    # The bottom row names the x columns, the left column the y columns, escaped for plotly;
    # (this used to pass whatever the titles were, because the first x axis has none)
    titles = {a: fig.layout[a].title.text for a in fig.layout if a.startswith(("xaxis", "yaxis"))}
    assert sorted(t for a, t in titles.items() if a.startswith("xaxis") and t) == [
        "a &lt;b&gt;", "b"]
    assert sorted(t for a, t in titles.items() if a.startswith("yaxis") and t) == ["b", "c"]


def test_segment_names_past_palette():
    assert figures.segment_names(12)[-1] == "segment 12"


def test_user_text_in_charts_is_escaped_not_rendered():
    """Regression: a column named <b>B</b> rendered bold and <a href> became a link in charts."""
    frame = pd.DataFrame({"<b>B</b>": [1.0, 2.0, 3.0], '<a href="https://e">l</a>': [3.0, 1.0, 2.0]})
    fig = figures.scatter_matrix_figure(frame, labels=np.array([0, 1, 0]),
                                        label_names=["<i>i</i>", "ok"])
    assert fig.layout.xaxis.title.text == "&lt;b&gt;B&lt;/b&gt;"
    assert "<a" not in fig.to_json() and "<i>" not in fig.to_json()
    assert fig.data[0].name == "&lt;i&gt;i&lt;/i&gt;"
