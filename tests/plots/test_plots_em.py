"""gmm_core.plots.em: the builders produce the traces and frames the pages rely on."""

import numpy as np
import pytest

import gmm_core
import gmm_core.analysis.explain
import gmm_core.data
from gmm_core.analysis import em_canvas
from gmm_core.plots import em as figures_em
from gmm_core.plots import theme


@pytest.fixture(scope="module")
def drawn():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(5, 1, (300, 2))])
    run = gmm_core.analysis.explain.em_run(X, 2, init_params="random", random_state=1)
    proj = gmm_core.data.axes_projection(["a <b>", "b"], 0, 1)
    canvas = em_canvas.em_canvas(run, X, proj, max_points=250)
    return X, run, canvas


def _figure(drawn, index, **kw):
    X, run, canvas = drawn
    frame = em_canvas.em_frame(run, canvas, index)
    return figures_em.em_step_figure(canvas.points, frame, canvas.log_likelihoods,
                                     x_range=canvas.x_range, y_range=canvas.y_range,
                                     axis_titles=canvas.axis_titles, point_ids=canvas.rows, **kw)


def test_point_colours_are_the_compare_palette_faded_when_unsure(drawn):
    marker = _figure(drawn, 1).data[0].marker
    # value j is drawn in colour(j); -1 (before the first E-step) in grey
    scale = [c for _, c in marker.colorscale][1::2]
    assert [c.lower() for c in scale[1:]] == [theme.colour(j).lower() for j in range(2)]
    assert (marker.cmin, marker.cmax) == (-1.5, 1.5)
    values, alpha = figures_em.point_style(np.array([[0.98, 0.02], [0.5, 0.5]]), 2)
    assert values.tolist() == [0, 0] and alpha[0] > 0.9 and alpha[1] < 0.2


def test_components_are_drawn_above_the_points_in_one_webgl_layer(drawn):
    """Issue 16 item 1: SVG ellipses and means vanished under the WebGL points."""
    X, run, canvas = drawn
    fig = _figure(drawn, 4, explained=(canvas.point(X, 3), "row 4"), seeds=canvas.seeds)
    scatter = [t for t in fig.data if t.xaxis in (None, "x")]
    assert {t.type for t in scatter} == {"scattergl"}
    names = [t.name for t in scatter]
    assert names[0] == "points"
    assert names.index("means") > max(i for i, n in enumerate(names) if "outline" in n)
    assert names[-2:] == ["explained row", "explained row"]
    halo = [t for t in scatter if t.name.endswith("(outline)")]
    assert len(halo) == 4 and all(t.line.color == "white" and t.line.width > 3 for t in halo)
    means = fig.data[names.index("means")]
    assert means.marker.line.color == "white" and means.marker.line.width >= 2


def test_one_step_per_figure_and_the_step_is_marked(drawn):
    X, run, canvas = drawn
    fig = _figure(drawn, 3, explained=(canvas.point(X, 3), "<i>4</i>"))
    assert not fig.frames and not fig.layout.updatemenus and not fig.layout.sliders
    assert fig.layout.meta == {"step": 3}
    marker = [t for t in fig.data if t.name == "this step"][0]
    assert marker.x == (3,) and marker.customdata[0] == pytest.approx(canvas.log_likelihoods[3])
    assert len(fig.data[0].x) == 250 and list(fig.data[0].customdata) == canvas.rows.tolist()
    ring = [t for t in fig.data if t.name == "explained row"]
    np.testing.assert_allclose([ring[0].x[0], ring[0].y[0]], X[3])
    assert ring[0].text == ("&lt;i&gt;4&lt;/i&gt;",)  # user strings escaped
    assert "&lt;b&gt;" in fig.layout.xaxis.title.text
    assert "a &lt;b&gt; = %{x" in fig.data[0].hovertemplate  # the feature, named and escaped


def test_steps_change_what_they_should(drawn):
    """Grey at the start; an E-step recolours points, an M-step moves the ellipses."""
    figs = {i: _figure(drawn, i) for i in (0, 2, 3, 4)}
    assert set(np.asarray(figs[0].data[0].marker.color).tolist()) == {-1}
    colours = {i: np.r_[figs[i].data[0].marker.color, figs[i].data[0].marker.opacity]
               for i in (2, 3, 4)}
    ellipse = {i: [t for t in figs[i].data if t.name == "A"][0].x for i in (2, 3, 4)}
    assert not np.array_equal(colours[3], colours[2]) and np.allclose(ellipse[3], ellipse[2])
    assert np.array_equal(colours[4], colours[3]) and not np.allclose(ellipse[4], ellipse[3])


def test_log_likelihood_axis_stays_readable_whatever_the_start():
    """Issue 17: a start at -426,481 per point made the curve a flat line after step 1."""
    ll = np.r_[-4.26e5, -4.26e5, np.linspace(-2.3, -2.0, 20)]
    lo, hi, off = figures_em.log_likelihood_range(ll)
    assert off[:2].all() and not off[2:].any() and -2.5 < lo < -2.3 and -2.0 < hi < -1.9
    near = np.r_[-2.5, -2.5, np.linspace(-2.3, -2.0, 20)]
    assert not figures_em.log_likelihood_range(near)[2].any()  # an honest start stays on
    # a start just below a flat rest is on the scale too (k = 10 on the customers demo)
    flat_rest = np.r_[-2.104, -2.104, np.linspace(-2.07, -2.052, 12)]
    assert not figures_em.log_likelihood_range(flat_rest)[2].any()
    flat = figures_em.log_likelihood_range([-2.0, -2.0, -2.0])
    assert flat[0] < -2.0 < flat[1]


def test_off_scale_start_is_drawn_at_the_edge_and_said(drawn):
    X, run, canvas = drawn
    frame = em_canvas.em_frame(run, canvas, 0)
    ll = canvas.log_likelihoods.copy()
    ll[:2] = -4e5
    fig = figures_em.em_step_figure(canvas.points, frame, ll, x_range=canvas.x_range,
                                    y_range=canvas.y_range, axis_titles=canvas.axis_titles)
    curve = [t for t in fig.data if t.name == "log-likelihood"][0]
    assert min(curve.y) >= fig.layout.yaxis2.range[0] and curve.customdata[0] == -4e5
    assert any("off the scale" in a.text for a in fig.layout.annotations)


def test_choose_start_figure_marks_the_clicked_points():
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    fig = figures_em.choose_start_figure(pts, point_ids=[10, 11, 12], point_keys=["a", "<b>", "c"],
                                         chosen=[pts[1]], x_range=(0, 2), y_range=(0, 1),
                                         axis_titles=("x", "y"))
    assert [t.type for t in fig.data] == ["scattergl", "scattergl"]
    assert list(fig.data[0].customdata) == [10, 11, 12] and fig.data[0].text[1] == "&lt;b&gt;"
    assert list(fig.data[1].x) == [1.0] and fig.data[1].text == ("1",)


def test_heatmap_names_points_and_escapes():
    resp = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    fig = figures_em.responsibility_heatmap_figure(resp, ["row 0: <x> = 1", "row 1", "row 2"])
    hm = fig.data[0]
    assert hm.type == "heatmap" and np.asarray(hm.z).shape == (2, 3)
    assert hm.customdata[0][0] == "row 0: &lt;x&gt; = 1"
    assert "<b>A</b>" in fig.layout.yaxis.ticktext[0]  # segments are named by letter


def test_restarts_figure_one_panel_per_optimum_components_on_top():
    pts = np.random.default_rng(0).normal(size=(50, 2))
    panel = dict(title="1: 7 of 12 starts <b>", labels=np.zeros(50, int),
                 means=np.zeros((2, 2)), covariances=np.stack([np.eye(2)] * 2))
    fig = figures_em.restarts_figure(pts, [panel, dict(panel, title="2: 5 of 12 starts")],
                                     x_range=(-3, 3), y_range=(-3, 3), axis_titles=("a", "b"))
    assert [a.text for a in fig.layout.annotations] == ["1: 7 of 12 starts &lt;b&gt;",
                                                        "2: 5 of 12 starts"]
    assert {t.type for t in fig.data} == {"scattergl"}
    first = [t for t in fig.data if t.xaxis == "x"]
    assert first[0].name == "points" and first[-1].name == "means"


def test_rows_with_gaps_are_drawn_hollow_at_their_most_likely_values():
    """Issue 20: EM step by step draws every row; one with a blank cell at the final model's
    expected value for it, as a hollow circle."""
    from tests.conftest import blobs, with_gaps

    X0, _ = blobs(n_per=40)
    X = with_gaps(X0, 0.2, seed=3)
    run = gmm_core.analysis.explain.em_run(X, 3, random_state=0)
    proj = gmm_core.data.axes_projection(["a", "b"], 0, 1)
    canvas = em_canvas.em_canvas(run, X, proj, max_points=1000)
    gaps = np.isnan(X).any(axis=1)[canvas.rows]
    assert canvas.points.shape[0] == X.shape[0] and np.isfinite(canvas.points).all()
    assert canvas.gaps.tolist() == gaps.tolist()
    frame = em_canvas.em_frame(run, canvas, 1)
    fig = figures_em.em_step_figure(canvas.points, frame, canvas.log_likelihoods,
                                    x_range=canvas.x_range, y_range=canvas.y_range,
                                    axis_titles=canvas.axis_titles, gaps=canvas.gaps)
    marker = fig.data[0].marker
    assert list(marker.symbol) == ["circle-open" if g else "circle" for g in gaps]
    assert np.asarray(marker.line.width)[gaps].min() > 0
    complete = gmm_core.analysis.explain.em_run(X0, 3, random_state=0)
    plain = _figure((X0, complete, em_canvas.em_canvas(complete, X0, proj)), 1)
    assert plain.data[0].marker.symbol is None
