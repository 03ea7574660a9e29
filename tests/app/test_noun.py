"""Issue 18, item 2: "What is one row?" is set once on the Data page and counts rows everywhere."""

import json
import pathlib

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from ui import keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOUN = "patients <i>"   # markup characters: shown as typed, never as HTML


@pytest.fixture
def deferred(monkeypatch):
    """The callables the page hands to its deferred download buttons, by file name."""
    seen = {}
    add_deferred = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def _text(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [m.label for m in at.metric] + [t.value for t in at.text]
    return " ".join(parts).replace("\\", "")


def test_the_noun_counts_rows_on_every_page_and_in_the_report(deferred):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    box = next(t for t in at.text_input if t.label == "What is one row?")
    assert box.value == "rows"
    box.input(NOUN).run()
    assert not at.exception
    assert "Mall customers: 1,000 patients <i>, " in _text(at)
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "The 1,000 patients <i> fall into 5 segments" in text
    assert "Share of all patients <i>" in text and "random re-draws of the patients <i>" in text
    assert "<i>" not in " ".join(m.value for m in at.markdown)    # escaped for Markdown
    report = deferred["segments-report.html"]().decode("utf-8")
    assert "1,000 patients &lt;i&gt;" in report and "patients <i>" not in report
    # the exported chart (PNG) is titled with the count in the user's word, escaped
    overview = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                    if el.proto.id.endswith("seg_overview"))
    assert overview["layout"]["title"]["text"].endswith("1,000 patients &lt;i&gt;")
    at.switch_page("pages/compare.py").run()
    assert "fitted on all 1,000 patients <i>" in _text(at)

    # another dataset starts at "rows"; the first keeps its noun when it comes back
    at.switch_page("pages/data.py").run()
    at.selectbox(key=keys.W_DEMO).set_value("Iris flowers").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    assert next(t for t in at.text_input if t.label == "What is one row?").value == "rows"
    at.selectbox(key=keys.W_DEMO).set_value("Mall customers").run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    assert next(t for t in at.text_input if t.label == "What is one row?").value == NOUN
    next(t for t in at.text_input if t.label == "What is one row?").input("  ").run()
    assert "Mall customers: 1,000 rows, " in _text(at)       # emptied: back to "rows"
