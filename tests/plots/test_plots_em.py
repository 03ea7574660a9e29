"""gmm_core.plots.em: the builders produce the traces and frames the pages rely on."""

import numpy as np
import pandas as pd
import pytest

import gmm_core
from gmm_core.plots import compare as figures
from gmm_core.plots import em as figures_em
import gmm_core.analysis.explain
import gmm_core.data


@pytest.fixture(scope="module")
def view():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(5, 1, (300, 2))])
    run = gmm_core.analysis.explain.em_run(X, 2, init_params="random", random_state=1)
    proj = gmm_core.data.axes_projection(["a <b>", "b"], 0, 1)
    return gmm_core.analysis.explain.em_view(run, X, proj, current=2, max_frames=60, max_points=250)


def test_point_colours_are_the_compare_palette_faded_when_unsure(view):
    k = view.frames[0]["means"].shape[0]
    fig = figures_em.em_animation_figure(view.points, view.frames, view.log_likelihoods,
                                         x_range=view.x_range, y_range=view.y_range,
                                         axis_titles=view.axis_titles)
    marker = fig.data[0].marker
    # value j is drawn in figures.PALETTE[j]; -1 (before the first E-step) in grey
    scale = [c for _, c in marker.colorscale][1::2]
    assert scale[1:] == [figures.PALETTE[j].lower() for j in range(k)] or \
        scale[1:] == [figures.PALETTE[j] for j in range(k)]
    assert (marker.cmin, marker.cmax) == (-1.5, k - 0.5)
    values, alpha = figures_em.point_style(np.array([[0.98, 0.02], [0.5, 0.5]]), 2)
    assert values.tolist() == [0, 0] and alpha[0] > 0.9 and alpha[1] < 0.2


def test_animation_figure_traces_frames_and_controls(view):
    k = view.frames[0]["means"].shape[0]
    fig = figures_em.em_animation_figure(view.points, view.frames, view.log_likelihoods,
                                         x_range=view.x_range, y_range=view.y_range,
                                         axis_titles=view.axis_titles, current=1)
    # points + 4 ellipses per component (1σ/2σ, current and previous) + 2 means + curve + marker
    assert len(fig.data) == 1 + 4 * k + 2 + 2
    assert len(fig.frames) == len(view.frames) <= 60
    animated = fig.frames[0].traces
    assert len(fig.frames[0].data) == len(animated) == len(fig.data) - 1
    assert len(fig.data[0].x) == 250
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    assert len(fig.layout.sliders[0].steps) == len(fig.frames)
    assert fig.layout.sliders[0].active == 1
    # current ellipses take the component colours; previous ones are dotted
    assert fig.data[1 + 2 * k].line.color == figures.PALETTE[0]
    assert fig.data[1].line.dash == "dot"
    # the drawn step is the current frame, its marker on the log-likelihood curve
    assert fig.data[-1].x[0] == view.frames[1]["index"]
    assert "&lt;b&gt;" in fig.layout.xaxis.title.text  # user strings escaped
    # the start is grey; the E-step recolours points, the M-step moves the ellipses
    assert set(np.asarray(fig.frames[0].data[0].marker.color).tolist()) == {-1}
    assert fig.frames[1].data[0].x is None  # points never move: frames carry colours only
    frames = {f["index"]: fr for f, fr in zip(view.frames, fig.frames)}
    e, m = 3, 4  # iteration 2: E then M
    assert view.frames[e]["label"].endswith("E-step") and view.frames[m]["label"].endswith("M-step")
    colours = {i: np.r_[frames[i].data[0].marker.color, frames[i].data[0].marker.opacity]
               for i in (e - 1, e, m)}
    assert not np.array_equal(colours[e], colours[e - 1])
    assert list(frames[e].data[1 + 2 * k].x) == list(frames[e - 1].data[1 + 2 * k].x)
    assert np.array_equal(colours[m], colours[e])
    assert list(frames[m].data[1 + 2 * k].x) != list(frames[e].data[1 + 2 * k].x)

def test_heatmap_names_points_and_escapes():
    resp = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    fig = figures_em.responsibility_heatmap_figure(resp, ["row 0: <x> = 1", "row 1", "row 2"])
    hm = fig.data[0]
    assert hm.type == "heatmap" and np.asarray(hm.z).shape == (2, 3)
    assert hm.customdata[0][0] == "row 0: &lt;x&gt; = 1"
    assert "<b>A</b>" in fig.layout.yaxis.ticktext[0]  # segments are named by letter


