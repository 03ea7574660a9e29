"""Hardening (issue 8): hostile uploads, degenerate fits, time limits, hostile files out.

What a user sees is checked in the app itself (AppTest, the same script the
server runs); ``tests/browser/test_browser_hostile.py`` repeats the uploads in a real
browser and ``tests/browser/test_two_users.py`` runs two sessions at once.

``HOSTILE`` (``tests/hostile_files.py``) lists ``(id, filename, bytes, gist)``:
an upload the app must refuse with an ``st.error`` whose text contains ``gist``
(case-insensitive) while the previous dataset stays loaded.
"""

import pathlib
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import tomllib
from streamlit.testing.v1 import AppTest

import gmm_core
import gmm_core.analysis.choose_k
import gmm_core.analysis.explain
from gmm_core import DataError
from gmm_core.analysis.compare import compare_models
from gmm_core.analysis.guarded import FIT_TIME_LIMIT, fit_mixture, scale_for_fit
from gmm_core.data.reader import MAX_BYTES
from hostile_files import (
    CORPUS_CASES,
    HOSTILE,
    ISSUE_CASES,
    LINKY,
    LINKY_COLUMNS,
    LINKY_FILENAME,
    LINKY_SEGMENTS,
    XSS,
    XSS_FILENAME,
    _png,
    good_csv,
    linky_csv,
    xss_csv,
)
from ui import keys, widgets

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: What no user should ever see.
LEAKS = ("Traceback", 'File "', ".py", "/work/", "site-packages", "Error:")

# --- the app: every hostile upload ends in a plain st.error; the dataset stays ------------------

def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def _upload(at, filename, data):
    at.file_uploader(key=keys.W_UPLOAD).set_value((filename, data, "text/csv")).run()
    return at


@pytest.fixture
def loaded():
    """The app with a good upload loaded: the dataset that must survive what follows."""
    at = _upload(_app(), "baseline.csv", good_csv("base"))
    assert not at.exception and at.session_state[keys.DATASET].name == "baseline.csv"
    return at


def test_hostile_set_covers_issue_and_corpus():
    ids = {case[0] for case in HOSTILE}
    assert len(CORPUS_CASES) >= 15 and len(ISSUE_CASES) >= 10
    assert {"2000-columns", "one-row", "duplicate-points-only", "values-1e300", "values-1e-300",
            "all-nan-columns", "png-renamed-csv"} <= ids


@pytest.mark.parametrize("filename, data, gist", [c[1:] for c in HOSTILE],
                         ids=[c[0] for c in HOSTILE])
def test_hostile_upload_shows_plain_error_and_keeps_dataset(loaded, filename, data, gist):
    before = loaded.session_state[keys.DATASET]
    at = _upload(loaded, filename, data)
    assert not at.exception
    assert len(at.error) == 1
    message = _shown(at.error[0].value)  # without the escapes and joiners of ui.widgets.plain
    assert message.startswith("Could not load that data:")
    assert gist.lower() in message.lower()
    assert "The previous dataset, baseline.csv, is still loaded." in message
    assert not any(leak in message for leak in LEAKS), message
    assert at.session_state[keys.DATASET] is before  # nothing lost, nothing half-loaded
    assert at.session_state[keys.UPLOAD][0] == "baseline.csv"


def test_error_clears_when_a_good_file_follows(loaded):
    at = _upload(loaded, "photo.csv", _png())
    assert at.error
    at = _upload(at, "next.csv", good_csv("next", seed=1))
    assert not at.error and at.session_state[keys.DATASET].name == "next.csv"


def test_oversized_upload_is_refused_before_its_bytes_are_read(loaded, monkeypatch):
    """The page checks ``UploadedFile.size`` and never calls ``getvalue`` on a 300 MB file.

    The browser's uploader refuses such a file first (``server.maxUploadSize``);
    this is the server's own check, for a client that skips the browser's.
    """
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    reads = []
    init = UploadedFile.__init__

    def claim_300_mb(self, record, file_urls):  # as if 300 MB had arrived
        init(self, record, file_urls)
        self.size = 300 * 1024 * 1024

    monkeypatch.setattr(UploadedFile, "__init__", claim_300_mb)
    original = UploadedFile.getvalue
    monkeypatch.setattr(UploadedFile, "getvalue",
                        lambda self: reads.append(self.name) or original(self))
    at = _upload(loaded, "big.csv", good_csv("big"))
    assert not at.exception and reads == []
    message = at.error[0].value.replace("\\", "")
    assert "300 MB, more than the 200 MB limit" in message and "sample of its rows" in message
    assert at.session_state[keys.DATASET].name == "baseline.csv"


def test_config_limits_upload_keeps_xsrf_and_hides_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_BYTES
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["client"]["showErrorDetails"] == "none"


def test_reader_checks_size_before_decoding_at_the_default_limit(monkeypatch):
    import gmm_core.data.reader as reader

    monkeypatch.setattr(reader, "decode", lambda *a: pytest.fail("decoded an oversized file"))
    with pytest.raises(DataError, match="more than the 200 MB limit"):
        reader.read_table(bytes(MAX_BYTES + 1), "big.csv")


# --- degenerate fits: regularised with a warning, or a remedy; always bounded ------------------

def test_k_above_distinct_points_warns_with_the_k_to_choose():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], [50, 50, 1], axis=0)
    cmp = compare_models(X, 5, random_state=0)
    assert any("only 3 distinct point(s)" in w and "choose k = 3 or fewer" in w
               for w in cmp.warnings), cmp.warnings
    assert np.isfinite(cmp.metrics["bic"])


def test_collapsed_component_is_refitted_with_regularisation_and_says_so(covariance_type):
    rng = np.random.RandomState(0)
    t = rng.normal(size=200)
    # On a line, in huge units, not scaled. Two equal columns make the line exact:
    # with y = 2x instead, a shared (tied) covariance's smallest eigenvalue is
    # rounding noise whose sign decides whether it collapses.
    X = np.column_stack([t, t]) * 1e8 + 3e9
    try:
        gmm_core.GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
        collapsed = False
    except ValueError as error:
        assert "collapsed" in str(error)
        collapsed = True
    assert collapsed == (covariance_type in ("full", "tied"))  # variances alone stay positive
    cmp = compare_models(X, 3, scaling="none", covariance_type=covariance_type, random_state=0)
    assert np.all(np.isfinite(cmp.covariances))
    warned = any("stronger regularisation" in w for w in cmp.warnings)
    assert warned == collapsed, cmp.warnings  # refitted, and said so, exactly when needed


def test_collapse_that_regularisation_cannot_fix_gives_app_remedies(monkeypatch):
    def always_collapses(self, X, y=None, sample_weight=None):
        raise gmm_core.CollapseError("Component 0 collapsed: its covariance (full) is singular")

    monkeypatch.setattr(gmm_core.GaussianMixture, "fit", always_collapses)
    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError) as info:
        compare_models(X, 2)
    text = str(info.value)
    assert "Choose fewer segments (k)" in text and "Data page" in text
    assert "reg_covar (e.g." not in text  # nothing the app offers no control for


def test_other_value_errors_are_not_retried(monkeypatch):
    calls = []

    def bad(self, X, y=None, sample_weight=None):
        calls.append(self.reg_covar)
        raise ValueError("something else")

    monkeypatch.setattr(gmm_core.GaussianMixture, "fit", bad)
    with pytest.raises(ValueError, match="something else"):
        fit_mixture(np.eye(3), 2)
    assert len(calls) == 1


def test_near_singular_and_one_dimensional_data_fit():
    rng = np.random.RandomState(1)
    flat = np.column_stack([rng.normal(size=300), 1 + 1e-9 * rng.normal(size=300)])
    for scaling in ("standard", "none"):
        cmp = compare_models(flat, 3, scaling=scaling, random_state=0)
        assert np.all(np.isfinite(cmp.covariances))
    notes = compare_models(flat, 3, scaling="none", random_state=0).warnings
    assert any("Feature 2 varies by only" in n and "standardise" in n for n in notes)
    one_d = rng.normal(size=(100, 1))
    assert compare_models(one_d, 2, random_state=0).means.shape == (2, 1)
    sel = gmm_core.analysis.choose_k.model_sweep(one_d, range(1, 4), ("full", "spherical"))
    assert sel.table["error"].eq("").all()


@pytest.mark.parametrize("column", [[1e300, 2e300, -1e300], [1e-300, 2e-300, 0.0]])
def test_fits_refuse_values_whose_covariances_overflow_or_underflow(column):
    X = np.column_stack([column, [1.0, 2.0, 4.0]])
    for scaling in ("standard", "minmax", "none"):
        with pytest.raises(DataError, match="Feature 1 has values as large as"):
            scale_for_fit(X, scaling)
    with pytest.raises(DataError, match="Rescale it"):
        gmm_core.analysis.explain.em_run(X, 2)


def test_scaled_data_that_is_not_finite_is_a_data_error(monkeypatch):
    monkeypatch.setattr(gmm_core.Scaler, "transform", lambda self, X: X * np.inf)
    with pytest.raises(DataError, match="cannot be scaled"):
        scale_for_fit(np.eye(3), "standard")


@pytest.mark.parametrize("fit", ["compare", "em_run"])
def test_time_limit_stops_the_fit_and_the_user_is_told(fit):
    X = np.random.RandomState(0).normal(size=(400, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape as a raw warning
        if fit == "compare":
            cmp = compare_models(X, 4, init_params="random", random_state=0, max_time=1e-9)
            assert any("time limit of 1e-09 s" in w for w in cmp.warnings), cmp.warnings
            assert cmp.gmm.timed_out_ and cmp.gmm.n_iter_ == 1
        else:
            run = gmm_core.analysis.explain.em_run(X, 4, init_params="random", max_time=1e-9)
            traj = run.trajectory
            assert traj.timed_out and not traj.converged and traj.n_iter == 1
            assert traj.stop_reason.startswith("Stopped at the time limit of 1e-09 s after 1 ")


def test_sweep_budget_skips_the_rest_and_says_so():
    X = np.random.RandomState(0).normal(size=(200, 2))
    sel = gmm_core.analysis.choose_k.model_sweep(X, range(1, 5), ("full", "diag"), n_init=1,
                                                 max_time=1e-9)
    table = sel.table
    assert len(table) == 8 and table["error"].iloc[0] == ""
    assert (table["error"].iloc[1:] == gmm_core.analysis.choose_k.SKIPPED).all()
    assert gmm_core.analysis.choose_k.recommend(sel).k == 1
    assert "7 of the 8 fits were skipped" in gmm_core.analysis.choose_k.sweep_notes(sel)[0]


def test_sweep_note_says_which_types_and_k_were_skipped():
    """Issue 23, item 7d: the time-limit warning of Choose k gave a count of skipped fits,
    not which covariance types and k they were."""
    X = np.random.RandomState(0).normal(size=(200, 2))
    sel = gmm_core.analysis.choose_k.model_sweep(X, range(1, 5), ("full", "diag"), n_init=2,
                                                 max_time=1e-9)
    note = gmm_core.analysis.choose_k.sweep_notes(sel)[0]
    assert note.startswith("15 of the 16 fits were skipped")
    assert "(skipped: full k = 2–4, diag k = 1–4, and some restarts of full k = 1)" in note
    table = pd.DataFrame({"covariance_type": ["tied"] * 4 + ["spherical"] * 3,
                          "n_components": [1, 2, 3, 5, 1, 2, 3],
                          "error": ["", gmm_core.analysis.choose_k.SKIPPED, "boom"]
                          + [gmm_core.analysis.choose_k.SKIPPED] * 4})
    assert gmm_core.analysis.choose_k.skipped_fits(table) == "tied k = 2, 5, spherical k = 1–3"


def test_time_limit_note_names_only_what_the_app_user_can_change():
    """Issue 23, item 7a: the 60 s fit-limit warning said "or allow more time", but the app
    has no control for that; library users are still told about ``max_time``."""
    X = np.random.RandomState(0).normal(size=(400, 2))
    with pytest.warns(gmm_core.ConvergenceWarning, match="Raise max_time, or use fewer rows"):
        gmm_core.GaussianMixture(4, init_params="random", max_time=1e-9).fit(X)
    cmp = compare_models(X, 4, init_params="random", random_state=0, max_time=1e-9)
    sel = gmm_core.analysis.choose_k.model_sweep(X, [2], ("full",), fit_max_time=1e-9)
    for said in (*cmp.warnings, sel.table["note"].iloc[0]):
        if "time limit" in said:
            assert "more time" not in said and "max_time" not in said, said
            assert said.endswith("use fewer rows, fewer features, fewer segments (k) or fewer "
                                 "restarts."), said
    assert [w.kind for w in cmp.warnings if "time limit" in w] == ["time_limit"]
    assert "time limit" in sel.table["note"].iloc[0]


def test_default_budgets_are_set():
    import inspect

    assert FIT_TIME_LIMIT == 60.0 and gmm_core.analysis.choose_k.SWEEP_TIME_LIMIT == 180.0
    for func in (compare_models, gmm_core.analysis.explain.em_run):
        assert inspect.signature(func).parameters["max_time"].default == FIT_TIME_LIMIT


def test_pages_show_degenerate_fit_warnings_not_tracebacks():
    """k above the distinct points on Compare and EM step by step: a warning on the page."""
    at = _upload(_app(), "three_points.csv",
                 b"x,y\n" + b"0,0\n" * 30 + b"1,1\n" * 30 + b"5,4\n" * 2)
    assert at.session_state[keys.DATASET].n_rows == 62
    at.switch_page("pages/compare.py").run()
    at.slider(key=keys.W_K).set_value(5).run()
    assert not at.exception and not at.error
    assert any("3 distinct point" in w.value for w in at.warning), [w.value for w in at.warning]
    at.switch_page("pages/em_steps.py").run()
    at.slider(key=keys.W_EM_K).set_value(5).run()
    assert not at.exception and not at.error
    assert any("3 distinct point" in w.value for w in at.warning), [w.value for w in at.warning]


def test_em_page_says_when_the_time_limit_stopped_the_run(monkeypatch):
    monkeypatch.setattr(gmm_core.analysis.guarded, "FIT_TIME_LIMIT", 1e-9)
    at = _upload(_app(), "timed.csv", good_csv("timed", seed=7))
    at.switch_page("pages/em_steps.py").run()
    assert not at.exception
    assert any("Stopped at the time limit" in w.value for w in at.warning)


# --- security: user strings shown literally, never as markup -----------------------------------

def test_plain_escapes_markdown_html_links_and_latex():
    for text in XSS:
        escaped = widgets.plain(text)
        assert not any(ch in escaped.replace("\\" + ch, "") for ch in "<>[]()*$")
    assert widgets.plain("a\nb") == "a b"


def test_user_strings_reach_markdown_only_escaped():
    at = _upload(_app(), XSS_FILENAME, xss_csv())
    assert not at.exception
    ds = at.session_state[keys.DATASET]
    assert ds.name == XSS_FILENAME and ds.features[0] == f"{XSS[0]} a"
    markdown = [el.value for el in (*at.markdown, *at.caption, *at.error, *at.warning,
                                    *at.info, *at.success)]
    for value in markdown:
        for raw in XSS:
            assert raw not in value, (raw, value)
    assert any(t.value.startswith(XSS_FILENAME) for t in at.text)  # st.text: shown as is


#: Text a Markdown element would still turn into a link: a scheme, ``www.`` or an e-mail
#: address not broken by a :data:`ui.widgets.JOINER` (a backslash escape does not stop GFM).
AUTOLINKABLE = re.compile(r"https?\\?:|www\\?\.|@[\w\\]", re.IGNORECASE)


def _shown(markdown):
    """What the user reads of a Markdown source made with ``plain``: escapes and joiners gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(widgets.JOINER, "")


def _markdown_values(at):
    return [el.value for el in (*at.markdown, *at.caption, *at.error, *at.warning, *at.info,
                                *at.success, *at.subheader, *at.header, *at.title)]


def test_plain_breaks_autolinks_that_escapes_do_not():
    """Issue 23, item 6: GFM autolinks https://..., www.... and e-mail addresses even when
    every punctuation mark is escaped; ``plain`` puts a joiner inside them."""
    for text in (*LINKY, "HTTP://X.ORG", "WWW.X.ORG", "mailto:a@b.co", ":material/home:",
                 ":red[x]"):
        escaped = widgets.plain(text)
        assert not AUTOLINKABLE.search(escaped), (text, escaped)
        assert ":material/" not in escaped.replace("\\", "") and ":red[" not in escaped
        assert _shown(escaped) == text
    assert widgets.plain("12:30, a: b") == r"12\:30, a\: b"  # no joiner where none is needed


def test_urls_emails_html_latex_in_column_and_segment_names_reach_markdown_escaped():
    """Issue 23, item 6: a column or segment name holding a URL was auto-linked in the
    Segments overview sentence and the Compare sentence. Every Markdown element of Data,
    Compare and Segments (analyst view and every slide) gets user text only through
    ``plain``: no autolinkable text, no raw markup, and the names read literally."""
    at = _upload(_app(), LINKY_FILENAME, linky_csv())
    assert not at.exception
    assert at.session_state[keys.DATASET].features == LINKY_COLUMNS

    def check(where):
        """No Markdown element holds raw or linkable user text; returns what they read."""
        assert not at.exception, where
        values = _markdown_values(at)
        for value in values:
            assert not AUTOLINKABLE.search(value), (where, value)
            for raw in LINKY:
                assert raw not in value, (where, raw, value)
        return " ".join(_shown(v) for v in values)

    check("Data")
    assert any(t.value.startswith(LINKY_FILENAME) for t in at.text)  # st.text: shown as is
    at.switch_page("pages/segments.py").run()
    for j, name in enumerate(LINKY_SEGMENTS):
        at.text_input(key=f"{keys.W_SEG_NAME}{j}").input(name).run()
    names = [t.value for t in at.text_input]
    assert names[:2] == list(LINKY_SEGMENTS) and LINKY_COLUMNS[0] in names[2]  # auto: columns
    largest = f"The largest, “{'|'.join(map(re.escape, names))}”"
    assert re.search(largest.replace("“", "“(?:").replace("”", ")”"), check("Segments"))
    at.button(key=keys.W_SLIDES_START).click().run()
    titles = []
    for i in range(len(names) + 2):                # title slide, one per segment, overview
        check(f"Segments, slide {i + 1}")
        titles.append(_shown(at.title[0].value))
        if i < len(names) + 1:
            at.button(key=keys.W_SLIDES_NEXT).click().run()
    assert titles[1:1 + len(names)] == names       # each segment's slide is titled by its name
    at.button(key=keys.W_SLIDES_LEAVE).click().run()
    at.switch_page("pages/compare.py").run()
    compare = check("Compare")
    assert any(n in compare for n in names), compare


# --- hostile files going out and coming in: CSV export, model JSON -------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://x\")"]


def test_csv_export_neutralises_formulas_but_not_numbers():
    import csv
    import io

    from gmm_core.outputs.export import to_csv_bytes

    frame = pd.DataFrame({"note": FORMULAS, "value": [-1.5, -2.0, 3.0, -0.25, 0.0],
                          "count": [-3, 1, -2, 4, 0], "=evil": ["a", "b", "c", "d", "e"]})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0] == ["note", "value", "count", "'=evil"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert [float(r[1]) for r in rows[1:]] == [-1.5, -2.0, 3.0, -0.25, 0.0]
    assert [r[2] for r in rows[1:]] == ["-3", "1", "-2", "4", "0"]


# Model JSON refusals (wrong types, shapes, NaN, huge arrays, not JSON) live in
# tests/test_model_io.py::test_loader_refuses_malformed_files_with_a_clear_message.


def test_no_pickle_or_eval_of_user_data():
    """Nothing that reads user files or model JSON can unpickle or evaluate it."""
    import re

    sources = ["gmm_core/data/reader.py", "gmm_core/data/_sniff.py",
               "gmm_core/outputs/model_file.py",
               "ui/dataset.py", "ui/session.py", "ui/cache.py", "pages/data.py"]
    for name in sources:
        text = (ROOT / name).read_text()
        assert not re.search(r"\b(pickle|marshal|shelve|eval|exec)\s*[.(]", text), name
        assert "allow_pickle=True" not in text and "yaml.load(" not in text, name
