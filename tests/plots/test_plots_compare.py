"""Figure builders: pure, explicit colours, WebGL for points, ellipses that match the maths."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gmm_core.analysis.geometry import ellipse_points, level_radius, sigma_level
from gmm_core.plots import compare as figures
from gmm_core.plots import theme


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
    point_traces = [t for t in fig.data if t.meta == "points"]
    assert {t.type for t in point_traces} == {"scattergl"}
    assert [t.marker.color for t in point_traces] == list(figures.PALETTE[:3])
    assert [t.marker.symbol for t in point_traces] == list(theme.SYMBOLS[:3])
    assert list(fig.layout.xaxis.range) == [-3, 3]
    assert fig.layout.xaxis.title.text == "a"


def test_gmm_figure_colours_ellipses_like_their_segment_and_fades_unsure_points():
    pts, labels = _points()
    certainty = np.linspace(1 / 3, 1.0, len(pts))
    means = np.array([[0, 0], [1, 1], [2, 2]], float)
    covs = np.stack([np.eye(2)] * 3)
    fig = figures.gmm_figure(pts, labels, certainty, means, covs, x_range=(-3, 3),
                             y_range=(-3, 3), axis_titles=("a", "b"), levels=(0.5, 0.9))
    outlines = [t for t in fig.data if t.meta == "ellipse line"]
    assert len(outlines) == 6 and len([t for t in fig.data if t.meta == "ellipse halo"]) == 6
    assert {t.line.color for t in outlines} == set(figures.PALETTE[:3])
    first = next(t for t in fig.data if t.meta == "points")
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
    fig = figures.scatter_matrix_figure(frame, labels=np.array([0, 1, 0, 1]),
                                        label_names=("x", "y"))
    assert [t.name for t in fig.data if t.showlegend] == ["x", "y"]
    assert len(fig.data) == 2 * 3  # two labels x three pairs of columns
    # The bottom row names the x columns, the left column the y columns, escaped for plotly;
    # (this used to pass whatever the titles were, because the first x axis has none)
    titles = {a: fig.layout[a].title.text for a in fig.layout if a.startswith(("xaxis", "yaxis"))}
    assert sorted(t for a, t in titles.items() if a.startswith("xaxis") and t) == [
        "a &lt;b&gt;", "b"]
    assert sorted(t for a, t in titles.items() if a.startswith("yaxis") and t) == ["b", "c"]


def test_segment_names_are_letters_of_their_slots():
    assert figures.segment_names(12)[-1] == "L"
    assert figures.segment_names(3, slots=(4, 0, 7)) == ["E", "A", "H"]


@pytest.mark.parametrize("n", [300, 20_000])
def test_ellipses_and_means_are_drawn_after_every_point_in_the_webgl_layer(n):
    """Regression (issue 16): points were WebGL and ellipses/means SVG, so the points hid them.

    Plotly paints its WebGL canvas above every SVG trace; within it, trace order is draw order.
    """
    rng = np.random.default_rng(0)
    pts, labels = rng.normal(size=(n, 2)), rng.integers(0, 3, n)
    means = np.array([[0, 0], [1, 1], [2, 2]], float)
    fig = figures.gmm_figure(pts, labels, np.full(n, 0.9), means, np.stack([np.eye(2)] * 3),
                             x_range=(-3, 3), y_range=(-3, 3), axis_titles=("a", "b"),
                             disagree=labels == 1)
    kinds = [t.meta for t in fig.data]
    last_point = max(i for i, m in enumerate(kinds) if m in ("points", "rings"))
    on_top = [i for i, m in enumerate(kinds) if m in ("ellipse halo", "ellipse line", "centres")]
    assert on_top and min(on_top) > last_point
    assert {fig.data[i].type for i in on_top} == {"scattergl"}
    # each coloured line lies on a wider white halo drawn just before it
    for i, m in enumerate(kinds):
        if m == "ellipse line":
            assert kinds[i - 1] == "ellipse halo"
            assert fig.data[i - 1].line.width > fig.data[i].line.width
            np.testing.assert_array_equal(fig.data[i - 1].x, fig.data[i].x)
    assert fig.data[kinds.index("centres")].marker.line.color == theme.INK


def test_points_get_smaller_and_fainter_the_more_are_drawn():
    sizes = {}
    for n in (300, 2_000, 20_000):
        pts, labels = _points(n)
        fig = figures.kmeans_figure(pts, labels, np.zeros((3, 2)), x_range=(-3, 3),
                                    y_range=(-3, 3), axis_titles=("a", "b"))
        tr = next(t for t in fig.data if t.meta == "points")
        sizes[n] = (tr.marker.size, tr.marker.opacity)
    assert sizes[300] > sizes[2_000] > sizes[20_000]
    assert sizes[20_000][0] <= 3.5 and sizes[20_000][1] <= 0.4
    # the legend shows each segment's mark opaque and full size, whatever the points' size
    legend = [t for t in fig.data if t.showlegend is not False and t.meta == "legend"][:3]
    assert [t.marker.symbol for t in legend] == list(theme.SYMBOLS[:3])
    assert all(t.marker.size >= 10 and t.marker.opacity is None for t in legend)
    assert all(t.showlegend is False for t in fig.data if t.meta == "points")


def test_certainty_still_fades_points_at_twenty_thousand():
    n = 20_000
    pts, labels = _points(n)
    certainty = np.where(np.arange(n) % 2 == 0, 1.0, 1 / 3)
    fig = figures.gmm_figure(pts, labels, certainty, np.zeros((3, 2)), np.stack([np.eye(2)] * 3),
                             x_range=(-3, 3), y_range=(-3, 3), axis_titles=("a", "b"))
    tr = next(t for t in fig.data if t.meta == "points")
    alphas = np.asarray(tr.marker.opacity)
    sure = certainty[labels == 0] == 1.0
    assert alphas[sure].min() >= 3.5 * alphas[~sure].max()


@pytest.mark.parametrize("k", [2, 10])
def test_plot_area_is_fixed_and_the_figure_grows_with_its_legend(k):
    pts, _ = _points()
    labels = np.arange(len(pts)) % k
    km = figures.kmeans_figure(pts, labels, np.zeros((k, 2)), x_range=(-3, 3), y_range=(-3, 3),
                               axis_titles=("a", "b"))
    gm = figures.gmm_figure(pts, labels, np.ones(len(pts)), np.zeros((k, 2)),
                            np.stack([np.eye(2)] * k), x_range=(-3, 3), y_range=(-3, 3),
                            axis_titles=("a", "b"))
    for fig in (km, gm):
        m = fig.layout.margin
        assert fig.layout.height - m.t - m.b == figures.PLOT_HEIGHT
        assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert km.layout.margin.b == gm.layout.margin.b
    if k == 10:
        assert km.layout.margin.b > 62 + figures.legend_room(["A", "B"])


def test_hover_shows_row_key_original_values_and_probabilities():
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    labels = np.array([0, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    values = np.array([[19.0, 15.0], [35.0, 80.0], [64.0, 3.0]])
    hover = theme.RowHover("CustomerID", ["<b>1</b>", "2", "3"], ("Age", "income %{x}"), values,
                           proba, ("A", "B"))
    fig = figures.gmm_figure(pts, labels, proba.max(axis=1), np.zeros((2, 2)),
                             np.stack([np.eye(2)] * 2), x_range=(-3, 3), y_range=(-3, 3),
                             axis_titles=("pc1", "pc2"), hover=hover)
    first = next(t for t in fig.data if t.meta == "points")
    assert list(first.text) == ["&lt;b&gt;1&lt;/b&gt;", "3"]
    np.testing.assert_array_equal(np.asarray(first.customdata), [[19, 15, 0.9, 0.1],
                                                                 [64, 3, 0.6, 0.4]])
    template = first.hovertemplate
    assert template.startswith("<b>CustomerID %{text}</b>")
    assert "Age: %{customdata[0]" in template and "A %{customdata[2]:.0%}" in template
    assert "income &#37;{x}" in template  # a column named like a template field stays text


def test_hover_marks_rows_whose_gaps_were_filled_in():
    """Issue 16, item 5: a filled-in row says so in its hover label, escaped."""
    pts = np.array([[0.0, 0.0], [1.0, 1.0]])
    hover = theme.RowHover("line", ["2", "3"], ("Age", "x"), pts,
                           notes=["", "gaps filled in: <Age>"])
    fig = figures.kmeans_figure(pts, np.array([0, 0]), np.zeros((1, 2)), x_range=(-1, 2),
                                y_range=(-1, 2), axis_titles=("Age", "x"), hover=hover)
    points = next(t for t in fig.data if t.meta == "points")
    assert list(points.text) == ["2", "3<br>(gaps filled in: &lt;Age&gt;)"]


def test_user_text_in_charts_is_escaped_not_rendered():
    """Regression: a column named <b>B</b> rendered bold and <a href> became a link in charts."""
    frame = pd.DataFrame({"<b>B</b>": [1.0, 2.0, 3.0],
                          '<a href="https://e">l</a>': [3.0, 1.0, 2.0]})
    fig = figures.scatter_matrix_figure(frame, labels=np.array([0, 1, 0]),
                                        label_names=["<i>i</i>", "ok"])
    assert fig.layout.xaxis.title.text == "&lt;b&gt;B&lt;/b&gt;"
    assert "<a" not in fig.to_json() and "<i>" not in fig.to_json()
    assert fig.data[0].name == "&lt;i&gt;i&lt;/i&gt;"


def test_segments_overview_draws_members_last_and_thins_many_rings():
    from gmm_core.plots import segments

    rng = np.random.default_rng(0)
    pts = rng.normal(size=(20_000, 2))
    fig = segments.overview_figure(pts, np.arange(20_000) % 3, ["A", "B", "C"],
                                   means=np.zeros((3, 2)), unusual=pts[:2_000], slots=(0, 4, 7))
    kinds = [t.meta for t in fig.data]
    last_point = max(i for i, m in enumerate(kinds) if m == "points")
    assert kinds[-1] == "centres" and last_point < len(kinds) - 1
    assert {t.type for t in fig.data} == {"scattergl"}
    assert list(fig.data[-1].marker.color) == [theme.colour(s) for s in (0, 4, 7)]
    rings = next(t for t in fig.data if t.meta == "rings")
    few = segments.overview_figure(pts[:100], np.zeros(100, int), ["A"], unusual=pts[:5])
    few_rings = next(t for t in few.data if t.meta == "rings")
    assert rings.marker.line.width < few_rings.marker.line.width
    assert rings.marker.size < few_rings.marker.size


@pytest.mark.parametrize("panel", ["kmeans", "gmm"])
def test_rows_with_gaps_are_drawn_hollow_in_their_segments_colour_and_none_dropped(panel):
    """Issue 20: a row with blank cells is drawn (at its expected values) with the hollow
    version of its segment's marker, and says so in its hover; every row is drawn once."""
    pts, labels = _points(60)
    gaps = np.arange(60) % 4 == 1
    hover = theme.RowHover("id", [str(i) for i in range(60)], ("a", "b"), pts,
                           notes=np.where(gaps, "a was blank; drawn at the value the model "
                                          "expects", ""))
    common = dict(x_range=(-5, 5), y_range=(-5, 5), axis_titles=("a", "b"), hover=hover,
                  gaps=gaps)
    means = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    fig = (figures.kmeans_figure(pts, labels, means, **common) if panel == "kmeans" else
           figures.gmm_figure(pts, labels, np.full(60, 0.9), means, np.stack([np.eye(2)] * 3),
                              **common))
    points = [t for t in fig.data if t.meta == "points"]
    assert sum(len(t.x) for t in points) == 60
    hollow = [t for t in points if str(t.marker.symbol).endswith("-open")]
    assert sum(len(t.x) for t in hollow) == gaps.sum()
    for t in hollow:
        solid = next(s for s in points if s.legendgroup == t.legendgroup and s is not t)
        assert t.marker.color == solid.marker.color
        assert t.marker.symbol == solid.marker.symbol + "-open"
        assert all("drawn at the value the model expects" in text for text in t.text)
    assert theme.GAPS_ENTRY in [t.name for t in fig.data if t.meta == "legend"]
    plain = figures.kmeans_figure(pts, labels, means, x_range=(-5, 5), y_range=(-5, 5),
                                  axis_titles=("a", "b"))
    assert not any(str(t.marker.symbol).endswith("-open") for t in plain.data
                   if t.meta == "points")
