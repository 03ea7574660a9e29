"""AppTest flow of the Segments page: names, Compare legends, threshold, presentation, exports."""

import base64
import io
import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from conftest import gappy_customers
from gmm_core.outputs.model_file import load_model
from ui import keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = "pages/segments.py"
JARGON = ("covariance", "responsibilit")
#: Words no slide may use: statistics and the method's own vocabulary (word starts, any case).
SLIDE_JARGON = JARGON + ("percentile", "probabilit", "gaussian", "mixture", "model", "jaccard",
                         "bootstrap", "resample", "variance", "standard deviation", "std",
                         "pca", "cluster", "log", "likelihood", "k =", "fitted", "algorithm",
                         "component", "centroid", "spread", "sd ")


@pytest.fixture
def downloads(monkeypatch):
    """What the page hands to its download buttons, by file name (bytes or a callable)."""
    seen = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(self, data, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data
        return add(self, data, mimetype, coordinates, file_name=file_name, **kw)

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return seen


def _array(value):
    """A plotly array from a figure spec (plain list or base64 ``bdata``)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def _data(value):
    return value() if callable(value) else value


def _segments():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _charts(at):
    return {el.proto.id: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def _overview(at):
    return next(spec for key, spec in _charts(at).items() if key.endswith("seg_overview"))


def _page_text(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.subheader] + [t.value for t in at.title]
    parts += [e.label for e in at.expander] + [m.label for m in at.metric]
    return " ".join(parts)


def test_segments_page_opens_with_named_cards():
    at = _segments()
    names = [t.value for t in at.text_input]
    assert len(names) == 5 and len(set(names)) == 5
    assert "Average" in names and "High income, low spending" in names
    assert len(at.get("plotly_chart")) == 1 + 5  # the overview and one difference chart per card
    assert any("fall into 5 segments" in m.value for m in at.markdown)


def test_edited_name_is_used_everywhere_and_resets_with_the_model(downloads):
    at = _segments()
    first = at.text_input(key=f"{keys.W_SEG_NAME}0")
    auto = first.value
    first.input("Premium <b>savers</b>").run()
    assert not at.exception
    assert at.session_state[keys.SEGMENT_NAMES]  # kept in a data key
    names = [t["name"] for t in _overview(at)["data"] if t.get("name")]
    assert "Premium &lt;b&gt;savers&lt;/b&gt;" in names  # legend shows it literally
    assert any("Suggested name" in c.value for c in at.caption)

    # the CSV, the model and the report carry the edited name
    csv = pd.read_csv(io.BytesIO(_data(downloads["segments.csv"])), encoding="utf-8-sig")
    assert "Premium <b>savers</b>" in set(csv["segment"])
    assert "probability_Premium <b>savers</b>" in csv.columns
    model = load_model(_data(downloads["segments-model.json"]))
    assert model.segment_names[0] == "Premium <b>savers</b>"
    report = _data(downloads["segments-report.html"]).decode("utf-8")
    assert "Premium &lt;b&gt;savers&lt;/b&gt;" in report and "<b>savers</b>" not in report

    # Compare's legends use it, shown literally (escaped for Plotly, which renders tags)
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    legends = [t.get("name") for spec in _charts(at).values() for t in spec["data"]]
    assert "Premium &lt;b&gt;savers&lt;/b&gt;" in legends and "Premium <b>savers</b>" not in legends

    # another model (k = 4): automatic names again; back to k = 5: the edit returns
    at.slider(key=keys.W_K).set_value(4).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert len(at.text_input) == 4
    assert "Premium <b>savers</b>" not in [t.value for t in at.text_input]
    at.switch_page("pages/compare.py").run()
    at.slider(key=keys.W_K).set_value(5).run()
    at.switch_page(PAGE).run()
    assert at.text_input(key=f"{keys.W_SEG_NAME}0").value == "Premium <b>savers</b>"

    # emptying the box brings the suggestion back
    at.text_input(key=f"{keys.W_SEG_NAME}0").input("").run()
    assert at.text_input(key=f"{keys.W_SEG_NAME}0").value == auto
    assert keys.SEGMENT_NAMES not in at.session_state or not at.session_state[keys.SEGMENT_NAMES]


def test_duplicate_name_is_made_unique():
    at = _segments()
    second = at.text_input(key=f"{keys.W_SEG_NAME}1")
    second.input(at.text_input(key=f"{keys.W_SEG_NAME}0").value).run()
    assert any("another segment has this name" in c.value for c in at.caption)
    names = [t["name"] for t in _overview(at)["data"] if t.get("meta") == "legend"]
    assert len(names) == 5
    assert len(set(names)) == len(names)


def test_threshold_flags_more_rows_and_rings_them():
    at = _segments()
    ring = next(t for t in _overview(at)["data"] if t.get("name") == "unusual rows")
    assert len(_array(ring["x"])) == 10  # 1% of 1,000 rows by default
    at.slider(key=keys.W_SEG_UNUSUAL).set_value(5.0).run()
    assert not at.exception
    ring = next(t for t in _overview(at)["data"] if t.get("name") == "unusual rows")
    assert len(_array(ring["x"])) == 50
    assert any(m.value.startswith("50 rows flagged") for m in at.markdown)
    listed = [df.value for df in at.dataframe if "unusualness" in df.value.columns]
    assert len(listed) == 1 and len(listed[0]) == 50
    assert listed[0]["unusualness"].is_monotonic_decreasing
    at.slider(key=keys.W_SEG_UNUSUAL).set_value(0.0).run()
    assert all(t.get("name") != "unusual rows" for t in _overview(at)["data"])


def _slide_text(at):
    """Everything a slide says: its text elements and its chart's labels."""
    words = [_page_text(at)]
    for spec in _charts(at).values():
        layout = spec["layout"]
        for axis in ("xaxis", "yaxis"):
            words += [str(t) for t in layout.get(axis, {}).get("ticktext", []) or []]
            words.append(str(layout.get(axis, {}).get("title", {}).get("text", "")))
        words += [str(a.get("text", "")) for a in layout.get("annotations", [])]
        for trace in spec["data"]:
            words += [str(v) for v in (trace.get("y") if trace.get("type") == "bar" else []) or []]
            words.append(str(trace.get("name", "")))
    return " ".join(words).replace("\\", "")


def _jargon(text):
    import re
    return [w for w in SLIDE_JARGON if re.search(r"(?<![a-z])" + re.escape(w), text.lower())]


def test_slides_title_one_per_segment_overview_without_jargon():
    """Issue 18, item 1: the meeting deck, turned with the buttons, in plain words and the noun."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    noun_box = next(t for t in at.text_input if t.label == "What is one row?")
    noun_box.input("customers").run()
    at.switch_page(PAGE).run()
    at.text_input(key=f"{keys.W_SEG_NAME}0").input("Careful <b>savers</b>").run()
    assert _jargon(_page_text(at))           # the normal view names the method (the test can fail)
    at.button(key=keys.W_SLIDES_START).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.text_input) == 0 and len(at.download_button) == 0 and len(at.slider) == 0
    seen = []
    for i in range(7):                       # title, five segments, overview
        text = _slide_text(at)
        assert not _jargon(text), (i, _jargon(text), text)
        assert at.title[0].value and any(f"Slide {i + 1} of 7" in c.value for c in at.caption)
        seen.append((at.title[0].value.replace("\\", ""), text))
        assert at.button(key=keys.W_SLIDES_BACK).disabled == (i == 0)
        assert at.button(key=keys.W_SLIDES_NEXT).disabled == (i == 6)
        if i < 6:
            at.button(key=keys.W_SLIDES_NEXT).click().run()
            assert not at.exception
    title, text = seen[0]
    assert "1,000 customers" in text and "5 segments" in text and "clearly belong" in text
    assert "rows" not in text.lower()
    names = [t for t, _ in seen[1:6]]
    assert names[0] == "Careful <b>savers</b>" and len(set(names)) == 5
    for _, text in seen[1:6]:
        assert "of the customers" in text and "Typical member" in text and "What it means" in text
        assert ("% for " in text or "around the middle for" in text) and "higher than" not in text
    assert seen[6][0] == "All segments at a glance"
    assert all(n in seen[6][1] for n in names[1:])
    at.button(key=keys.W_SLIDES_BACK).click().run()
    assert any("Slide 6 of 7" in c.value for c in at.caption)
    at.button(key=keys.W_SLIDES_LEAVE).click().run()
    assert len(at.text_input) == 5
    assert at.text_input(key=f"{keys.W_SEG_NAME}0").value == "Careful <b>savers</b>"


def test_download_buttons_and_their_data(downloads):
    at = _segments()
    labels = [b.label for b in at.download_button]
    assert labels == ["Rows with segments (CSV)", "Model (JSON)", "Report (HTML)",
                      "Overview chart (PNG)", "Save project"]
    ds = at.session_state[keys.DATASET]
    csv = pd.read_csv(io.BytesIO(_data(downloads["segments.csv"])), encoding="utf-8-sig")
    assert len(csv) == ds.n_rows and "CustomerID" in csv.columns  # the original rows
    probs = csv[[c for c in csv.columns if c.startswith("probability_")]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=5e-4)  # 4 decimals each
    model = load_model(_data(downloads["segments-model.json"]))
    np.testing.assert_array_equal(model.predict(csv), csv["segment_label"])
    html = _data(downloads["segments-report.html"]).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count('class="card"') == 5
    assert callable(downloads["segments-overview.png"])  # drawn by kaleido on click
    assert any("load_model" in c.value for c in at.code)


def test_export_says_how_to_run_the_model_on_the_full_data():
    """Issue 9: the model export gives the exact batch commands, with the chosen settings."""
    at = _segments()
    code = [c.value for c in at.code]
    assert "python -m gmm_core assign segments-model.json 'data/*.parquet' --out segments/" in code
    fit = next(c for c in code if c.startswith("python -m gmm_core fit"))
    assert "--k 5" in fit and "--covariance-type full" in fit and "--scaling standard" in fit
    assert "'Annual income (k$),Spending score (1-100)'" in fit  # shell-quoted columns


def _gappy_customers(n=400):
    return gappy_customers(n, seed=5, footer=True)


def test_filled_rows_are_marked_and_can_be_left_out_of_the_unusual_list():
    """Issue 16, item 5: imputed rows must not crowd the unusual list unmarked."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key=keys.W_MISSING).set_value("mean").run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(
        ("gappy.csv", _gappy_customers(), "text/csv")).run()
    ds = at.session_state[keys.DATASET]
    assert ds.name == "gappy.csv" and ds.key_name == "CustomerID" and ds.n_rows == 400
    filled = ds.original.was_filled()
    assert filled.sum() == 44
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    at.slider(key=keys.W_SEG_UNUSUAL).set_value(10.0).run()
    toggle = at.toggle(key=keys.W_SEG_SKIP_FILLED)
    assert toggle.value is True and "44 rows" in toggle.label
    tables = [t.value for t in at.dataframe]
    unusual = next(t for t in tables if "unusualness" in t.columns)
    assert unusual.columns[0] == "CustomerID" and len(unusual) == 36   # 10% of the 356 others
    filled_keys = set(ds.row_keys[filled])
    assert not filled_keys & set(unusual["CustomerID"])
    borderline = [t for t in tables if "next most likely" in t.columns]
    assert borderline and all(t.columns[0] == "CustomerID" for t in borderline)
    toggle.set_value(False).run()
    unusual = next(t.value for t in at.dataframe if "unusualness" in t.value.columns)
    assert len(unusual) == 40
    marked = unusual[unusual["CustomerID"].isin(filled_keys)]
    assert "filled in" in unusual.columns and (marked["filled in"] == "income").all()
    assert (unusual.loc[~unusual["CustomerID"].isin(filled_keys), "filled in"] == "").all()


def test_cards_say_how_stable_each_segment_is_and_who_is_in_it(downloads):
    """Issue 19, items 4-5: stability on every card and in the report; the other columns
    described."""
    at = _segments()
    text = " ".join(m.value for m in at.markdown).replace("\\", "")   # Markdown escapes
    assert text.count("random re-draws of the rows") == 5
    assert "Found again in 50 of 50" in text
    tables = [t.value for t in at.dataframe]
    who = [t for t in tables if list(t.columns) == ["column", "this segment", "everyone"]]
    assert len(who) == 5 and who[0]["column"].tolist() == ["Gender", "Age", "City"]
    pick = next(m for m in at.multiselect if m.label.startswith("Describe each segment"))
    assert "CustomerID" not in pick.options
    pick.set_value(["City"]).run()
    who = [t.value for t in at.dataframe if "this segment" in t.value.columns]
    assert all(t["column"].tolist() == ["City"] for t in who)
    html = _data(downloads["segments-report.html"]).decode("utf-8")
    assert html.count("Who they are") == 5 and html.count("random re-draws of the rows") == 5
