"""Exports: the CSV of rows with segments, the model JSON round trip, PNG charts."""

import csv
import io
import struct

import numpy as np
import pandas as pd
import pytest

import gmm_core
from gmm_core.analysis.compare import compare_models
from gmm_core.analysis.segments import describe_segments
from gmm_core.data.original import OriginalRows
from gmm_core.outputs.export import CHROMIUM, figure_png, segment_table, to_csv_bytes, use_browser
from gmm_core.outputs.model_file import SegmentModel, load_model, save_model


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
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == (list(ds.frame.columns) + ["segment", "segment_label"]
                                  + [f"probability_{n}" for n in names] + ["status"])
    # the demo's cells come back as its numbers, shortest exact text: 38 stays 38
    given = OriginalRows.from_frame(ds.frame).cells
    pd.testing.assert_frame_equal(back[list(ds.frame.columns)], given.astype(object),
                                  check_dtype=False)
    assert back["CustomerID"].tolist() == ds.frame["CustomerID"].tolist()
    assert not any(v.endswith(".0") for v in back["Age"])
    np.testing.assert_array_equal(back["segment_label"].astype(int), cmp.gmm_labels)
    assert back["segment"].tolist() == [names[j] for j in cmp.gmm_labels]
    assert set(back["status"]) == {"assigned"}
    columns = [f"probability_{n}" for n in names]
    assert all(len(v.split(".")[1]) == 4 for v in back[columns].to_numpy().ravel())
    proba = back[columns].to_numpy(dtype=float)
    np.testing.assert_allclose(proba, cmp.proba, atol=5e-5)  # 4 decimals
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=5e-4)


CUSTOMERS = (
    "KundenNr;Geschlecht;Alter;Einkommen;Ausgaben\r\n"
    + "".join(f"{1000 + i};{'w' if i % 3 else 'm'};{'' if i == 7 else 20 + i % 40};"
              f"{30 + (i * 7) % 50},{i % 10};{'' if i == 11 else 10 + (i * 13) % 80}\r\n"
              for i in range(60))
    + "Total;;;31.234,5;25.000\r\n"
).encode("cp1252")


def _given_rows(data):
    lines = data.decode("cp1252").splitlines()
    return [line.split(";") for line in lines]


@pytest.mark.parametrize("missing", ["use", "drop", "mean"])
def test_upload_export_hands_back_every_cell_as_given(missing):
    """Every row of the file in file order, each cell's text as uploaded, then the computed
    columns."""
    from gmm_core.data.reader import read_table

    result = read_table(CUSTOMERS, "kunden.csv", missing=missing)
    assert result.key_name == "KundenNr"          # the ID stays an ID despite the footer
    assert result.report.summary_lines == [62]    # the footer is left out and reported
    assert result.report.columns_kept == ["Alter", "Einkommen", "Ausgaben"]
    X = result.features.to_numpy()
    cmp = compare_models(X, 2, random_state=0)
    names = ["Low", "High"]
    table = segment_table(result.original, cmp.gmm_labels, cmp.proba, names)
    data = to_csv_bytes(table, delimiter=";")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    given = _given_rows(CUSTOMERS)
    header, body = back[0], back[1:]
    assert header[:5] == given[0]
    assert len(body) == len(given) - 1 == 61       # every row, the footer too
    for got, want in zip(body, given[1:], strict=True):
        assert got[:5] == want                     # cell by cell, as text: blanks stay blank
    status = [row[header.index("status")] for row in body]
    assert status[-1] == "left out: summary row (Total)"
    assert body[-1][header.index("segment")] == ""
    fitted = [i for i, s in enumerate(status) if s.startswith("assigned")]
    assert len(fitted) == X.shape[0]
    labels = [int(body[i][header.index("segment_label")]) for i in fitted]
    assert labels == cmp.gmm_labels.tolist()
    p = [body[i][header.index("probability_Low")] for i in fitted]
    assert all("," in v and len(v.split(",")[1]) == 4 for v in p)   # the file's decimal comma
    # the model file assigns the exported rows exactly as the app did
    model = SegmentModel.from_comparison(cmp, list(result.features.columns), segment_names=names)
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", sep=";", decimal=",",
                        thousands=".")  # the footer writes 31.234,5
    frame = frame[frame["status"].str.startswith("assigned")]
    if missing == "mean":  # the model sees the numbers the fit saw
        for col in ("Alter", "Ausgaben"):
            frame[col] = frame[col].fillna(frame[f"{col} (filled in)"])
    np.testing.assert_array_equal(load_model(model.to_json()).predict(frame), cmp.gmm_labels)
    assert frame["segment"].tolist() == [names[j] for j in cmp.gmm_labels]
    if missing == "use":  # issue 20: fitted with the gap, nothing made up, the status says so
        assert status[7] == "assigned; had gaps: Alter"
        assert status[11] == "assigned; had gaps: Ausgaben"
        assert body[7][2] == "" and body[11][4] == ""
        assert body[7][header.index("segment")] in names
        assert not any("(filled in)" in h or "likely" in h for h in header)
    elif missing == "drop":
        assert status[7] == "left out: missing value in Alter"
        assert status[11] == "left out: missing value in Ausgaben"
        assert not any(h.endswith("(filled in)") for h in header)
    else:
        assert status[7] == status[11] == "assigned (gaps filled in)"
        assert body[7][2] == "" and body[11][4] == ""    # the user's blank cell stays blank
        filled = body[7][header.index("Alter (filled in)")]
        assert float(filled.replace(",", ".")) == pytest.approx(X[7, 0], abs=0.01)
        assert body[8][header.index("Alter (filled in)")] == ""


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
    assert list(out.columns) == ["row", "segment", "v", "segment_2", "segment_label",
                                 "probability_A", "probability_B", "status"]
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


def test_figure_png_asks_again_when_kaleido_was_not_ready(monkeypatch):
    """Under load kaleido once asked its page before the page's scripts had loaded
    ('kaleido_scopes is not defined'); a second request draws the chart."""
    import plotly.graph_objects as go

    from gmm_core.outputs import export
    calls = []

    def to_image(self, **options):
        calls.append(options)
        if len(calls) == 1:
            raise RuntimeError("ReferenceError: kaleido_scopes is not defined")
        return b"\x89PNG"

    monkeypatch.setattr(export, "use_browser", lambda: None)
    monkeypatch.setattr(go.Figure, "to_image", to_image)
    assert export.figure_png(go.Figure()) == b"\x89PNG" and len(calls) == 2

    def broken(self, **options):
        raise RuntimeError("Chromium not found")

    monkeypatch.setattr(go.Figure, "to_image", broken)
    with pytest.raises(RuntimeError, match="Could not draw the chart as a PNG image: Chromium"):
        export.figure_png(go.Figure())
