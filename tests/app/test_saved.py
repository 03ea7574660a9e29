"""Issue 18, item 4: work survives a reload -- kept on the server under an id in the URL."""

import pathlib

from streamlit.testing.v1 import AppTest

from ui import keys, saved

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEGMENTS = "pages/segments.py"


def _customers(n=300):
    lines = ["CustomerID,Region,income,spend,age"]
    for i in range(n):
        cx, cy = [(20, 20), (60, 70), (90, 20)][i % 3]
        lines.append(f"C{i:04d},{'north' if i % 2 else 'south'},{cx + (i * 7) % 11},"
                     f"{cy + (i * 5) % 9},{20 + (i * 3) % 50}")
    return ("\n".join(lines) + "\n").encode()


def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def test_a_new_session_with_a_kept_id_gets_the_upload_settings_model_and_names():
    """The restoring half of a reload (the keeping half runs in the browser test).

    AppTest runs the entry file only on a session's first run (later runs go
    straight to the page), so the state is put in the store here as
    ``saved.keep`` would, and a fresh AppTest opens the link.
    """
    state = {"data": {"kind": "upload", "filename": "shop.csv", "missing": "median"},
             "upload_bytes": _customers(), "noun": "shoppers",
             "choices": {"features": ["income", "spend"], "scaling": "minmax", "label": None}}
    ds = saved.rebuild(state)
    model = (ds.fingerprint, "minmax", 3, "diag", "kmeans", 1, 7)
    state["data_keys"] = {
        keys.COMPARE_SETTINGS: {keys.W_K: 3, keys.W_COVARIANCE: "diag", keys.W_INIT: "kmeans",
                                keys.W_N_INIT: 1, keys.W_SEED: 7},
        keys.SEGMENT_NAMES: {model: {"edits": {1: "Weekend regulars"},
                                     "names": ("A", "Weekend regulars", "C")}}}
    saved.store().put("kept-id", state, size=len(state["upload_bytes"]))

    again = _app()
    again.query_params[saved.QUERY] = "kept-id"
    again.run()
    assert not again.exception and not again.warning
    ds = again.session_state[keys.DATASET]
    assert ds.name == "shop.csv" and ds.features == ("income", "spend") and ds.scaling == "minmax"
    assert ds.report.missing == "median"
    again.switch_page(SEGMENTS).run()
    assert not again.exception, [e.value for e in again.exception]
    assert len(again.text_input) == 3                                   # k = 3
    assert again.text_input(key=f"{keys.W_SEG_NAME}1").value == "Weekend regulars"
    assert "diag covariance, seed 7" in " ".join(c.value for c in again.caption)
    assert any("The 300 shoppers fall into 3" in m.value for m in again.markdown)


def test_an_unknown_link_says_it_has_expired_and_starts_afresh():
    at = _app()
    at.query_params[saved.QUERY] = "not-a-saved-id"
    at.run()
    assert any("expired" in w.value for w in at.warning)
    assert at.session_state[keys.DATASET].name == "Mall customers"
    fresh = at.query_params[saved.QUERY]
    assert (fresh[0] if isinstance(fresh, list) else fresh) != "not-a-saved-id"


def test_the_store_expires_and_keeps_within_its_limits():
    now = [0.0]
    store = saved.BoundedStore(max_entries=3, max_bytes=1000, ttl=100, clock=lambda: now[0])
    for name in "abc":
        store.put(name, name.upper(), size=300)
    assert store.get("a") == "A"                      # now the most recently used
    store.put("d", "D", size=300)                     # over the bytes: "b" (least recent) goes
    assert store.get("b") is None and len(store) == 3
    now[0] = 150.0
    assert store.get("c") is None                     # 150 s unused: expired
    store.put("e", "E", size=10)
    now[0] = 200.0
    assert store.get("e") == "E" and store.get("a") is None


def test_save_project_then_open_it_in_another_session(monkeypatch):
    """Issue 18, item 5: "Save project" on Segments, "Open a project" on Data, the same work
    back."""
    import json

    from streamlit.runtime.media_file_manager import MediaFileManager

    files = {}
    add_deferred = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        files[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = _app().run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("shop.csv", _customers(), "text/csv")).run()
    ds = at.session_state[keys.DATASET]
    at.multiselect(key=f"{keys.W_FEATURES}:{ds.token}").set_value(["income", "spend"]).run()
    next(t for t in at.text_input if t.label == "What is one row?").input("shoppers").run()
    at.switch_page("pages/compare.py").run()
    at.slider(key=keys.W_K).set_value(4).run()
    at.selectbox(key=keys.W_COVARIANCE).set_value("diag").run()
    at.switch_page(SEGMENTS).run()
    at.text_input(key=f"{keys.W_SEG_NAME}2").input("Bargain hunters").run()
    assert not at.exception, [e.value for e in at.exception]
    data = files["gmm-project.json"]()
    doc = json.loads(data)
    assert doc["data"]["filename"] == "shop.csv" and doc["model"]["features"] == ["income", "spend"]

    other = _app().run()                               # another machine: a fresh session
    other.toggle(key=keys.W_PROJECT_OPEN).set_value(True).run()
    other.file_uploader(key=keys.W_PROJECT).set_value(("p.json", data, "application/json")).run()
    assert not other.exception and not other.error, [e.value for e in other.error]
    ds = other.session_state[keys.DATASET]
    assert ds.name == "shop.csv" and ds.features == ("income", "spend")
    other.switch_page(SEGMENTS).run()
    assert len(other.text_input) == 4
    assert other.text_input(key=f"{keys.W_SEG_NAME}2").value == "Bargain hunters"
    assert [t.value for t in other.text_input] == [t.value for t in at.text_input]
    assert "diag covariance" in " ".join(c.value for c in other.caption)
    assert any("The 300 shoppers fall into 4" in m.value for m in other.markdown)

    # a model that does not belong to the table: said plainly, the loaded data kept
    doc["choices"]["features"] = ["income", "age"]
    bad = _app().run()
    bad.toggle(key=keys.W_PROJECT_OPEN).set_value(True).run()
    bad.file_uploader(key=keys.W_PROJECT).set_value(
        ("bad.json", json.dumps(doc).encode(), "application/json")).run()
    message = " ".join(e.value for e in bad.error).replace("\\", "")
    assert "The model was fitted on income, spend, but the project chooses income, age" in message
    assert bad.session_state[keys.DATASET].name == "Mall customers"
