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
