"""Model JSON: exact round trips, assigning new rows by column name, and a loader
that refuses every malformed file with a clear ModelFileError."""

import copy
import json

import numpy as np
import pandas as pd
import pytest

from conftest import COVARIANCE_TYPES, blobs
from gmm_core import DataError, GaussianMixture, Scaler, make_customers
from gmm_core.analysis.compare import compare_models
from gmm_core.outputs.model_file import (FORMAT, ModelFileError, SegmentModel, load_model,
                               save_model)


def _model(covariance_type="full", scaling="standard", k=3):
    X = blobs(n_per=80)[0] * [1.0, 50.0] + [0.0, 1000.0]
    scaler = Scaler(scaling).fit(X)
    gmm = GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(
        scaler.transform(X))
    return SegmentModel(gmm, scaler, ("income", "spend"), tuple(f"S{j}" for j in range(k))), X


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
def test_json_round_trip_assigns_new_rows_identically(covariance_type, scaling, tmp_path):
    model, X = _model(covariance_type, scaling)
    path = tmp_path / "model.json"
    save_model(model, path)
    again = load_model(path)
    rng = np.random.RandomState(1)
    new = X[rng.choice(len(X), 50)] + rng.normal(0, 0.5, (50, 2))
    assert again.features == model.features and again.segment_names == model.segment_names
    assert again.scaling == scaling and again.gmm.covariance_type == covariance_type
    np.testing.assert_array_equal(again.predict_proba(new), model.predict_proba(new))
    np.testing.assert_array_equal(again.predict(new), model.predict(new))
    np.testing.assert_array_equal(again.score_samples(new), model.score_samples(new))
    # and writing it again gives the same file
    assert again.to_json() == model.to_json()


def test_from_comparison_keeps_scaling_names_and_original_units():
    data = make_customers(random_state=0)
    X = data.features.to_numpy()
    cmp = compare_models(X, 5, random_state=0)
    names = tuple(f"Group {c}" for c in "ABCDE")
    model = SegmentModel.from_comparison(cmp, data.features.columns, names)
    doc = json.loads(model.to_json())
    assert doc["format"] == FORMAT and doc["segment_names"] == list(names)
    assert doc["features"] == list(data.features.columns)
    np.testing.assert_allclose(doc["original_units"]["means"], cmp.means, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), cmp.gmm_labels)
    np.testing.assert_allclose(model.predict_proba(X), cmp.proba, rtol=0, atol=0)
    default = SegmentModel.from_comparison(cmp, data.features.columns)
    assert default.segment_names == tuple(f"Segment {j}" for j in range(1, 6))


def test_a_frame_is_matched_by_column_name():
    model, X = _model()
    frame = pd.DataFrame({"id": np.arange(len(X)), "spend": X[:, 1], "income": X[:, 0]})
    np.testing.assert_array_equal(model.predict(frame), model.predict(X))


def test_missing_column_nan_row_and_text_column_are_data_errors():
    model, X = _model()
    with pytest.raises(DataError, match="no column 'spend'") as err:
        model.predict(pd.DataFrame({"income": X[:, 0]}))
    assert err.value.column == "spend"
    bad = X.copy()
    bad[7, 1] = np.nan
    with pytest.raises(DataError, match="row 8") as err:
        model.predict(bad)
    assert err.value.row == 8
    with pytest.raises(DataError, match="not numbers"):
        model.predict(pd.DataFrame({"income": ["a"] * 3, "spend": [1.0, 2.0, 3.0]}))
    with pytest.raises(DataError, match="Expected rows of 2 values"):
        model.predict(X[:, :1])


def test_make_scaler_and_names():
    sc = Scaler.from_parameters("minmax", [1.0, 2.0], [2.0, 4.0])
    np.testing.assert_array_equal(sc.inverse_transform([[0.5, 0.5]]), [[2.0, 4.0]])
    model, _ = _model()
    renamed = model.with_names(["a", "b", "c"])
    assert renamed.segment_names == ("a", "b", "c") and renamed.gmm is model.gmm
    with pytest.raises(ValueError, match="3 components but 2"):
        model.with_names(["a", "b"])


# ------------------------------------------------------------------ hostile files
def _doc(covariance_type="full"):
    return json.loads(_model(covariance_type)[0].to_json())


def _edit(path, value, covariance_type="full"):
    doc = _doc(covariance_type)
    *parents, last = path
    target = doc
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return json.dumps(doc)


HOSTILE = {
    "not json": (b"hello, I am a CSV\n1,2,3", "not valid JSON"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "pickle-like": (b"\x80\x04\x95", "not UTF-8"),
    "empty": (b"", "not valid JSON"),
    "a list": ("[1, 2, 3]", "top level must be an object"),
    "NaN literal": (None, "NaN, which is not a number"),
    "wrong format": (_edit(("format",), "sklearn"), "'format' must be"),
    "future version": (_edit(("version",), 2), "'version' must be 1"),
    "version true": (_edit(("version",), True), "'version' must be 1"),
    "extra key": (_edit(("__class__",), "os.system"), "unknown key"),
    "missing mixture": (_edit(("mixture",), KeyError), "no 'mixture'"),
    "feature not text": (_edit(("features",), ["income", 3]), "non-empty text"),
    "duplicate features": (_edit(("features",), ["a", "a"]), "same name twice"),
    "one feature too many": (_edit(("features",), ["a", "b", "c"]), "shape"),
    "too many segments": (_edit(("segment_names",), [f"s{i}" for i in range(101)]),
                          "more than the limit"),
    "names of wrong count": (_edit(("segment_names",), ["a", "b"]), "shape"),
    "huge name": (_edit(("segment_names",), ["x" * 500, "b", "c"]), "longer than"),
    "bad scaling": (_edit(("scaling", "method"), "log"), "'scaling.method'"),
    "zero scale": (_edit(("scaling", "scale"), [1.0, 0.0]), "positive"),
    "string number": (_edit(("mixture", "weights"), ["0.3", 0.3, 0.4]), "must contain numbers"),
    "bool number": (_edit(("mixture", "weights"), [True, 0.0, 0.0]), "must contain numbers"),
    "weights not summing": (_edit(("mixture", "weights"), [0.5, 0.5, 0.5]), "sum to 1"),
    "negative weight": (_edit(("mixture", "weights"), [1.5, -0.5, 0.0]), "non-negative"),
    "ragged means": (_edit(("mixture", "means"), [[0.0, 1.0], [1.0], [2.0, 3.0]]), "shape"),
    "1e999 overflow": (_edit(("mixture", "means"), [[0.0, 1e308], [0, 0], [0, 0]])
                       .replace("1e+308", "1e999"), "too large"),
    "unknown covariance type": (_edit(("mixture", "covariance_type"), "banded"),
                                "covariance_type"),
    "not symmetric": (_edit(("mixture", "covariances"),
                            [[[1.0, 0.5], [0.0, 1.0]]] * 3), "symmetric"),
    "not positive definite": (_edit(("mixture", "covariances"),
                                    [[[1.0, 2.0], [2.0, 1.0]]] * 3), "positive definite"),
    "negative diag": (_edit(("mixture", "covariances"), [[1.0, -1.0]] * 3, "diag"),
                      "positive definite"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "fit not object": (_edit(("fit",), [1, 2]), "'fit' must be an object"),
    "weights as text": (_edit(("mixture", "weights"), "0.3, 0.3, 0.4"), "nested 1 deep"),
    "huge means array": (_edit(("mixture", "means"), [[0.0, 0.0]] * 100_000), "shape"),
    "pickle in an extra key": (_edit(("pickle",), "gASVAAAAAAAAAAB9lC4="), "unknown key"),
    "code as covariance type": (_edit(("mixture", "covariance_type"), "__import__('os')"),
                                "covariance_type"),
    "Infinity literal": ("Infinity", "Infinity, which is not a number"),
    "unclosed braces": ("{" * 100_000, "not valid JSON|nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_loader_refuses_malformed_files_with_a_clear_message(case):
    text, expected = HOSTILE[case]
    if text is None:
        text = _edit(("mixture", "weights"), [0.2, 0.3, 0.5]).replace("0.2", "NaN", 1)
    with pytest.raises(ModelFileError, match=expected) as err:
        load_model(text if isinstance(text, bytes) else text.encode())
    assert isinstance(err.value, DataError)
    assert "GMM Explorer" in str(err.value)  # says where a good file comes from


def test_loader_checks_size_before_parsing(monkeypatch, tmp_path):
    import gmm_core.outputs.model_file as model_io

    monkeypatch.setattr(model_io, "MAX_BYTES", 100)
    with pytest.raises(ModelFileError, match="larger than"):
        load_model(b"{" + b" " * 200 + b"}")
    path = tmp_path / "big.json"
    path.write_text(_model()[0].to_json())
    with pytest.raises(ModelFileError, match="larger than"):
        load_model(path)


def test_missing_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="Cannot read the model file"):
        load_model(tmp_path / "nope.json")


def test_every_valid_covariance_type_loads():
    for ct in COVARIANCE_TYPES:
        doc = _doc(ct)
        assert SegmentModel.from_dict(copy.deepcopy(doc)).gmm.covariance_type == ct
