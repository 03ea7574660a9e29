"""Data page: load a dataset (upload or demo), choose its columns, look at it.

A thin view: the reading, generating and plotting live in :mod:`gmm_core`;
:mod:`ui.session` keeps the loaded dataset across pages, :mod:`ui.dataset`
builds it.  User strings (file and column names, cells) are shown with
``st.text`` / ``st.dataframe`` or escaped with :func:`ui.widgets.plain`, never
as HTML or Markdown.
"""

import logging

import pandas as pd
import streamlit as st

import gmm_core
import gmm_core.data
from gmm_core.data.reader import MAX_BYTES, check_size
from gmm_core.outputs import project
from gmm_core.plots import compare as figures
from ui import dataset, keys, saved, session
from ui.widgets import plain

MAX_MATRIX_COLUMNS = 6
MAX_SHOWN = 20_000

st.title("Data")
st.caption("Load a table of numbers, choose the columns to cluster, and check what was read. "
           "The other pages use the dataset loaded here.")


def _handle_upload():
    """Read the file in the uploader into the loaded dataset (or remember why not)."""
    up = session.value(keys.W_UPLOAD)
    if up is None or not session.first_sight_of_upload(up.file_id):
        return
    try:  # the size first, before the bytes are copied out of the upload
        check_size(up.size, up.name)
        data = up.getvalue()
    except gmm_core.DataError as exc:
        session.set_upload_error(str(exc))
        return
    finally:  # read once: the bytes are kept (once) as the last upload, not in Streamlit's store
        session.release_upload(up.file_id)
    _load_upload(up.name, data)


def _load_upload(filename, data):
    missing = session.value(keys.W_MISSING, dataset.DEFAULT_MISSING)
    try:
        ds = dataset.load_upload(data, filename, missing=missing)
    except gmm_core.DataError as exc:
        session.set_upload_error(str(exc))
        return
    except Exception:  # noqa: BLE001 -- the reader raises only DataError; never show a traceback
        logging.getLogger(__name__).exception("unexpected failure reading an upload")
        session.set_upload_error(
            f"'{filename}' could not be read as a table. Check that it is a CSV or text file "
            "with one row per line, or try another file.")
        return
    session.set_last_upload(filename, data)
    session.set_upload_error(None)
    session.set_dataset(ds)


def _reread_upload():
    """Missing-value policy changed: read the last upload again with the new policy."""
    ds = session.get_dataset()
    if ds.source == "upload" and session.last_upload():
        _load_upload(*session.last_upload())


def _load_demo():
    name = session.value(keys.W_DEMO)
    try:
        if name == "Elongated clusters":
            ds = dataset.load_blobs(
                n_components=session.value(keys.W_BLOB_K),
                n_samples=session.value(keys.W_BLOB_N),
                elongation=session.value(keys.W_BLOB_ELONGATION),
                rotation=session.value(keys.W_BLOB_ROTATION),
                separation=session.value(keys.W_BLOB_SEPARATION),
                random_state=session.value(keys.W_BLOB_SEED))
        else:
            ds = dataset.load_demo(name)
    except ValueError as exc:
        session.set_upload_error(str(exc))
        return
    session.set_upload_error(None)
    session.set_dataset(ds)


def _open_project():
    """Open the project file in its uploader: its table, settings, names (or say why not)."""
    up = session.value(keys.W_PROJECT)
    if up is None or not session.first_sight_of_project(up.file_id):
        return
    if up.size > project.MAX_BYTES:
        session.set_upload_error(f"'{up.name}' is larger than a project file can be "
                                 f"({project.MAX_BYTES // 1_000_000} MB).")
        return
    try:
        saved.open_project(up.getvalue())
    except ValueError as exc:  # ProjectFileError, DataError or a model that does not fit
        session.set_upload_error(str(exc))
        return
    session.set_upload_error(None)


# --- 1. load --------------------------------------------------------------------------
loaded = session.get_dataset()
missing_policy = session.seed_widget(keys.W_MISSING, loaded.report.missing
                                     if loaded.report is not None else dataset.DEFAULT_MISSING)
upload_tab, demo_tab, project_tab = st.tabs(["Upload a CSV", "Generate or load a demo",
                                             "Open a project"])
with upload_tab:
    st.file_uploader(
        "Drop a CSV file here or browse (comma, semicolon, tab or pipe separated)",
        type=["csv", "tsv", "txt"], key=keys.W_UPLOAD, on_change=_handle_upload,
        help="Limit 200 MB per file. The first row should hold column names.")
    st.caption(f"Size limit: {MAX_BYTES // 2**20} MB per file; a larger file, or one not ending "
               "in .csv, .tsv or .txt, is refused by the uploader before it is sent (it turns "
               "red; point at it to read why): upload a sample of its rows instead. Numeric "
               "columns become features; text columns can serve as known labels.")
    st.selectbox("Rows with missing values", dataset.MISSING_POLICIES, key=keys.W_MISSING,
                 index=session.option_index(dataset.MISSING_POLICIES, missing_policy),
                 format_func={"use": "use them: the model fills nothing",
                              "drop": "drop the row", "mean": "fill with the column mean",
                              "median": "fill with the column median"}.get,
                 on_change=_reread_upload,
                 help="Use them: each row counts by the values it has; a blank cell stays "
                      "blank and nothing is invented. Fill: the column's mean or median is "
                      "used as if it were the row's own value.")
with demo_tab:
    names = dataset.demo_names()
    demo = session.seed_widget(keys.W_DEMO, dataset.DEFAULT_DEMO)
    demo = st.selectbox("Dataset", names, index=session.option_index(names, demo), key=keys.W_DEMO)
    if demo == "Elongated clusters":
        c1, c2, c3 = st.columns(3)
        c1.slider("Clusters (k)", 1, 8, 3, key=keys.W_BLOB_K)
        c1.slider("Rows", 100, 50_000, 600, step=100, key=keys.W_BLOB_N)
        c2.slider("Elongation (long / short axis)", 1.0, 12.0, 6.0, step=0.5,
                  key=keys.W_BLOB_ELONGATION)
        c2.slider("Rotation (degrees)", -90, 90, 30, key=keys.W_BLOB_ROTATION)
        c3.slider("Separation (short-axis SDs)", 1.0, 15.0, 6.0, step=0.5,
                  key=keys.W_BLOB_SEPARATION)
        c3.number_input("Seed", 0, 10_000, 0, key=keys.W_BLOB_SEED)
    st.button("Load this dataset", key=keys.W_DEMO_LOAD, on_click=_load_demo, type="primary")

with project_tab:   # the uploader shows on demand: one file input on the page until asked
    if st.toggle("Open a project file", key=keys.W_PROJECT_OPEN,
                 help="A file saved with 'Save project' on the Segments page."):
        st.file_uploader(
            "Project file (JSON)", type=["json"], key=keys.W_PROJECT, on_change=_open_project,
            help="Restores the table, every setting, the segment names and the model, as saved.")

if session.upload_error():
    st.error("Could not load that data: " + plain(session.upload_error())
             + "  \nThe previous dataset, " + plain(session.get_dataset().name)
             + ", is still loaded.", icon=":material/error:")

ds = session.get_dataset()

# --- 2. what was read --------------------------------------------------------------------
st.subheader("Loaded")
noun_key = session.dataset_key(keys.W_NOUN, ds)
noun = session.seed_widget(noun_key, session.noun(ds))
st.text_input("What is one row?", value=noun, key=noun_key, max_chars=40,
              on_change=session.on_noun, args=(ds.token,),
              placeholder="customers, stores, patients…",
              help="The word, in the plural, that every sentence, card, slide, report and "
                   "export uses when it counts rows. Empty the box to go back to “rows”.")
noun = session.noun(ds)
st.text(f"{ds.name}: {ds.n_rows:,} {noun}, {ds.frame.shape[1]} numeric columns")
description = getattr(ds.origin, "description", "")
if description:
    st.caption(plain(description))
report = ds.report
if report is not None:
    with st.expander("What the reader did", expanded=True):
        st.text(report.summary())
        columns = pd.DataFrame(
            [(c, "used as a feature", "") for c in report.columns_kept]
            + [(c, "left out", why) for c, why in report.columns_dropped],
            columns=["column", "status", "reason"])
        st.dataframe(columns, hide_index=True)
        st.text(f"Encoding: {report.encoding}   Delimiter: {report.delimiter!r}   "
                f"Decimal mark: {report.decimal!r}   Rows read: {report.n_rows_read:,}   "
                f"Rows dropped: {report.rows_dropped:,}   Rows filled in: {report.rows_imputed:,}")
        if report.rows_with_gaps:
            st.text(f"Rows with gaps, used as they are: {report.rows_with_gaps:,} of "
                    f"{ds.n_rows:,}. Blank cells per column: {report.gaps_text()}.")
        if report.dropped_lines:
            st.text("Lines left out (first few): "
                    + ", ".join(str(n) for n in report.dropped_lines))
        for note in report.warnings:
            st.text("⚠ " + str(note))


# --- 3. choices (their callbacks live in ui.session: see release_stale_widgets) -----------------
st.subheader("Columns")
features_key, label_key, scaling_key = (session.dataset_key(k, ds)
                                         for k in (keys.W_FEATURES, keys.W_LABEL, keys.W_SCALING))
features = session.seed_widget(features_key, list(ds.features))
label = session.seed_widget(label_key, ds.label_column or dataset.NO_LABEL)
scaling = session.seed_widget(scaling_key, ds.scaling)
c1, c2 = st.columns([3, 2])
label_options = (dataset.NO_LABEL, *ds.label_options)
c1.multiselect("Feature columns to cluster", list(ds.frame.columns), default=features,
               key=features_key, on_change=session.on_features, args=(ds.token,),
               help="Clustering uses every row of these columns.")
c2.selectbox("Known labels (optional)", label_options, key=label_key,
             index=session.option_index(label_options, label),
             on_change=session.on_label, args=(ds.token,),
             help="If the data already says which group each row is in, the Compare page "
                  "scores both models against it.")
c2.radio("Scaling before fitting", dataset.SCALINGS, key=scaling_key, horizontal=True,
         index=session.option_index(dataset.SCALINGS, scaling),
         on_change=session.on_scaling, args=(ds.token,),
         format_func={"standard": "standardise", "minmax": "min-max", "none": "none"}.get,
         help="Standardise puts every feature on the same footing (mean 0, SD 1). "
              "Charts always show the original units.")
if ds.n_features < 2:
    st.warning("Choose at least two feature columns: the Compare page plots two axes.")

# --- 4. look ----------------------------------------------------------------------------------
st.subheader("Preview")
table_col, chart_col = st.columns([1, 1])  # room for three columns of names
preview = ds.original.listing(range(min(500, ds.n_rows)), columns=ds.features or None)
table_col.dataframe(preview, hide_index=True, height=460)
if ds.n_features >= 1:
    idx = gmm_core.data.display_subsample(ds.n_rows, max_points=MAX_SHOWN, seed=0)
    cols = list(ds.features)[:MAX_MATRIX_COLUMNS]
    labels = None if ds.labels is None else ds.labels[idx]
    fig = figures.scatter_matrix_figure(ds.frame.iloc[idx][cols].reset_index(drop=True),
                                        labels=labels, label_names=ds.label_names)
    chart_col.plotly_chart(fig, key="data_matrix", config={"displaylogo": False})
    notes = [f"The table shows the first 500 rows as your file has them, named by "
             f"{plain(ds.key_name)}; the chart every pair of chosen columns."]
    if len(idx) < ds.n_rows:
        notes.append(f"The chart draws a fixed random sample of {len(idx):,} of {ds.n_rows:,} "
                     "rows.")
    if ds.had_gaps.any():
        notes.append(f"A row with a blank cell appears in the panels of the columns it has "
                     f"({int(ds.had_gaps.sum()):,} {noun} have blank cells; the preview's "
                     "'had gaps' names them).")
    if ds.n_features > MAX_MATRIX_COLUMNS:
        notes.append(f"It shows the first {MAX_MATRIX_COLUMNS} of {ds.n_features} chosen columns.")
    st.caption(" ".join(notes))

st.page_link("pages/compare.py", label="Compare KMeans and a Gaussian mixture on this data",
             icon=":material/arrow_forward:")
