"""Exports: the CSV of rows with segments, the model JSON round trip, PNG charts."""

import io
import struct

import numpy as np
import pandas as pd
import pytest
from gmm_core.outputs.export import CHROMIUM

import gmm_core
from gmm_core.analysis.compare import compare_models
from gmm_core.outputs.export import (FORMULA_STARTS, figure_png, neutralise_formulas, segment_table,
                             to_csv_bytes, use_browser)
from gmm_core.outputs.model_file import SegmentModel, load_model, save_model
from gmm_core.analysis.segments import describe_segments


@pytest.fixture(scope="module")
def fitted():
    ds = gmm_core.make_customers(300, random_state=1)
    X = ds.features.to_numpy(dtype=float)
    cmp = compare_models(X, 5, random_state=0)
    names = describe_segments(X, cmp.proba, cmp.means, list(ds.features.columns)).names
    return ds, X, cmp, names


def test_csv_round_trip_keeps_rows_labels_and_probabilities(fitted):
    ds, X, cmp, names = fitted
    table = segment_table(ds.frame, cmp.gmm_labels, cmp.proba, names)
    data = to_csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == (list(ds.frame.columns) + ["segment", "segment_label"]
                                  + [f"probability_{n}" for n in names])
    pd.testing.assert_frame_equal(back[list(ds.frame.columns)], ds.frame, check_dtype=False)
    np.testing.assert_array_equal(back["segment_label"], cmp.gmm_labels)
    assert back["segment"].tolist() == [names[j] for j in cmp.gmm_labels]
    proba = back[[f"probability_{n}" for n in names]].to_numpy()
    np.testing.assert_array_equal(proba, cmp.proba)  # floats written exactly
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_formula_cells_are_neutralised_but_numbers_stay_numbers():
    frame = pd.DataFrame({
        "=cmd": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", "a=b"],
        "amount": [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, 1.0],
        "count": [-1, 2, 3, 4, 5, 6, 7, 8],
    })
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=cmd", "amount", "count"]
    assert out["'=cmd"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)",
                                     "'\tx", "'\rx", "ok", "a=b"]
    pd.testing.assert_series_equal(out["amount"], frame["amount"])
    pd.testing.assert_series_equal(out["count"], frame["count"])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig",
                       keep_default_na=False)
    assert back["amount"].tolist() == frame["amount"].tolist()  # still numbers, sign kept
    assert not back["'=cmd"].str.startswith(FORMULA_STARTS).any()


def test_segment_names_and_headers_are_neutralised_in_the_csv(fitted):
    ds, X, cmp, names = fitted
    evil = ["=1+1", "-x", "@me", "+y", "ok"]
    data = to_csv_bytes(segment_table(ds.frame, cmp.gmm_labels, cmp.proba, evil))
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert {"'" + n for n in evil[:4]} <= set(back["segment"])
    assert "probability_=1+1" in back.columns  # header starts with "p": nothing to neutralise


def test_segment_table_checks_and_avoids_column_clashes():
    frame = pd.DataFrame({"segment": ["a", "b"], "v": [1.0, 2.0]})
    out = segment_table(frame, [0, 1], [[1.0, 0.0], [0.0, 1.0]], ["A", "B"])
    assert list(out.columns) == ["segment", "v", "segment_2", "segment_label",
                                 "probability_A", "probability_B"]
    with pytest.raises(ValueError, match="rows"):
        segment_table(frame, [0], [[1.0, 0.0]], ["A", "B"])
    with pytest.raises(ValueError, match="unique"):
        segment_table(frame, [0, 1], [[1.0, 0.0], [0.0, 1.0]], ["A", "A"])


def test_model_json_round_trip_assigns_new_rows_identically(fitted, tmp_path):
    ds, X, cmp, names = fitted
    model = SegmentModel.from_comparison(cmp, list(ds.features.columns), segment_names=names)
    path = tmp_path / "model.json"
    save_model(model, path)
    again = load_model(path)
    assert again.segment_names == tuple(names)
    assert again.features == tuple(ds.features.columns)
    # the rows it was fitted on: the same labels and probabilities as the app shows
    np.testing.assert_array_equal(again.predict(ds.frame), cmp.gmm_labels)
    np.testing.assert_array_equal(again.predict_proba(ds.frame), cmp.proba)
    # new rows, columns in another order and extra columns: matched by name
    new = gmm_core.make_customers(200, random_state=9).frame
    new = new[list(new.columns)[::-1]]
    np.testing.assert_array_equal(again.predict_proba(new), model.predict_proba(new))
    np.testing.assert_allclose(again.means_original, cmp.means)


def test_use_browser_respects_a_browser_the_user_set(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/opt/my/chrome")
    assert use_browser() == "/opt/my/chrome"
    monkeypatch.delenv("BROWSER_PATH")
    assert use_browser("/no/such/browser") is None


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_figure_png_renders_with_kaleido_and_chromium(monkeypatch):
    pytest.importorskip("kaleido", reason="pip install -r requirements.txt")
    import os
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    from gmm_core.plots.segments import certainty_figure

    monkeypatch.delenv("BROWSER_PATH", raising=False)
    fig = certainty_figure([0.9, 0.6], ["A", "B"])
    data = figure_png(fig, width=500, height=300, scale=2)
    assert _png_size(data) == (1000, 600)
    assert os.environ["BROWSER_PATH"] == CHROMIUM
