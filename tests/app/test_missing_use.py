"""Issue 20, item 3: rows with gaps are used as they are -- the default -- on every page."""

import pathlib

import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import gappy_customers
from ui import dataset, keys, saved

ROOT = pathlib.Path(__file__).resolve().parents[2]


DATA = gappy_customers(300, seed=7, spend_every=25)  # income blank every 9th, spend 25th
N_INCOME = sum(1 for i in range(300) if i % 9 == 4)                    # 33
N_SPEND = sum(1 for i in range(300) if i % 25 == 7 and i % 9 != 4)     # 11


def _loaded():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("gappy.csv", DATA, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at, page):
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(str(e.value) for e in [*at.caption, *at.markdown, *at.text, *at.info,
                                           *at.success])
    return said.replace("\\", "").replace("\u2060", "")  # plain()'s Markdown escapes


def test_the_default_uses_rows_with_gaps_and_the_data_page_counts_them():
    at = _loaded()
    assert at.selectbox(key=keys.W_MISSING).value == "use"
    ds = at.session_state[keys.DATASET]
    assert ds.n_rows == 300 and ds.report.missing == "use"
    assert np.isnan(ds.X).sum() == N_INCOME + N_SPEND
    texts = [t.value for t in at.text]
    want = (f"Rows with gaps, used as they are: {N_INCOME + N_SPEND} of 300. "
            f"Blank cells per column: income: {N_INCOME}, spend: {N_SPEND}.")
    assert want in texts, texts
    assert any(f"{N_INCOME + N_SPEND} rows have gaps (income: {N_INCOME}, spend: {N_SPEND})" in t
               for t in texts)
    preview = next(d.value for d in at.dataframe if "had gaps" in d.value.columns)
    assert preview.loc[preview["CustomerID"] == "C0005", "had gaps"].item() == "income"
    assert preview.loc[preview["CustomerID"] == "C0005", "income"].item() == ""


def test_drop_and_mean_are_still_there_beside_use():
    at = _loaded()
    at.selectbox(key=keys.W_MISSING).set_value("drop").run()
    assert at.session_state[keys.DATASET].n_rows == 300 - N_INCOME - N_SPEND
    at.selectbox(key=keys.W_MISSING).set_value("mean").run()
    ds = at.session_state[keys.DATASET]
    assert ds.n_rows == 300 and not np.isnan(ds.X).any()


def test_compare_segments_choose_k_and_em_run_with_gaps_and_say_so():
    at = _loaded()
    text = _run(at, "pages/compare.py")
    assert f"{N_INCOME + N_SPEND} rows had blank cells" in text
    assert "KMeans cannot take a blank" in text
    text = _run(at, "pages/segments.py")
    assert "had gaps (income" in text and "nothing filled in" in text
    at.slider(key=keys.W_SEG_UNUSUAL).set_value(10.0).run()
    assert not at.exception
    unusual = next(d.value for d in at.dataframe if "unusualness" in d.value.columns)
    assert len(unusual) == 30
    blank = [(r["income"] == "") or (r["spend"] == "") for _, r in unusual.iterrows()]
    assert any(blank)                                   # gap rows are scored and can be listed
    want = ["income" if r["income"] == "" else "spend" if r["spend"] == "" else ""
            for _, r in unusual.iterrows()]
    assert unusual["had gaps"].tolist() == want
    at.session_state[keys.CHOOSE_K_SETTINGS] = {keys.W_CK_KMAX: 4, keys.W_CK_TYPES: ["full"]}
    text = _run(at, "pages/choose_k.py")
    assert "KMeans cannot take a blank cell" in text and "Recommended:" in text
    at.session_state[keys.W_EM_ROW] = "C0005"                    # income blank
    text = _run(at, "pages/em_steps.py")
    assert "income was blank, so left out of this row" in text
    assert "C0005: income blank, spend = " in text


def test_a_saved_session_keeps_use_and_an_old_one_without_it_still_drops():
    state = {"data": {"kind": "upload", "filename": "gappy.csv", "missing": "use"},
             "upload_bytes": DATA, "choices": {"features": ["income", "spend"]}}
    ds = saved.rebuild(state)
    assert ds.report.missing == "use" and ds.n_rows == 300
    assert ds.had_gaps.sum() == N_INCOME + N_SPEND
    assert ds.recipe["missing"] == "use"
    old = {"data": {"kind": "upload", "filename": "gappy.csv"}, "upload_bytes": DATA}
    ds = saved.rebuild(old)
    assert ds.report.missing == "drop" and ds.n_rows == 300 - N_INCOME - N_SPEND
    assert dataset.MISSING_POLICIES[0] == dataset.DEFAULT_MISSING == "use"


def test_a_file_refused_when_gaps_drop_its_rows_loads_under_the_default():
    """The reader's corpus refuses it under missing="drop" (2 of 4 rows complete); the app's
    default uses all four rows, two of them with a gap (tests/hostile_files.LOADED_UNDER_USE)."""
    from hostile_files import LOADED_UNDER_USE
    from reader_corpus import CORPUS

    (data,) = [d for name, d, _, _ in CORPUS if name in LOADED_UNDER_USE]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("few.csv", data, "text/csv")).run()
    assert not at.exception and not at.error
    ds = at.session_state[keys.DATASET]
    assert ds.name == "few.csv" and ds.n_rows == 4 and ds.had_gaps.sum() == 2
