"""Session state of GMM Explorer: every key, and the dataset that is loaded.

This is the one place that names ``st.session_state`` keys.  Two kinds:

* **data keys** (plain names) hold what the user has made -- the loaded
  :class:`Dataset`, the bytes of the last upload -- and live for the whole
  session, whichever page is open;
* **widget keys** (``w_`` prefix) belong to widgets.  Streamlit forgets a
  widget's value when the user leaves its page, so a page seeds its widgets
  from the data keys with :func:`seed_widget` and writes changes back to them.

Pages call :func:`get_dataset`; the app starts with the income-vs-spend demo
loaded so every page works on first open.
"""

import hashlib
import itertools
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import streamlit as st

import gmm_core
import gmm_core.analysis.compare

# --- data keys -----------------------------------------------------------------
DATASET = "dataset"                  # the loaded Dataset
UPLOAD = "upload"                    # (filename, bytes) of the last upload that loaded
UPLOAD_SEEN = "upload_seen"          # file_id of the last upload handled
UPLOAD_ERROR = "upload_error"        # message of the last failed upload, or None
COMPARE_SETTINGS = "compare_settings"  # last controls used on the Compare page

# --- widget keys: Data page ----------------------------------------------------
W_UPLOAD = "w_upload"
W_MISSING = "w_missing"
W_DEMO = "w_demo"
W_DEMO_LOAD = "w_demo_load"
W_BLOB_K = "w_blob_k"
W_BLOB_N = "w_blob_n"
W_BLOB_ELONGATION = "w_blob_elongation"
W_BLOB_ROTATION = "w_blob_rotation"
W_BLOB_SEPARATION = "w_blob_separation"
W_BLOB_SEED = "w_blob_seed"
W_FEATURES = "w_features"
W_LABEL = "w_label"
W_SCALING = "w_scaling"
#: Widgets that describe the loaded dataset.  Their keys are per dataset
#: (:func:`dataset_key`): the browser keeps a widget's value under its key, and a
#: rerun that it sends before it has seen a new dataset's widgets would otherwise
#: apply the old dataset's choices (a label column, features) to the new one.
DATASET_WIDGETS = (W_FEATURES, W_LABEL, W_SCALING)

#: Every Dataset built in this process gets the next number (see Dataset.token).
_TOKENS = itertools.count(1)

# --- widget keys: Compare page -------------------------------------------------
W_K = "w_k"
W_COVARIANCE = "w_covariance"
W_INIT = "w_init"
W_N_INIT = "w_n_init"
W_SEED = "w_seed"
W_VIEW = "w_view"
W_AXIS_X = "w_axis_x"
W_AXIS_Y = "w_axis_y"
W_REGIONS = "w_regions"
W_GMM_SHADE = "w_gmm_shade"
W_DISAGREE = "w_disagree"
W_LEVELS = "w_levels"

# --- EM step by step and Choose k pages (issue 5) --------------------------------
EM_SETTINGS = "em_settings"          # last controls used on the EM step by step page
CHOOSE_K_SETTINGS = "choose_k_settings"  # last controls used on the Choose k page
CHOOSE_K_APPLIED = "choose_k_applied"    # (k, covariance_type) last sent to Compare
W_EM_K = "w_em_k"
W_EM_COVARIANCE = "w_em_covariance"
W_EM_INIT = "w_em_init"
W_EM_SEED = "w_em_seed"
W_EM_STEP = "w_em_step"
W_EM_BACK = "w_em_back"
W_EM_FORWARD = "w_em_forward"
W_EM_ROW = "w_em_row"
W_EM_VIEW = "w_em_view"
W_EM_AXIS_X = "w_em_axis_x"
W_EM_AXIS_Y = "w_em_axis_y"
W_CK_KMAX = "w_ck_kmax"
W_CK_TYPES = "w_ck_types"
W_CK_N_INIT = "w_ck_n_init"
W_CK_SEED = "w_ck_seed"
W_CK_APPLY = "w_ck_apply"

# --- Segments page (issue 6) ---------------------------------------------------------
SEGMENT_NAMES = "segment_names"      # {model key: {"edits": {j: name}, "names": (k names)}}
SEGMENT_MODEL = "segment_model"      # model key the name widgets were last seeded for
SEGMENT_PRESENT = "segment_present"  # presentation view on or off
SEGMENT_UNUSUAL = "segment_unusual"  # percent of rows flagged as unusual
W_SEG_NAME = "w_seg_name_"           # + segment index: the name text inputs
W_SEG_PRESENT = "w_seg_present"
W_SEG_UNUSUAL = "w_seg_unusual"
W_SEG_VIEW = "w_seg_view"
W_SEG_AXIS_X = "w_seg_axis_x"
W_SEG_AXIS_Y = "w_seg_axis_y"
W_SEG_CSV = "w_seg_csv"
W_SEG_JSON = "w_seg_json"
W_SEG_HTML = "w_seg_html"
W_SEG_PNG = "w_seg_png"

NO_LABEL = "(none)"
KNOWN_LABEL = "known groups (from the generator)"
DEFAULT_DEMO = "Mall customers"
SCALINGS = ("standard", "minmax", "none")
MISSING_POLICIES = ("drop", "mean", "median")


@dataclass(frozen=True, eq=False)
class Dataset:
    """The loaded data: numeric columns in original units plus the user's choices."""

    name: str
    frame: pd.DataFrame
    features: tuple
    scaling: str = "standard"
    label_column: str | None = None
    labels: np.ndarray | None = None
    label_names: tuple | None = None
    label_options: tuple = ()
    source: str = "demo"
    origin: object = field(default=None, repr=False)
    #: Which load this is: kept by ``replace`` (a changed choice), new for each load.
    token: int = field(default_factory=lambda: next(_TOKENS), repr=False)

    @property
    def X(self):
        """The chosen features as a float array (n_rows, n_features)."""
        return self.frame[list(self.features)].to_numpy(dtype=float)

    @property
    def n_rows(self):
        return int(self.frame.shape[0])

    @property
    def n_features(self):
        return len(self.features)

    @property
    def report(self):
        """What the CSV reader did (uploads only)."""
        return getattr(self.origin, "report", None) if self.source == "upload" else None

    @cached_property
    def fingerprint(self):
        """Hash of the fitted data and choices: the cache key of every fit."""
        h = hashlib.blake2b(digest_size=16)
        X = np.ascontiguousarray(self.X)
        h.update(repr((X.shape, self.features, self.scaling, self.label_column)).encode())
        h.update(X.tobytes())
        if self.labels is not None:
            h.update(np.ascontiguousarray(self.labels).tobytes())
        return h.hexdigest()

    def summary(self):
        """``"name -- rows x features"`` for the sidebar."""
        return f"{self.n_rows:,} rows × {self.n_features} features"


# --- building datasets -------------------------------------------------------------

def _from_generated(result, name):
    frame = result.features.reset_index(drop=True)
    labels = getattr(result, "labels", None)
    names = getattr(result, "label_names", None)
    return Dataset(
        name=name,
        frame=frame,
        features=tuple(frame.columns),
        labels=None if labels is None else np.asarray(labels),
        label_names=None if names is None else tuple(str(n) for n in names),
        label_column=None if labels is None else KNOWN_LABEL,
        label_options=() if labels is None else (KNOWN_LABEL,),
        source="demo",
        origin=result,
    )


def demo_names():
    """Names of the built-in datasets, the default first."""
    names = list(gmm_core.DEMO_DATASETS)
    return sorted(names, key=lambda n: n != DEFAULT_DEMO)


def load_demo(name):
    """Build one of ``gmm_core.DEMO_DATASETS`` with its defaults."""
    return _from_generated(gmm_core.DEMO_DATASETS[name](), name)


def load_blobs(*, n_components, n_samples, elongation, rotation, separation, random_state):
    """Elongated Gaussian blobs, the case where KMeans and a GMM disagree most."""
    result = gmm_core.make_elongated_blobs(
        n_samples=n_samples, n_components=n_components, elongation=elongation,
        rotation=rotation, separation=separation, random_state=random_state)
    return _from_generated(result, f"Elongated clusters (k={n_components}, seed={random_state})")


def load_upload(data, filename, *, missing="drop"):
    """Read an uploaded file into a Dataset; raises :class:`gmm_core.DataError`."""
    result = gmm_core.read_table(data, filename, missing=missing)
    frame = result.features.reset_index(drop=True)
    return Dataset(
        name=filename,
        frame=frame,
        features=tuple(frame.columns),
        label_options=tuple(result.label_candidates),
        source="upload",
        origin=result,
    )


def with_label(ds, column):
    """The dataset with ``column`` as its true labels (``NO_LABEL`` for none)."""
    if column in (None, NO_LABEL):
        return replace(ds, label_column=None, labels=None, label_names=None)
    if column == KNOWN_LABEL:
        res = ds.origin
        return replace(ds, label_column=column, labels=np.asarray(res.labels),
                       label_names=tuple(str(n) for n in res.label_names))
    values = ds.origin.label_values(column)
    features = tuple(f for f in ds.features if f != column) or ds.features
    if isinstance(values, tuple) and len(values) == 2:
        codes, names = values
    else:
        codes, names = pd.factorize(pd.Series(values), sort=True)
    return replace(ds, features=features, label_column=column, labels=np.asarray(codes),
                   label_names=tuple(str(n) for n in names))


# --- session state -------------------------------------------------------------------

def init():
    """Load the default demo on the first run of a session."""
    if DATASET not in st.session_state:
        st.session_state[DATASET] = load_demo(DEFAULT_DEMO)
        st.session_state[UPLOAD_ERROR] = None


def get_dataset():
    """The loaded :class:`Dataset` (the default demo on first use)."""
    init()
    return st.session_state[DATASET]


def set_dataset(ds):
    """Make ``ds`` the loaded dataset; its widgets start afresh under their own keys."""
    old = st.session_state.get(DATASET)
    st.session_state[DATASET] = ds
    if old is not None:
        for base in DATASET_WIDGETS:
            st.session_state.pop(dataset_key(base, old), None)


def dataset_key(base, ds=None):
    """The key of dataset widget ``base`` (one of DATASET_WIDGETS) for ``ds`` (default: loaded)."""
    return f"{base}:{(ds or get_dataset()).token}"


def is_current(token):
    """Whether ``token`` is the loaded dataset's: callbacks of older datasets' widgets do nothing."""
    return token == get_dataset().token


def seed_widget(key, value):
    """Give widget ``key`` its value from the data keys if Streamlit has forgotten it.

    Returns the widget's value, to pass as the widget's own default as well
    (``value=``, ``default=``, ``index=`` via :func:`option_index`): a browser
    that mounts the widget without having received the seeded value -- a quicker
    rerun overtook the one that seeded -- starts from the widget's default and
    sends that back, replacing the user's choice.  ``global.
    disableWidgetStateDuplicationWarning`` (``.streamlit/config.toml``) keeps
    Streamlit from logging a warning for each such widget.
    """
    if key not in st.session_state:
        st.session_state[key] = value
    return st.session_state[key]


def option_index(options, value):
    """Index of ``value`` in ``options`` (0 if absent): the ``index=`` of a seeded selectbox."""
    options = list(options)
    return options.index(value) if value in options else 0


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def plain(text):
    """Escape ``text`` so Markdown shows it literally (for user strings in st.error etc.).

    >>> plain("**bold** <b>[x](y)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\<b\\\\>\\\\[x\\\\]\\\\(y\\\\)'
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def set_choice(**changes):
    """Change the loaded dataset's choices (``features=``, ``scaling=``)."""
    st.session_state[DATASET] = replace(get_dataset(), **changes)


def set_label(column):
    """Use ``column`` (or ``NO_LABEL``) as the loaded dataset's known labels."""
    ds = get_dataset()
    if column not in (NO_LABEL, *ds.label_options):
        return  # not a choice this dataset offers
    st.session_state[DATASET] = with_label(ds, column)
    st.session_state.pop(dataset_key(W_FEATURES, ds), None)  # the label may have left the features


def use_on_compare(k, covariance_type):
    """Make ``k`` and ``covariance_type`` the Compare page's choice (its widgets reseed)."""
    settings = dict(st.session_state.get(COMPARE_SETTINGS, {}))
    settings.update({W_K: int(k), W_COVARIANCE: str(covariance_type)})
    st.session_state[COMPARE_SETTINGS] = settings
    st.session_state[CHOOSE_K_APPLIED] = (int(k), str(covariance_type))
    for key in (W_K, W_COVARIANCE):
        st.session_state.pop(key, None)


def compare_settings(ds):
    """The Compare page's controls as last used, its defaults where unset: the chosen GMM."""
    saved = st.session_state.get(COMPARE_SETTINGS, {})
    default_k = len(ds.label_names) if ds.label_names else 3
    return {W_K: int(saved.get(W_K, min(max(default_k, 1), 10))),
            W_COVARIANCE: str(saved.get(W_COVARIANCE, "full")),
            W_INIT: str(saved.get(W_INIT, "kmeans")),
            W_N_INIT: int(saved.get(W_N_INIT, 1)),
            W_SEED: int(saved.get(W_SEED, 0))}


@st.cache_data(show_spinner=False, max_entries=24)
def _compare(fingerprint, _X, _y, scaling, k, covariance_type, init_params, n_init, seed):
    """Cached fit of both models; ``fingerprint`` stands for ``_X`` and ``_y``."""
    return gmm_core.analysis.compare.compare_models(_X, k, scaling=scaling, covariance_type=covariance_type,
                                   init_params=init_params, n_init=n_init, random_state=seed,
                                   y_true=_y)


def chosen_comparison(ds):
    """The :class:`gmm_core.analysis.compare.Comparison` for the Compare page's settings (one shared cache).

    Compare and Segments both call this, so a model is fitted once; raises
    ``ValueError`` (incl. :class:`gmm_core.DataError`) when the fit cannot go on.
    """
    s = compare_settings(ds)
    return _compare(ds.fingerprint, ds.X, ds.labels, ds.scaling, s[W_K], s[W_COVARIANCE],
                    s[W_INIT], s[W_N_INIT], s[W_SEED])


def model_key(ds):
    """What identifies the chosen model: the data's fingerprint and the Compare settings."""
    s = compare_settings(ds)
    return (ds.fingerprint, ds.scaling, s[W_K], s[W_COVARIANCE], s[W_INIT], s[W_N_INIT], s[W_SEED])


def segment_edits(ds):
    """``{segment index: name}`` the user typed for the chosen model (empty if none)."""
    entry = st.session_state.get(SEGMENT_NAMES, {}).get(model_key(ds))
    return dict(entry["edits"]) if entry else {}


def set_segment_names(ds, edits, names):
    """Remember the user's edits and the resulting names for the chosen model."""
    store = dict(st.session_state.get(SEGMENT_NAMES, {}))
    key = model_key(ds)
    if edits:
        store[key] = {"edits": dict(edits), "names": tuple(names)}
    else:
        store.pop(key, None)
    st.session_state[SEGMENT_NAMES] = store


def chosen_segment_names(ds):
    """The chosen model's segment names if the user has edited any, else ``None``."""
    entry = st.session_state.get(SEGMENT_NAMES, {}).get(model_key(ds))
    return list(entry["names"]) if entry else None


def original_rows(ds):
    """The user's rows with every column (not only the features), aligned with ``ds.X``.

    An upload's whole file (rows dropped for missing values left out), a demo's
    full export; the features alone when nothing more is known.
    """
    frame = getattr(ds.origin, "frame", None)
    if isinstance(frame, pd.DataFrame) and len(frame) == ds.n_rows:
        return frame.reset_index(drop=True)
    return ds.frame


def stop_unless(ok, message):
    """Guard a page: unless ``ok``, say ``message``, link to the Data page and stop."""
    if not ok:
        st.info(message)
        st.page_link("pages/data.py", label="Go to Data", icon=":material/table_chart:")
        st.stop()


def view_axes(features, container, *, view_key, x_key, y_key, help, widths=(1, 1)):
    """The 2-D view picker shared by the chart pages.

    Returns the two feature names to plot, or ``None`` for the PCA view; with
    two features there is nothing to choose.  Stops the page with a warning
    when the user picks the same feature twice.
    """
    if len(features) <= 2:
        return (features[0], features[1])
    kind = container.radio("View", ("PCA (best 2-D view)", "Two features"), key=view_key,
                           horizontal=True, help=help)
    if kind != "Two features":
        return None
    ax1, ax2 = container.columns(list(widths))[:2]
    axes = (ax1.selectbox("x axis", features, index=0, key=x_key),
            ax2.selectbox("y axis", features, index=1, key=y_key))
    if axes[0] == axes[1]:
        st.warning("Choose two different features for the axes.")
        st.stop()
    return axes
