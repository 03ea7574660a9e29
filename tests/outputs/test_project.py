"""The project file: what it keeps comes back; what it refuses, it refuses by name
(issue 18, item 5)."""

import base64
import json

import numpy as np
import pytest

from gmm_core.analysis.compare import compare_models
from gmm_core.outputs import project
from gmm_core.outputs.model_file import SegmentModel
from gmm_core.outputs.project import (
    MAX_TABLE_BYTES,
    ProjectFileError,
    load_project,
    mismatch,
    project_json,
)

TABLE = b"id,income,spend\n1,10,20\n2,11,21\n3,50,60\n4,52,61\n5,90,15\n6,91,14\n"


def _project(**over):
    args = dict(data={"kind": "upload", "filename": "shop.csv", "missing": "median"},
                choices={"features": ["income", "spend"], "scaling": "minmax", "label": None},
                noun="shoppers", table=TABLE,
                settings={"compare": {"w_k": 3, "w_covariance": "diag", "w_init": "kmeans",
                                      "w_n_init": 1, "w_seed": 7},
                          "segments": {"unusual": 2.5}, "views": {"w_seg_view": "Two features"}},
                names={"edits": {"1": "Weekend regulars"}, "shown": ["A", "Weekend regulars", "C"],
                       "order": [2, 0, 1], "slots": [0, 1, 2]})
    args.update(over)
    return project_json(**args)


def _model(k=3):
    X = np.array([[10, 20], [11, 21], [50, 60], [52, 61], [90, 15], [91, 14]], dtype=float)
    return SegmentModel.from_comparison(compare_models(X, k, random_state=0), ["income", "spend"])


def test_round_trip_keeps_every_part():
    p = load_project(_project(model=_model()).encode("utf-8"))
    assert p.table == TABLE and p.data == {"kind": "upload", "filename": "shop.csv",
                                           "missing": "median"}
    assert p.choices == {"features": ["income", "spend"], "scaling": "minmax", "label": None}
    assert p.noun == "shoppers" and p.settings["compare"]["w_seed"] == 7
    assert p.settings["segments"]["unusual"] == 2.5
    assert p.names["edits"] == {1: "Weekend regulars"} and p.names["order"] == [2, 0, 1]
    assert p.model.n_components == 3
    assert mismatch(p, ["income", "spend"], ["income", "spend"], 3) is None


def test_use_round_trips_and_a_file_from_before_it_still_drops():
    """Issue 20: missing="use" (the app's default) is kept; an older project without a
    "missing" key meant the then default, drop."""
    p = load_project(_project(data={"kind": "upload", "filename": "shop.csv",
                                    "missing": "use"}).encode("utf-8"))
    assert p.data["missing"] == "use"
    doc = json.loads(_project())
    doc["data"].pop("missing")
    assert load_project(json.dumps(doc).encode("utf-8")).data["missing"] == "drop"
    doc["data"]["missing"] = "zero"
    with pytest.raises(ProjectFileError, match="'data.missing'"):
        load_project(json.dumps(doc).encode("utf-8"))


def _edit(text, change):
    doc = json.loads(text)
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("change, says", [
    (lambda d: d.update(format="pickle"), "'format'"),
    (lambda d: d.update(version=2), "version 2"),
    (lambda d: d.update(run="__import__('os')"), "'run' is not a key"),
    (lambda d: d["data"].update(kind="python"), "'data.kind'"),
    (lambda d: d["data"].update(table_base64="not base64!"), "not base64"),
    (lambda d: d["data"].update(table_base64=base64.b64encode(b"x,y\n1,2\n").decode()),
     "do not match"),
    (lambda d: d["data"].pop("table_base64"), "travels inside the file"),
    (lambda d: d["choices"].update(scaling="log"), "'choices.scaling'"),
    (lambda d: d["choices"].update(features="income"), "'choices.features'"),
    (lambda d: d["settings"]["compare"].update(w_k=True), "'settings.compare.w_k'"),
    (lambda d: d["settings"]["compare"].update(w_covariance="exotic"), "exotic"),
    (lambda d: d["settings"].update(secret={}), "'settings.secret'"),
    (lambda d: d["names"]["edits"].update({"1": 5}), "'names.edits.1'"),
    (lambda d: d["names"].update(order=[0, 0, 1]), "once each"),
    (lambda d: d["names"].update(slots=[4, 4, 1]), "its own colour slot"),
    (lambda d: d["model"]["mixture"].update(weights=[1.0]), "its model"),
])
def test_refusals_name_what_is_wrong(change, says):
    text = _edit(_project(model=_model()), change)
    with pytest.raises(ProjectFileError, match="not a usable project file") as info:
        load_project(text)
    assert says in str(info.value)


@pytest.mark.parametrize("text, says", [
    (b"\x80\x81", "not UTF-8"), ("[1, 2", "not valid JSON"), ("[1, 2]", "must be a JSON object"),
    ('{"format": 1, "format": 2}', "appears twice at the top level"),
    ('{"version": NaN}', "not a number"),
])
def test_what_is_not_a_project_at_all(text, says):
    with pytest.raises(ProjectFileError, match=says):
        load_project(text)


def test_size_limits(monkeypatch):
    with pytest.raises(ValueError, match="at most"):
        _project(table=b"x" * (MAX_TABLE_BYTES + 1))
    text = _project()
    monkeypatch.setattr(project, "MAX_BYTES", len(text) - 1)
    with pytest.raises(ProjectFileError, match="larger than"):
        load_project(text.encode())
    with pytest.raises(ProjectFileError, match="larger than"):
        load_project(text)


def test_a_model_that_does_not_fit_the_table_says_what_is_wrong():
    p = load_project(_project(model=_model()))
    assert "“spend”, which the table does not have" in mismatch(p, ["income", "age"], ["income"], 3)
    assert "but the project chooses income" in mismatch(p, ["income", "spend"], ["income"], 3)
    assert "has 3 segments" in mismatch(p, ["income", "spend"], ["income", "spend"], 4)
