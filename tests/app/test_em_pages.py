"""AppTest flows of the EM step by step page, driven by widget keys."""

import base64
import json
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui import keys, session

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _em_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page("pages/em_steps.py").run()


def _charts(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _array(value):
    """A plotly JSON array: a list, or a typed array ``{"dtype", "bdata"}``."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def _step_text(at):
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _step_slider(at):
    """The step slider (its key carries a generation: ui.stepper.slider_key)."""
    return next(s for s in at.slider if str(s.key).startswith(keys.W_EM_STEP + "_"))


def _chart_step(at):
    return _charts(at)[0]["layout"]["meta"]["step"]


def test_step_forward_and_back_changes_the_step_shown():
    at = _em_page()
    _ok(at)
    assert _step_slider(at).value == 0 == _chart_step(at)
    assert _step_text(at).startswith("**Step 0 of")
    first = _charts(at)[0]
    at.button(key=keys.W_EM_FORWARD).click().run()
    _ok(at)
    assert _step_slider(at).value == 1 == _chart_step(at)
    assert "E-step" in _step_text(at)
    at.button(key=keys.W_EM_FORWARD).click().run()
    assert _step_slider(at).value == 2 and "M-step" in _step_text(at)
    at.button(key=keys.W_EM_BACK).click().run()
    at.button(key=keys.W_EM_BACK).click().run()
    assert _step_slider(at).value == 0
    assert _charts(at)[0]["data"] == first["data"]
    assert at.button(key=keys.W_EM_BACK).proto.disabled


def test_play_advances_the_one_step_and_pause_keeps_it():
    """Issue 17: plotly's Play/Pause left the chart at step 13 and the page at step 2."""
    at = _em_page()
    _step_slider(at).set_value(3).run()
    at.button(key=keys.W_EM_PLAY).click().run()  # each run of the panel is one tick
    _ok(at)
    assert at.session_state[keys.EM_PLAYING]
    assert at.button(key=keys.W_EM_PAUSE).label == "❚❚ Pause"
    assert _step_slider(at).proto.disabled  # it follows the step while playing
    step = _step_slider(at).value
    assert step == 4 == _chart_step(at) and _step_text(at).startswith("**Step 4 of")
    assert any("E-step at step 4" in m.value for m in at.markdown)
    at.button(key=keys.W_EM_PAUSE).click().run()
    assert not at.session_state[keys.EM_PLAYING]
    assert _step_slider(at).value == 4 == _chart_step(at)
    at.run()
    assert _step_slider(at).value == 4  # paused: nothing moves


def test_play_at_the_end_starts_again_and_stops_at_the_end():
    at = _em_page()
    last = int(_step_slider(at).max)
    _step_slider(at).set_value(last).run()
    at.button(key=keys.W_EM_PLAY).click().run()
    assert _step_slider(at).value == 1  # from the start again
    at.session_state[keys.EM_STEP] = last - 1  # as Play had got there: a new slider
    at.session_state[keys.EM_SLIDER] = at.session_state[keys.EM_SLIDER] + 1
    at.run()
    assert _step_slider(at).value == last and not at.session_state[keys.EM_PLAYING]


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_log_likelihood_shown_never_decreases(covariance_type):
    at = _em_page()
    at.selectbox(key=keys.W_EM_INIT).set_value("random").run()
    at.selectbox(key=keys.W_EM_COVARIANCE).set_value(covariance_type).run()
    _ok(at)
    fig = _charts(at)[0]
    curve = next(t for t in fig["data"] if t.get("name") == "log-likelihood")
    ll = _array(curve["customdata"]).astype(float)
    assert len(ll) >= 3 and np.all(np.diff(ll) >= -1e-9)
    last = int(_step_slider(at).max)
    assert len(ll) == last + 1
    _step_slider(at).set_value(last).run()
    _ok(at)
    assert f"**Step {last} of {last}" in _step_text(at)


def test_one_light_figure_per_step_stop_reason_and_final_table():
    at = _em_page()
    fig = _charts(at)[0]
    assert not fig.get("frames") and not fig["layout"].get("sliders")
    assert len(_array(fig["data"][0]["x"])) <= 2000
    assert any("Converged after" in s.value for s in at.success)
    table = at.dataframe[-1].value
    assert list(table["component"]) == ["A", "B", "C", "D", "E"][:len(table)]
    assert abs(table["weight"].sum() - 1.0) < 1e-9
    ds = at.session_state[keys.DATASET]
    assert table[f"mean {ds.features[0]}"].between(ds.frame[ds.features[0]].min(),
                                                   ds.frame[ds.features[0]].max()).all()


def test_row_picker_names_rows_by_their_key_and_changes_the_e_step_numbers():
    at = _em_page()
    _step_slider(at).set_value(3).run()
    ds = at.session_state[keys.DATASET]
    picker = at.selectbox(key=keys.W_EM_ROW)
    keys_ = [str(v) for v in ds.row_keys]      # the demo's CustomerID: C00001, C00002, ...
    assert list(picker.options) == keys_ and picker.value == keys_[0]
    assert f"({ds.key_name})" in picker.label
    before = at.dataframe[0].value.copy()
    assert abs(before["r_ik"].sum() - 1.0) < 1e-9
    picker.set_value(keys_[5]).run()
    _ok(at)
    after = at.dataframe[0].value
    assert not np.allclose(before["N(x_i | μ_k, Σ_k)"], after["N(x_i | μ_k, Σ_k)"])
    assert any(t.value.startswith(f"{ds.key_name} {keys_[5]}:") for t in at.text)
    ring = [t for t in _charts(at)[0]["data"] if t.get("name") == "explained row"]
    assert ring and np.allclose([_array(ring[0]["x"])[0], _array(ring[0]["y"])[0]], ds.X[5])


def test_random_start_on_the_elongated_demo_is_called_stuck():
    """Issue 17: a saddle after 2 iterations was shown as a green 'Converged'."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key=keys.W_DEMO).set_value("Elongated clusters").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    at.switch_page("pages/em_steps.py").run()
    at.selectbox(key=keys.W_EM_INIT).set_value("random").run()
    assert not at.exception
    assert any("Stuck at a symmetric point" in w.value for w in at.warning)
    assert not any("Converged" in s.value for s in at.success)
    at.selectbox(key=keys.W_EM_INIT).set_value("k-means++").run()
    _ok(at)
    assert any("Converged" in s.value for s in at.success)
    assert _step_slider(at).value == 0


def test_more_than_two_features_pca_and_axes_views():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key=keys.W_DEMO).set_value("Iris flowers").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    at.switch_page("pages/em_steps.py").run()
    _ok(at)
    assert "PC1" in _charts(at)[0]["layout"]["xaxis"]["title"]["text"]
    at.radio(key=keys.W_EM_VIEW).set_value("Two features").run()
    _ok(at)
    ds = at.session_state[keys.DATASET]
    assert _charts(at)[0]["layout"]["xaxis"]["title"]["text"] == ds.features[0]


def test_new_settings_restart_at_step_zero_and_one_feature_is_guarded():
    at = _em_page()
    _step_slider(at).set_value(4).run()
    assert _step_slider(at).value == 4
    at.slider(key=keys.W_EM_K).set_value(2).run()
    _ok(at)
    assert _step_slider(at).value == 0
    at.switch_page("pages/data.py").run()
    first = list(at.session_state[keys.DATASET].frame.columns)[0]
    features_key = session.dataset_key(keys.W_FEATURES, at.session_state[keys.DATASET])
    at.multiselect(key=features_key).set_value([first]).run()
    at.switch_page("pages/em_steps.py").run()
    assert not at.exception
    assert at.info and "two feature" in at.info[0].value
    assert not _charts(at)


def test_restarts_side_by_side_and_step_through_one():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key=keys.W_DEMO).set_value("Elongated clusters").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    at.switch_page("pages/em_steps.py").run()
    at.selectbox(key=keys.W_EM_INIT).set_value("k-means++").run()
    at.button(key=keys.W_EM_RESTARTS_RUN).click().run()
    _ok(at)
    said = next(m.value for m in at.markdown if "distinct optim" in m.value)
    table = at.dataframe[-1].value
    assert table["starts"].sum() == 12 and f"found {len(table)} distinct" in said
    picks = [b for b in at.button if str(b.key).startswith(keys.W_EM_PICK)]
    assert len(picks) == min(len(table), 6)
    seed = int(picks[-1].label.split("seed ")[1].rstrip(")"))
    picks[-1].click().run()
    _ok(at)
    assert at.number_input(key=keys.W_EM_SEED).value == seed
    assert _step_slider(at).value == 0
    assert any("distinct optim" in m.value for m in at.markdown)  # the restarts stay shown


def test_choose_the_start_by_clicking():
    at = _em_page()
    at.selectbox(key=keys.W_EM_INIT).set_value("your clicks").run()
    _ok(at)
    assert any("Click 5 more point(s)" in i.value for i in at.info)
    assert _charts(at)[0]["data"][0]["type"] == "scattergl"
    at.session_state[keys.EM_CHOSEN] = [0, 100, 200, 300, 400]  # what five clicks store
    at.run()
    _ok(at)
    assert _step_text(at).startswith("**Step 0 of")
    seeds = [t for t in _charts(at)[0]["data"] if t.get("name") == "seed points of the start"]
    ds = at.session_state[keys.DATASET]
    assert sorted(_array(seeds[0]["x"]).tolist()) == sorted(ds.X[[0, 100, 200, 300, 400], 0])
    at.button(key=keys.W_EM_CLEAR).click().run()
    assert any("Click 5 more point(s)" in i.value for i in at.info)


def test_worked_e_step_of_a_point_far_from_every_component_shows_logs_not_zeros():
    """Issue 17: the worked E-step showed N = 0.000e+0, π·N = 0, sum 0, yet r = 1.000."""
    rng = np.random.default_rng(0)
    rows = [f"{x:.4f},{y:.4f}" for x, y in rng.normal(0, 1, (2000, 2))]
    rows += [f"{x:.4f},{y:.4f}" for x, y in rng.normal(1000, 1, (2000, 2))]
    rows.append("500,500")  # halfway: hundreds of spreads from either cluster
    data = ("x,y\n" + "\n".join(rows) + "\n").encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("far.csv", data, "text/csv")).run()
    at.switch_page("pages/em_steps.py").run()
    at.slider(key=keys.W_EM_K).set_value(2).run()
    ds = at.session_state[keys.DATASET]
    assert ds.key_name == "line" and ds.row_keys[-1] == "4002"  # the header is line 1
    _step_slider(at).set_value(3).run()
    at.selectbox(key=keys.W_EM_ROW).set_value("4002").run()
    _ok(at)
    table = at.dataframe[0].value
    assert "log N(x_i | μ_k, Σ_k)" in table.columns and "π_k · N" not in table.columns
    assert np.all(table["log π_k·N"] < -700) and abs(table["r_ik"].sum() - 1.0) < 1e-9
    assert any("Every density underflows" in c.value for c in at.caption)
    assert any(t.value.startswith("line 4002:") for t in at.text)


def test_only_the_current_sliders_report_moves_the_step(monkeypatch):
    """A click sent while the run that replaced the slider was still drawing carried the
    old slider (value 0) too; its callback sent the page back to step 0 while the new
    slider went on showing step 1 (seen in the browser under load)."""
    from ui import stepper
    state = {}
    monkeypatch.setattr(session, "value", lambda key, default=None: state.get(key, default))
    monkeypatch.setattr(session, "set_value", state.__setitem__)
    old = stepper.slider_key()
    state[old] = 0
    stepper.move(1, 10)  # Forward: step 1, the slider replaced
    assert stepper.slider_key() != old and stepper.current(10) == 1
    stepper.slid(old)  # the old slider's report, late
    assert stepper.current(10) == 1
    state[stepper.slider_key()] = 4  # the user drags the slider on the page
    stepper.slid(stepper.slider_key())
    assert stepper.current(10) == 4


def test_a_click_that_reaches_its_callback_twice_does_what_it_says(monkeypatch):
    """Play and Pause are two buttons, each doing one thing: a toggle that ran twice
    (its run interrupted by the play timer's) paused and then played on (seen in the
    browser: paused at step 19, at step 20 two seconds later)."""
    from ui import stepper
    state = {}
    monkeypatch.setattr(session, "value", lambda key, default=None: state.get(key, default))
    monkeypatch.setattr(session, "set_value", state.__setitem__)
    stepper.play(10)
    stepper.play(10)
    assert stepper.playing()
    stepper.tick(10)
    stepper.pause()
    stepper.pause()
    assert not stepper.playing() and stepper.current(10) == 1
    assert not stepper.tick(10) and stepper.current(10) == 1  # a late timer run moves nothing
