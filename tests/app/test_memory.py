"""Bounded memory (issue 24, item 1): a session holds its current dataset, caches have budgets.

The root causes pinned here: each dataset's widgets registered new Streamlit
widget metadata whose ``on_change`` callbacks, defined in the Data page, held
that page run's namespace -- and so every ``Dataset`` and ``TableResult`` the
session ever loaded; and Streamlit's uploaded-file store kept every file.
``benchmarks.load`` measures the server's memory over many uploads
(``tests/browser/test_load.py`` runs a small soak).
"""

import gc
import os
import pathlib
import subprocess
import sys
import weakref

import pytest
from streamlit.testing.v1 import AppTest

from ui import cache, dataset, keys, memory, saved, session

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _csv(seed, n=240):
    return ("id;a;b;c\n" + "".join(f"{i};{(i * seed) % 97};{(i * 7 + seed) % 89};{i % 5}\n"
                                   for i in range(n))).encode()


def _live(kind):
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def test_replacing_the_dataset_releases_the_old_one_and_its_table():
    """Regression: five uploads with Compare between kept all five datasets and tables alive."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    refs = []
    for seed in range(1, 6):
        at.switch_page("pages/data.py").run()
        at.file_uploader(key=keys.W_UPLOAD).set_value((f"f{seed}.csv", _csv(seed), "text/csv"))
        at.run()
        assert not at.exception and not at.error
        ds = at.session_state[keys.DATASET]
        refs.append((ds.name, weakref.ref(ds), weakref.ref(ds.origin)))
        # the dataset's own widgets, with their callbacks, as the user would touch them
        features_key = f"{keys.W_FEATURES}:{ds.token}"
        at.multiselect(key=features_key).set_value(["a", "b"]).run()
        at.switch_page("pages/compare.py").run()
        assert not at.exception
        del ds
    current = at.session_state[keys.DATASET]
    assert current.name == "f5.csv" and current.features == ("a", "b")
    gc.collect()
    alive = [name for name, ds_ref, table_ref in refs if ds_ref() is not None
             or table_ref() is not None]
    assert alive == ["f5.csv"]
    assert [d.name for d in _live(dataset.Dataset)] == ["f5.csv"]


def _widget_app():
    """Each run draws a text box under a new key whose callback holds a large object."""
    import streamlit as st

    from ui import session

    session.release_stale_widgets()

    class Big:
        pass

    big = Big()
    st.session_state.setdefault("refs", []).append(__import__("weakref").ref(big))
    n = st.session_state.get("n", 0) + 1
    st.session_state["n"] = n
    st.text_input("x", key=f"box:{n}", on_change=lambda: big)


def test_release_stale_widgets_drops_the_callbacks_of_widgets_that_are_gone():
    at = AppTest.from_function(_widget_app, default_timeout=60).run()
    for _ in range(5):
        at.run()
    state = at.session_state._state._state
    metadata = state._new_widget_state.widget_metadata
    assert len(metadata) <= 2   # this run's box and, until the next run, the last one
    gc.collect()
    assert sum(ref() is not None for ref in at.session_state["refs"]) <= 2


def test_an_upload_is_dropped_from_streamlits_file_store_once_read(monkeypatch):
    released = []
    monkeypatch.setattr(session, "release_upload", released.append)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("f.csv", _csv(3), "text/csv")).run()
    assert at.session_state[keys.DATASET].name == "f.csv"
    assert released == [at.session_state[keys.UPLOAD_SEEN]]
    assert at.session_state[keys.UPLOAD][0] == "f.csv"   # kept once, for a reload and re-reads
    at.file_uploader(key=keys.W_UPLOAD).set_value(("empty.csv", b"", "text/csv")).run()
    assert at.error and len(released) == 2                # a file that fails to load goes too


def test_release_upload_removes_the_file_from_the_sessions_store(monkeypatch):
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    manager = MemoryUploadedFileManager("/upload")
    manager.add_file("s1", UploadedFileRec("f1", "a.csv", "text/csv", b"x" * 1000))
    manager.add_file("s1", UploadedFileRec("f2", "b.csv", "text/csv", b"y"))
    ctx = type("Ctx", (), {"uploaded_file_mgr": manager, "session_id": "s1"})()
    monkeypatch.setattr(session, "get_script_run_ctx", lambda: ctx)
    session.release_upload("f1")
    assert [r.file_id for r in manager.get_files("s1", ["f1", "f2"])] == ["f2"]


def test_every_cache_has_entries_and_a_share_of_one_budget():
    cached = [f for f in vars(cache).values() if type(f).__name__ == "CachedFunc"]
    assert len(cached) == len(cache.SHARES) - 1       # and the saved work's share
    for f in cached:
        assert f._info.max_entries and 0 < f._info.max_size_bytes < cache.BUDGET_BYTES
    assert sum(cache.SHARES.values()) == pytest.approx(1.0)
    assert sum(f._info.max_size_bytes for f in cached) + saved.MAX_BYTES <= cache.BUDGET_BYTES
    assert saved.store._info.max_entries == 1 and saved.disk._info.max_entries == 1


def test_the_budget_is_read_from_the_environment():
    code = "import ui.cache as c, ui.saved as s; print(c.budget('compare'), s.MAX_BYTES)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "GMM_CACHE_MB": "100", "PYTHONPATH": str(ROOT)},
                         check=True).stdout.split()
    assert [int(v) for v in out] == [25 * 2**20, 20 * 2**20]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_allocator_is_tuned_and_trims_unless_turned_off(monkeypatch):
    assert memory.tune_allocator() is True
    blocks = [bytearray(200_000) for _ in range(200)]   # below the mmap threshold: on the heap
    del blocks
    assert isinstance(memory.trim(), bool)
    monkeypatch.setenv("GMM_MALLOC", "off")
    assert memory.tune_allocator() is False and memory.trim() is False


def test_closed_tabs_sessions_are_reaped_past_streamlits_ttl(monkeypatch):
    """Regression: Streamlit drops a closed tab's session only when another tab connects."""
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    storage = MemorySessionStorage(ttl_seconds=60)
    clock = [0.0]
    storage._cache._timer = lambda: clock[0]
    for sid in ("a", "b"):
        info = type("Info", (), {"session": type("S", (), {"id": sid})()})()
        storage.save(info)
    runtime = type("R", (), {"_session_mgr": type("M", (), {"_session_storage": storage})()})()
    monkeypatch.setattr(session, "Runtime", type("Rt", (), {
        "exists": staticmethod(lambda: True), "instance": staticmethod(lambda: runtime)}))
    assert session.reap_closed_sessions() == 0          # within the TTL: kept for a reconnect
    clock[0] = 61.0
    assert session.reap_closed_sessions() == 2
    assert storage._cache._data == {}
