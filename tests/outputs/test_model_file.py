"""Model JSON: exact round trips, assigning new rows by column name, and a loader
that refuses every malformed file with a clear ModelFileError."""

import copy
import json
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import COVARIANCE_TYPES, blobs
from gmm_core import DataError, GaussianMixture, Scaler, make_customers
from gmm_core.analysis.compare import compare_models
from gmm_core.outputs.model_file import FORMAT, ModelFileError, SegmentModel, load_model, save_model


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


def test_missing_column_empty_or_infinite_row_and_text_column_are_data_errors():
    model, X = _model()
    with pytest.raises(DataError, match="no column 'spend'") as err:
        model.predict(pd.DataFrame({"income": X[:, 0]}))
    assert err.value.column == "spend"
    for cells in ([np.nan, np.nan], [np.inf, 1.0]):
        bad = X.copy()
        bad[7] = cells
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


def _edit(path, value, covariance_type="full", *, without_original=False):
    return _edits({path: value}, covariance_type, without_original=without_original)


def _edits(changes, covariance_type="full", *, without_original=False):
    """Model JSON with each ``{path: value}`` set (``KeyError``: deleted)."""
    doc = _doc(covariance_type)
    if without_original:  # else an edited mixture disagrees with 'original_units'
        del doc["original_units"]
    for path, value in changes.items():
        *parents, last = path
        target = doc
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return json.dumps(doc)


def _raw(path, token, covariance_type="full"):
    """A model file whose number at ``path`` is written as the text ``token``."""
    return _edit(path, 7777777.0, covariance_type).replace("7777777.0", token, 1)


def _twice(key, first_value):
    """A model file in which ``key`` (its first occurrence) is written twice."""
    return json.dumps(_doc()).replace(f'"{key}": ', f'"{key}": {first_value}, "{key}": ', 1)


_MEANS = [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


def _means(value):
    return [row[:1] + [value] if i == 2 else row for i, row in enumerate(_MEANS)]


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
    # issue 23 item 4: a finite but huge number loaded, then every probability was NaN
    "mean 1e300": (_edit(("mixture", "means"), _means(1e300)),
                   r"'mixture\.means'\[2\]\[1\] is 1e\+300, beyond the largest size"),
    "offset 1e300": (_edit(("scaling", "offset"), [0.0, 1e300]),
                     r"'scaling\.offset'\[1\] is 1e\+300, beyond"),
    "weight 1e300": (_edit(("mixture", "weights"), [1e300, 0.0, 0.0]),
                     r"'mixture\.weights'\[0\] is 1e\+300, beyond"),
    "variance 1e301": (_edit(("mixture", "covariances"), [[1.0, 1e301]] * 3, "diag"),
                       r"'mixture\.covariances'\[0\]\[1\] is 1e\+301, beyond"),
    "original mean 1e301": (_edit(("original_units", "means"), _means(1e301)),
                            r"'original_units\.means'\[2\]\[1\] is 1e\+301, beyond"),
    "1e999 in fit": (_raw(("fit", "log_likelihood"), "1e999"),
                     r"'fit\.log_likelihood' is too large to be a number"),
    # issue 23 item 4: 401 digits escaped as OverflowError, > 4,300 as a bare ValueError
    "401-digit mean": (_raw(("mixture", "means", 2, 1), "1" * 401),
                       r"'mixture\.means'\[2\]\[1\] is too large to be a number"),
    "5,000-digit mean": (_raw(("mixture", "means", 2, 1), "-" + "9" * 5000),
                         r"'mixture\.means'\[2\]\[1\] is too large to be a number"),
    "5,000-digit n_rows": (_raw(("fit", "n_rows"), "9" * 5000),
                           r"'fit\.n_rows' is too large to be a number"),
    "5,000-digit version": (_raw(("version",), "1" * 5000), "'version' must be 1"),
    "200-digit scale": (_raw(("scaling", "scale", 1), "9" * 200),
                        r"'scaling\.scale'\[1\] is 1e\+200, beyond"),
    # issue 23 item 4: a subnormal scale loaded, and predict then blamed the input
    "subnormal scale": (_edit(("scaling", "scale"), [1.0, 1e-320]),
                        r"'scaling\.scale'\[1\] is 1e-320, but a scale must be positive and "
                        r"at least 1e-150"),
    "scale below MIN_SPREAD": (_edit(("scaling", "scale"), [1e-151, 1.0]),
                               r"'scaling\.scale'\[0\] is 1e-151"),
    "subnormal variance": (_edit(("mixture", "covariances"), [1.0, 5e-324, 1.0], "spherical"),
                           r"'mixture\.covariances'\[1\] is a variance of 5e-324, smaller "
                           r"than 1e-300"),
    "subnormal full variance": (_edit(("mixture", "covariances"),
                                      [[[1.0, 0.0], [0.0, 1.0]]] * 2 + [[[1.0, 0.0],
                                                                         [0.0, 1e-310]]]),
                                r"'mixture\.covariances'\[2\]\[1\]\[1\] is a variance of "
                                r"1e-310"),
    # issue 23 item 5: a key written twice was accepted, the last one winning
    "duplicate top-level key": (_twice("format", '"sklearn"'),
                                "the key 'format' appears twice at the top level"),
    "duplicate mixture key": (_twice("weights", "[1, 0, 0]"),
                              "the key 'weights' appears twice in 'mixture'"),
    "duplicate fit key": (_twice("n_iter", "1"), "the key 'n_iter' appears twice in 'fit'"),
    # each number in range, together not computable: original-unit means of 2e300
    "in range, not together": (_edits({("scaling", "scale", 1): 2e150,
                                       ("mixture", "means", 2, 1): 1e150},
                                      without_original=True),
                               "together too large or too small to compute with"),
    # 'original_units' that disagree with the mixture: one place was edited by hand
    "edited original units": (_edit(("original_units", "means"), _means(123.0)),
                              r"'original_units\.means'\[0\]\[0\] is 0\.0, but the model's "
                              "scaling and mixture give"),
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


# ------------------------------------------------------------------ issue 23, items 4, 5 and 8
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_huge_finite_mean_is_refused_not_loaded_as_nan(covariance_type):
    """Bug: a mean of 1e300 loaded; then every probability was NaN and every row got
    segment 0.  Now the file is refused, naming the value."""
    text = _edit(("mixture", "means"), _means(1e300), covariance_type, without_original=True)
    with pytest.raises(ModelFileError, match=r"'mixture\.means'\[2\]\[1\] is 1e\+300, beyond "
                                             r"the largest size .* \(1e\+150\)"):
        load_model(text)


@pytest.mark.parametrize("digits", [401, 4_301, 5_000, 100_000])
@pytest.mark.parametrize("path, expected", [
    (("mixture", "means", 2, 1), r"'mixture\.means'\[2\]\[1\] is too large to be a number"),
    (("scaling", "offset", 0), r"'scaling\.offset'\[0\] is too large to be a number"),
    (("fit", "n_rows"), r"'fit\.n_rows' is too large to be a number"),
    (("version",), "'version' must be 1"),
])
def test_long_integers_are_model_file_errors_not_overflow_or_value_errors(digits, path,
                                                                           expected):
    """Bug: a 401-digit integer escaped as OverflowError (the CLI printed a traceback) and
    one of more than 4,300 digits as a plain ValueError (Python's int-string limit).  Now
    no long digit string reaches int(): it is read as a float and refused by its key."""
    with pytest.raises(ModelFileError, match=expected):
        load_model(_raw(path, "9" * digits))
    # 21 digits in a field kept for people: read as a float, harmless
    assert load_model(_raw(("fit", "n_rows"), "9" * 21)).n_components == 3


def test_a_long_integer_is_refused_even_under_a_low_int_string_limit():
    """Bug: Python's int-string limit (sys.set_int_max_str_digits) raised ValueError from
    inside json.loads; the loader never calls int() on more than 20 digits."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(ModelFileError, match="too large to be a number"):
            load_model(_raw(("mixture", "means", 0, 0), "1" * 641))
        assert load_model(_raw(("fit", "n_iter"), "12")).gmm.n_iter_ == 12
    finally:
        sys.set_int_max_str_digits(old)


@pytest.mark.parametrize("scale", [1e-320, 5e-324, 1e-151, 0.0, -1.0])
def test_a_tiny_scale_is_refused_at_load_not_blamed_on_the_input(scale):
    """Bug: a model whose scale was 1e-320 (subnormal) loaded, and predict then blamed the
    user's input.  Now a scale below MIN_SPREAD (1e-150) is refused when loading."""
    text = _edit(("scaling", "scale"), [1.0, scale], without_original=True)
    with pytest.raises(ModelFileError, match=r"'scaling\.scale'\[1\] is .*, but a scale must "
                                             r"be positive and at least 1e-150"):
        load_model(text)


@pytest.mark.parametrize("text, place", [
    (lambda: _twice("format", '"gmm-explorer-model"'), "at the top level"),
    (lambda: _twice("scale", "[1.0, 1.0]"), "in 'scaling'"),
    (lambda: _twice("covariance_type", '"full"'), "in 'mixture'"),
    (lambda: _twice("converged", "false"), "in 'fit'"),
    (lambda: _edit(("fit", "extra"), [{"a": 1}]).replace('"a": 1', '"a": 1, "a": 2'),
     r"in 'fit\.extra'\[0\]"),
])
def test_a_key_written_twice_is_refused_at_any_level(text, place):
    """Bug: a key that appeared twice in one object was accepted, the last one silently
    winning (even with the same value the file is ambiguous).  Now it is refused."""
    with pytest.raises(ModelFileError, match=r"the key '\w+' appears twice " + place):
        load_model(text())


def test_numbers_each_in_range_that_cannot_be_computed_together_are_refused():
    """Bug: the loader checked numbers one by one; a model can pass that and still give NaN
    or wrong probabilities.  It now scores its own segment means and must agree with the
    direct formula; a tied model with one mean 2e16 (the fast E-step loses the others to
    rounding) is refused, and so are original-unit means beyond 1e300."""
    far = _edits({("mixture", "means", 1, 1): 2.3e16}, "tied", without_original=True)
    try:
        model = load_model(far)
    except ModelFileError as exc:
        assert "together too large or too small to compute with" in str(exc)
    else:  # if the E-step one day computes this exactly, loading it is right
        proba = model.predict_proba(model.means_original)
        np.testing.assert_allclose(proba, np.eye(3), atol=1e-6)
    huge = _edits({("scaling", "scale", 1): 2e150, ("mixture", "means", 2, 1): 1e150},
                  without_original=True)
    with pytest.raises(ModelFileError, match="together too large or too small to compute"):
        load_model(huge)


def test_original_units_must_agree_with_the_mixture_and_may_be_left_out():
    """Bug: 'original_units' were ignored on load, so a file edited in one place could show
    people means the model does not use.  They must now agree; without them it loads."""
    text = _edit(("mixture", "means", 0, 0), 0.25)
    with pytest.raises(ModelFileError, match=r"'original_units\.means'\[0\]\[0\] is .*, but "
                                             r"the model's scaling and mixture give"):
        load_model(text)
    model = load_model(_edit(("mixture", "means", 0, 0), 0.25, without_original=True))
    assert model.gmm.means_[0, 0] == 0.25


@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_models_of_data_near_the_readers_limits_still_load(scaling, covariance_type):
    """The new limits must not refuse genuine models: data with spreads near 1e-140 and
    values near 1e140 (inside the reader's limits) fit, save and load back exactly."""
    X = blobs(n_per=40)[0]
    for factors, shift in (([1e-140, 1.0], [0.0, 1e9]), ([1e140, 1e-120], [1e141, 0.0])):
        Y = X * factors + shift
        scaler = Scaler(scaling).fit(Y)
        gmm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(
            scaler.transform(Y))
        model = SegmentModel(gmm, scaler, ("a", "b"), ("x", "y", "z"))
        again = load_model(model.to_json())
        np.testing.assert_array_equal(again.predict_proba(Y), model.predict_proba(Y))


def test_a_loaded_model_assigns_a_row_with_a_gap_by_its_observed_column():
    """Issue 20: the app assigns rows with blank cells by their observed columns; the saved
    model does the same, so the export and the model file agree on such rows."""
    model, X = _model()
    gappy = X.copy()
    gappy[7, 1] = np.nan
    loaded = load_model(model.to_json())
    Xs = model.scaler.transform(gappy)
    o = np.array([True, False])
    g = model.gmm
    from scipy.stats import multivariate_normal
    joint = np.array([w * multivariate_normal(m[o], c[np.ix_(o, o)]).pdf(Xs[7, o])
                      for w, m, c in zip(g.weights_, g.means_, g.full_covariances_, strict=True)])
    np.testing.assert_allclose(loaded.predict_proba(gappy)[7], joint / joint.sum(), rtol=1e-9)
    np.testing.assert_array_equal(loaded.predict(gappy)[np.arange(len(X)) != 7],
                                  loaded.predict(X)[np.arange(len(X)) != 7])
