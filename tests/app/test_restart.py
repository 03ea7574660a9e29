"""A server restart under an open session (issue 24, item 3): the work comes back, said plainly.

The saved work (``ui.saved``) is written to disk too (``ui.disk.DiskStore``);
a session whose id the restarted server's memory does not know finds it there.
``python -m benchmarks.load faults`` restarts a real server under a browser tab.
"""

import json
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui import disk, keys, saved

ROOT = pathlib.Path(__file__).resolve().parents[2]
SID = "Abcdefghijklmnop_-123456"


def _csv():
    return ("id,income,spend\n" + "".join(f"{i},{20 + i % 7 * 9},{(i * 37) % 100}\n"
                                          for i in range(150))).encode()


@pytest.fixture
def store(tmp_path):
    return disk.DiskStore(tmp_path, max_entries=3, max_bytes=10_000, ttl=100,
                          clock=lambda: 0.0)


def test_state_round_trips_through_json_with_tuples_int_keys_and_arrays(store):
    model = ("f" * 32, "standard", 3, "full", "kmeans", 1, 0)
    state = {"data": {"kind": "upload", "filename": "a.csv"}, "upload_bytes": b"x,y\n1,2\n",
             "data_keys": {
                 keys.SEGMENT_NAMES: {model: {"edits": {1: "Big"}, "names": ("A", "Big")}},
                 keys.SHOWN_FITS: {"last": (np.eye(2), (1, 0)),
                                   "models": {model: ((1, 0), (0, 1))}}}}
    assert store.put(SID, state) is True
    assert store.put(SID, state) is False                  # unchanged: nothing written
    back = store.get(SID)
    assert back["upload_bytes"] == b"x,y\n1,2\n"
    names = back["data_keys"][keys.SEGMENT_NAMES]
    assert names == {model: {"edits": {1: "Big"}, "names": ("A", "Big")}}
    last = back["data_keys"][keys.SHOWN_FITS]["last"]
    assert np.array_equal(last[0], np.eye(2)) and last[1] == (1, 0)
    assert not any(p.suffix == ".pkl" for p in store.directory.iterdir())
    json.loads((store.directory / f"{SID}.json").read_text())   # plain JSON


@pytest.mark.parametrize("sid", ["../../etc/passwd", "short", "a/b" * 10, "", None, "x" * 65])
def test_an_id_that_the_app_did_not_make_is_never_a_path(store, sid):
    assert store.put(sid, {"data": {}}) is False and store.get(sid) is None
    assert list(store.directory.iterdir()) == []


def test_the_disk_keeps_within_its_limits_and_forgets_the_oldest(tmp_path):
    now = [0.0]
    store = disk.DiskStore(tmp_path, max_entries=2, max_bytes=5_000, ttl=100,
                           clock=lambda: now[0])
    for i in range(3):
        store.put(f"{'id' * 8}{i}", {"data": {"kind": "demo", "name": str(i)}})
        (tmp_path / f"{'id' * 8}{i}.json").touch()
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert store.put("big" * 8, {"data": {}, "upload_bytes": b"x" * 6_000}) is False
    now[0] = 10 ** 12                                       # long after: expired
    assert store.get(f"{'id' * 8}2") is None


def test_an_unreadable_file_is_no_saved_work(store):
    store.directory.mkdir(exist_ok=True)
    (store.directory / f"{SID}.json").write_text("{not json")
    assert store.get(SID) is None


def test_a_session_whose_server_restarted_gets_its_work_back_and_is_told():
    state = {"data": {"kind": "upload", "filename": "shop.csv", "missing": "drop"},
             "upload_bytes": _csv(), "noun": "shoppers",
             "choices": {"features": ["income", "spend"], "scaling": "minmax", "label": None},
             "data_keys": {keys.COMPARE_SETTINGS: {keys.W_K: 4}}}
    assert saved.disk().put(SID, state)                     # kept by the server before
    assert saved.store().get(SID) is None                   # ... and forgotten by this one
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[saved.QUERY] = SID
    at.run()
    assert not at.exception and not at.warning
    assert [i.value for i in at.info] == [saved.RESTORED]
    ds = at.session_state[keys.DATASET]
    assert (ds.name, ds.scaling, ds.features) == ("shop.csv", "minmax", ("income", "spend"))
    assert at.session_state[keys.COMPARE_SETTINGS][keys.W_K] == 4


def test_every_run_keeps_the_work_on_disk_too():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    sid = at.session_state[keys.SAVED_ID]
    assert saved.disk().get(sid)["data"] == {"kind": "demo", "name": "Mall customers"}
