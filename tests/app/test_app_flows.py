"""AppTest flows driven by widget keys: upload, demo, choices, Compare controls."""

import json
import pathlib

import pytest
from streamlit.testing.v1 import AppTest

from ui import dataset, keys, session, widgets

ROOT = pathlib.Path(__file__).resolve().parents[2]

CSV = (b"customer_id;income (k$);spend (score);segment\n"
       + b"".join(f"{i};{20 + (i % 7) * 9 + (i % 3)},5;{(i * 37) % 100};{'ab'[i % 2]}\n".encode()
                  for i in range(120)))


def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def _charts(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _dataset(at):
    return at.session_state[keys.DATASET]


def test_upload_replaces_dataset_and_shows_what_the_reader_did():
    at = _app()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("shop <b>*x*</b>.csv", CSV, "text/csv")).run()
    assert not at.exception
    ds = _dataset(at)
    assert ds.name == "shop <b>*x*</b>.csv" and ds.source == "upload"
    assert ds.n_rows == 120
    assert any(t.value.startswith("shop <b>*x*</b>.csv:") for t in at.text)  # plain text, no HTML
    assert any(e.label == "What the reader did" for e in at.expander)


def test_failed_upload_shows_error_and_keeps_previous_dataset():
    at = _app()
    before = _dataset(at).name
    at.file_uploader(key=keys.W_UPLOAD).set_value(("empty.csv", b"", "text/csv")).run()
    assert not at.exception
    assert at.error and "Could not load" in at.error[0].value
    assert _dataset(at).name == before


def test_upload_handler_directly():
    ds = dataset.load_upload(CSV, "shop.csv")
    assert ds.n_rows == 120 and ds.n_features >= 2
    with pytest.raises(Exception) as info:
        dataset.load_upload(b"\x00\x01\x02", "bad.csv")
    assert isinstance(info.value, __import__("gmm_core").DataError)


def test_dataset_survives_page_switches_and_k_changes_the_result():
    at = _app()
    at.selectbox(key=keys.W_DEMO).set_value("Elongated clusters").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    assert _dataset(at).name.startswith("Elongated clusters")
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    assert _dataset(at).name.startswith("Elongated clusters")
    assert len(_charts(at)) == 2
    ari_before = at.metric[0].value
    sentence_before = at.info[0].value
    gmm_before = _charts(at)[1]
    at.slider(key=keys.W_K).set_value(5).run()
    assert not at.exception
    assert at.info[0].value != sentence_before or at.metric[0].value != ari_before
    assert _charts(at)[1] != gmm_before
    at.switch_page("pages/data.py").run()
    at.switch_page("pages/compare.py").run()
    assert at.slider(key=keys.W_K).value == 5  # restored from the data key


def test_known_labels_add_truth_metrics():
    at = _app()
    at.switch_page("pages/compare.py").run()
    labels = [m.label for m in at.metric]
    assert any("vs labels" in label for label in labels)
    truth = [m for m in at.metric if "vs labels" in m.label]
    for metric in truth:  # one number that fits at 1280 px; the NMI is named in the help
        assert 0.0 <= float(metric.value) <= 1.0
        assert "normalised mutual information" in metric.proto.help
    at.switch_page("pages/data.py").run()
    label_key = session.dataset_key(keys.W_LABEL, at.session_state[keys.DATASET])
    at.selectbox(key=label_key).set_value(dataset.NO_LABEL).run()
    at.switch_page("pages/compare.py").run()
    assert not any("vs labels" in m.label for m in at.metric)


def test_one_feature_guards_compare_page():
    at = _app()
    first = list(_dataset(at).frame.columns)[0]
    features_key = session.dataset_key(keys.W_FEATURES, at.session_state[keys.DATASET])
    at.multiselect(key=features_key).set_value([first]).run()
    assert at.warning
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert at.info and "two feature" in at.info[0].value
    assert not _charts(at)


def test_compare_controls_and_toggles():
    at = _app()
    at.switch_page("pages/compare.py").run()
    for cov in ("tied", "diag", "spherical"):
        at.selectbox(key=keys.W_COVARIANCE).set_value(cov).run()
        assert not at.exception and not at.error
    at.toggle(key=keys.W_DISAGREE).set_value(True).run()
    at.selectbox(key=keys.W_GMM_SHADE).set_value("density contours").run()
    at.selectbox(key=keys.W_LEVELS).set_value("95%").run()
    assert not at.exception
    gmm = _charts(at)[1]
    assert any(tr.get("type") == "contour" for tr in gmm["data"])


def test_pca_and_axes_views_for_more_than_two_features():
    at = _app()
    at.selectbox(key=keys.W_DEMO).set_value("Iris flowers").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    assert any("exactly two features" in c.value for c in at.caption)
    # regression (issue 16): "Shade decision regions" showed ON (disabled) and "GMM background"
    # did nothing here; controls that cannot act are not shown
    assert not [t for t in at.toggle if t.key == keys.W_REGIONS]
    assert not [s for s in at.selectbox if s.key == keys.W_GMM_SHADE]
    drawn = [tr.get("type") for c in _charts(at) for tr in c["data"]]
    assert "heatmap" not in drawn and "contour" not in drawn
    at.radio(key=keys.W_VIEW).set_value("Two features").run()
    assert not at.exception and len(_charts(at)) == 2


def test_compare_hover_names_the_row_and_its_features_and_slots_drive_colours():
    at = _app()
    at.switch_page("pages/compare.py").run()
    ds = _dataset(at)
    gmm = _charts(at)[1]
    points = [tr for tr in gmm["data"] if tr.get("meta") == "points"]
    template = points[0]["hovertemplate"]
    assert template.startswith(f"<b>{ds.key_name} %{{text}}</b>")
    assert all(f"{f}: %{{customdata[" in template for f in ds.features)
    assert "GMM probability" in template
    assert set(points[0]["text"]) <= set(ds.row_keys)
    cmp = at.session_state[keys.SHOWN_FITS]
    assert cmp["fingerprint"] == ds.fingerprint and len(cmp["last"][1]) == len(points)


def test_user_strings_are_escaped_for_markdown():
    assert widgets.plain("**bold** [x](y) <b>") == r"\*\*bold\*\* \[x\]\(y\) \<b\>"
    at = _app()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("**evil**.csv", b"a,b\nx,y\n", "text/csv")).run()
    assert at.error
    assert "**" not in at.error[0].value.replace(r"\*", "")


def test_fit_errors_and_warnings_reach_the_page_not_a_traceback(monkeypatch):
    import gmm_core.analysis.compare

    def broken(*args, **kwargs):
        raise ValueError("n_components=3 is too many for this data; choose a smaller k.")

    at = _app()
    monkeypatch.setattr(gmm_core.analysis.compare, "compare_models", broken)
    at.switch_page("pages/compare.py")
    at.session_state[keys.COMPARE_SETTINGS] = {keys.W_SEED: 4242}  # not in the cache
    at.run()
    assert not at.exception
    assert at.error and "smaller k" in at.error[0].value
    assert not _charts(at)


def test_missing_value_policy_rereads_the_upload_and_is_remembered():
    data = b"a,b,c\n1,2,3\n4,,6\n7,8,9\n1,5,2\n3,3,,\n2,9,4\n"
    at = _app()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("gaps.csv", data, "text/csv")).run()
    used = _dataset(at)   # the default (issue 20): rows with gaps are used as they are
    assert used.report.missing == "use" and used.n_rows == 6 and used.had_gaps.sum() == 2
    at.selectbox(key=keys.W_MISSING).set_value("drop").run()
    dropped = _dataset(at).n_rows
    assert dropped == 4
    at.selectbox(key=keys.W_MISSING).set_value("mean").run()
    assert not at.exception
    assert _dataset(at).n_rows > dropped
    at.switch_page("pages/compare.py").run()
    at.switch_page("pages/data.py").run()
    assert at.selectbox(key=keys.W_MISSING).value == "mean"
