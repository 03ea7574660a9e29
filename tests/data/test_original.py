"""The user's rows as given: row keys, summary (footer) rows, cells as text, filled-in values."""

import numpy as np
import pandas as pd
import pytest

from gmm_core.data.original import OriginalRows, decimals_of, format_like
from gmm_core.data.reader import read_table


def _csv(header, rows, sep=","):
    return (sep.join(header) + "\n" + "".join(sep.join(map(str, r)) + "\n" for r in rows)).encode()


ROWS = [(i + 1, "F" if i % 2 else "M", 20 + i, 30 + 3 * i % 17, 50 - 2 * i % 23) for i in range(12)]


def test_the_id_column_is_the_row_key_and_its_cells_are_kept_as_written():
    data = _csv(["CustomerID", "Gender", "Age", "income", "spend"], ROWS)
    r = read_table(data, "c.csv")
    assert r.key_name == "CustomerID"
    assert r.row_keys.tolist() == [str(i + 1) for i in range(12)]       # "1", not "1.0"
    assert r.original.cells["Age"].tolist() == [str(20 + i) for i in range(12)]
    assert "CustomerID" not in r.features.columns


def test_without_an_id_the_row_key_is_the_file_line():
    data = b"title line\n" + _csv(["a", "b"], [(1, 2), (3, 5), ("", 4), (7, 1)])
    r = read_table(data, "t.csv")
    assert r.key_name == "line"
    assert r.row_keys.tolist() == ["3", "4", "6"]          # line 5 has a gap: left out
    assert r.original.keys.tolist() == ["3", "4", "5", "6"]
    assert r.original.status.tolist() == ["", "", "missing value in a", ""]


def test_a_column_called_line_keeps_its_name_and_the_key_is_file_line():
    r = read_table(_csv(["line", "b"], [(1.5, 2), (3.5, 5), (2.5, 4)]), "t.csv")
    assert r.key_name == "file line" and "line" in r.features.columns


@pytest.mark.parametrize("footer", [
    "Total;;;31.234,5;25.000", "Summe;;;31.234,5;25.000", "TOTAL:;;;1;2", ";;Average;40,5;50",
    "Gesamt;;;;",
])
def test_a_summary_row_at_the_end_is_left_out_and_reported(footer):
    body = "".join(f"{100 + i};{'w' if i % 2 else 'm'};{20 + i};{30 + i % 7},5;{40 + i % 5}\n"
                   for i in range(10))
    data = ("KundenNr;Geschlecht;Alter;Einkommen;Ausgaben\n" + body + footer + "\n").encode()
    r = read_table(data, "k.csv")
    assert r.report.summary_lines == [12]
    assert r.features.shape == (10, 3)                      # the total does not squash a column
    assert r.key_name == "KundenNr"                          # and the ID stays an ID
    assert dict(r.report.columns_dropped)["KundenNr"] == "ID-like"
    assert r.original.n_read == 11 and r.original.status[-1].startswith("summary row (")
    assert "summary" in " ".join(r.report.warnings) and "summary row" in r.report.summary()
    assert r.original.cells.iloc[-1].tolist() == footer.split(";")   # kept as given


def test_a_category_called_total_is_data_not_a_summary():
    rows = [("total" if i % 2 else "part", 1.5 * i, 10 - i % 4) for i in range(10)]
    r = read_table(_csv(["kind", "x", "y"], rows), "t.csv")
    assert r.report.summary_lines == [] and r.features.shape == (10, 2)


def test_an_id_with_a_stray_text_cell_stays_an_id():
    rows = [(i + 1 if i != 40 else "n/a?", 1.5 * i % 11, 10 - i % 4) for i in range(200)]
    r = read_table(_csv(["order_no", "x", "y"], rows), "t.csv")
    assert dict(r.report.columns_dropped).get("order_no") == "ID-like"
    assert r.features.columns.tolist() == ["x", "y"]
    assert r.key_name == "order_no" and r.row_keys[40] == "n/a?"


def test_unnamed_unique_integers_are_still_a_feature():
    rows = [(1000 + 7 * i, 1.5 * i % 11, 10 - i % 4) for i in range(20)]
    r = read_table(_csv(["visits", "x", "y"], rows), "t.csv")
    assert "visits" in r.features.columns


def test_mean_fill_keeps_the_blank_and_lists_the_filled_value_apart():
    rows = [(i + 1, 20 + i if i != 3 else "", 5 + i % 3) for i in range(8)]
    r = read_table(_csv(["id", "Age", "x"], rows), "t.csv", missing="mean")
    assert r.original.cells["Age"][3] == ""                             # as given
    assert r.features["Age"][3] == pytest.approx(np.mean([20 + i for i in range(8) if i != 3]))
    assert r.original.filled["Age"].notna().tolist() == [i == 3 for i in range(8)]
    assert r.original.was_filled().tolist() == [i == 3 for i in range(8)]
    listing = r.original.listing([2, 3])
    assert listing.columns.tolist() == ["id", "Age", "x", "filled in"]
    assert listing.values.tolist() == [["3", "22", "7", ""], ["4", "", "5", "Age"]]


def test_cells_come_back_exactly_even_with_spaces_quotes_and_decimal_commas():
    data = b'id;name;a;b\n1; Ann ;"1,50";7\n2;"B; c";2;8\n3;=X();3,25;9\n'
    r = read_table(data, "t.csv")
    assert r.original.cells.values.tolist() == [
        ["1", " Ann ", "1,50", "7"], ["2", "B; c", "2", "8"], ["3", "=X()", "3,25", "9"]]
    assert r.original.delimiter == ";" and r.original.decimal == ","
    assert r.original.decimals("a") == 2 and r.original.decimals("b") == 0


def test_a_demo_frame_is_its_own_original_with_its_id_as_key():
    frame = pd.DataFrame({"CustomerID": ["C1", "C2"], "Age": [38.0, 45.0], "x": [0.1, 2.5]})
    rows = OriginalRows.from_frame(frame)
    assert rows.key_name == "CustomerID" and rows.fitted_keys.tolist() == ["C1", "C2"]
    assert rows.cells["Age"].tolist() == ["38", "45"] and rows.cells["x"].tolist() == ["0.1", "2.5"]
    assert OriginalRows.from_frame(frame[["Age", "x"]]).key_name == "row"


def test_number_formatting_follows_the_file():
    assert decimals_of(pd.Series(["1", "2.5", "3.125", "text"])) == 3
    assert format_like(1928.0, 0) == "1928" and format_like(0.5, 2, ",") == "0,50"
