"""Session access: the loaded dataset, widget seeding and each page's remembered settings.

Pages never touch ``st.session_state``; they call this module, which reads and
writes it under the names in :mod:`ui.keys`.  Three patterns cover the pages:

* **the dataset** -- :func:`get_dataset` / :func:`set_dataset`, and the
  dataset's own widgets under per-dataset keys (:func:`dataset_key`) with
  their callbacks here (:func:`on_features`, ...: a callback defined in a page
  would keep that page run's namespace, and so its dataset, alive);
* **remembered settings** -- a page seeds its widgets from
  :func:`remembered` (``{widget key: value}`` as last used) with
  :func:`seed_widget`, draws them, and stores what they show with
  :func:`remember`, so the controls survive a visit to another page;
* **small values** -- :func:`value` / :func:`set_value` / :func:`forget` for
  the rest (a button's step counter, the upload bookkeeping).

The app starts with the income-vs-spend demo loaded (:func:`init`) so every
page works on first open.
"""

import contextlib
from dataclasses import replace

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gmm_core.analysis import identity, segments
from ui import keys
from ui.dataset import DEFAULT_DEMO, NO_LABEL, load_demo, with_label

# --- plain access -----------------------------------------------------------------------

def value(key, default=None):
    """The session's value under ``key`` (a :mod:`ui.keys` name), ``default`` if unset."""
    return st.session_state.get(key, default)


def set_value(key, new):
    """Store ``new`` under ``key``."""
    st.session_state[key] = new


def forget(*names):
    """Drop ``names`` from the session (a forgotten widget is seeded afresh)."""
    for name in names:
        st.session_state.pop(name, None)


def remembered(page_key):
    """A copy of the settings page ``page_key`` last stored with :func:`remember`
    (``{}`` if none)."""
    return dict(st.session_state.get(page_key) or {})


def remember(page_key, values=None, /, **more):
    """Store ``{widget key: value}`` as page ``page_key``'s settings (replacing the old ones)."""
    st.session_state[page_key] = {**(values or {}), **more}


# --- the dataset --------------------------------------------------------------------------

def init():
    """Load the default demo on the first run of a session (run through app.py, see below).

    A page can run without app.py: a freshly started server treats ``pages/``
    as Streamlit's older page folder until app.py's ``st.navigation`` has run
    once, and runs the page asked for on its own.  That is what a tab open at
    ``/compare`` asks of a restarted server; the session would start from the
    demo, its saved work (:mod:`ui.saved`, restored by app.py) unseen.  So a
    session whose first run did not pass app.py (it sets the saved-work id
    first) reruns, once, through app.py.
    """
    if keys.DATASET not in st.session_state:
        if keys.SAVED_ID not in st.session_state and not st.session_state.get(keys.ENTRY_RETRIED):
            st.session_state[keys.ENTRY_RETRIED] = True
            PagesManager.uses_pages_directory = False   # app.py's st.navigation owns the pages
            st.rerun()
        st.session_state[keys.DATASET] = load_demo(DEFAULT_DEMO)
        st.session_state[keys.UPLOAD_ERROR] = None


def get_dataset():
    """The loaded :class:`ui.dataset.Dataset` (the default demo on first use)."""
    init()
    return st.session_state[keys.DATASET]


def set_dataset(ds):
    """Make ``ds`` the loaded dataset; its widgets start afresh under their own keys.

    The session then holds ``ds`` alone: the old dataset's widget keys go with
    it, and :func:`release_stale_widgets` drops what Streamlit still knew of them.
    """
    old = st.session_state.get(keys.DATASET)
    st.session_state[keys.DATASET] = ds
    if old is not None and old.token != ds.token:
        for base in keys.DATASET_WIDGETS:
            st.session_state.pop(dataset_key(base, old), None)


def dataset_key(base, ds=None):
    """The key of dataset widget ``base`` (one of DATASET_WIDGETS) for ``ds`` (default: loaded)."""
    return f"{base}:{(ds or get_dataset()).token}"


def is_current(token):
    """Whether ``token`` is the loaded dataset's: callbacks of older datasets' widgets do
    nothing."""
    return token == get_dataset().token


# The dataset widgets' callbacks (the Data page passes ``args=(ds.token,)``, a number): module
# functions, so that what Streamlit keeps of a widget holds no page run's namespace or dataset.

def on_noun(token):
    """The "What is one row?" box changed."""
    if is_current(token):
        set_noun(value(dataset_key(keys.W_NOUN)))


def on_features(token):
    """The feature columns changed: keep them in the table's order."""
    if is_current(token):
        chosen = value(dataset_key(keys.W_FEATURES)) or ()
        set_choice(features=tuple(c for c in get_dataset().frame.columns if c in chosen))


def on_label(token):
    """The known-labels column changed."""
    if is_current(token):
        set_label(value(dataset_key(keys.W_LABEL)))


def on_scaling(token):
    """The scaling changed."""
    if is_current(token):
        set_choice(scaling=value(dataset_key(keys.W_SCALING)))


def release_stale_widgets():
    """Forget what Streamlit keeps of widgets that are gone (call at the start of each run).

    Streamlit 1.67 drops a widget's *value* when the widget is not drawn, but
    keeps its metadata -- with its ``on_change`` callback, the callback's
    arguments and closures -- for the whole session.  A page's widgets are new
    ones for each dataset (their keys and options change), so without this a
    long session kept every dataset it ever loaded.  At the start of a run the
    widgets the browser still shows and those whose value Streamlit remembers
    are exactly those with a state; the metadata of any other is dropped (a
    widget drawn again registers anew).  Does nothing where the session is not
    Streamlit's own (bare mode) or its internals differ.
    """
    ctx = get_script_run_ctx()
    state = getattr(getattr(ctx, "session_state", None), "_state", None)
    widgets = getattr(state, "_new_widget_state", None)
    lock = getattr(ctx.session_state, "_lock", None) if ctx else None
    if widgets is None or lock is None:
        return 0
    with lock, contextlib.suppress(AttributeError, TypeError):
        alive = set(widgets.states) | set(state._old_state)
        stale = [wid for wid in widgets.widget_metadata if wid not in alive]
        for wid in stale:
            del widgets.widget_metadata[wid]
        return len(stale)
    return 0


def set_choice(**changes):
    """Change the loaded dataset's choices (``features=``, ``scaling=``)."""
    st.session_state[keys.DATASET] = replace(get_dataset(), **changes)


#: What one row is when the user has not said: the plural the sentences use.
DEFAULT_NOUN = "rows"
#: At most this many datasets' nouns are remembered (the oldest go first).
MAX_NOUNS = 32


def _noun_key(ds):
    return f"{ds.source}:{ds.name}"


def noun(ds=None):
    """What one row of ``ds`` (default: loaded) is, plural: "customers", "stores" ("rows")."""
    ds = ds or get_dataset()
    return st.session_state.get(keys.NOUNS, {}).get(_noun_key(ds), DEFAULT_NOUN)


def set_noun(text, ds=None):
    """Say what one row of ``ds`` is (an emptied box goes back to "rows"); kept per dataset."""
    ds = ds or get_dataset()
    text = " ".join(str(text or "").split())[:40] or DEFAULT_NOUN
    store = dict(st.session_state.get(keys.NOUNS, {}))
    store.pop(_noun_key(ds), None)
    store[_noun_key(ds)] = text
    while len(store) > MAX_NOUNS:
        store.pop(next(iter(store)))
    st.session_state[keys.NOUNS] = store


def set_label(column):
    """Use ``column`` (or ``NO_LABEL``) as the loaded dataset's known labels."""
    ds = get_dataset()
    if column not in (NO_LABEL, *ds.label_options):
        return  # not a choice this dataset offers
    st.session_state[keys.DATASET] = with_label(ds, column)
    # the label may have left the features
    st.session_state.pop(dataset_key(keys.W_FEATURES, ds), None)


# --- uploads ------------------------------------------------------------------------------

def upload_error():
    """Message of the last failed load, or ``None``."""
    return st.session_state.get(keys.UPLOAD_ERROR)


def set_upload_error(message):
    st.session_state[keys.UPLOAD_ERROR] = message


def reap_closed_sessions():
    """Let Streamlit forget the sessions whose tabs closed more than its TTL ago; how many.

    Streamlit keeps a closed tab's session 120 s for a reconnect, in a TTL
    cache that drops expired sessions only when it is next asked -- when
    another tab connects.  On a server that falls quiet, the last users'
    sessions (their datasets, their uploads) would stay until then; reading the
    cache's size drops them.  Called from :mod:`ui.memory`'s trimming thread.
    """
    if not Runtime.exists():
        return 0
    storage = getattr(getattr(Runtime.instance(), "_session_mgr", None), "_session_storage", None)
    cache = getattr(storage, "_cache", None)
    expire = getattr(cache, "expire", None)
    return len(expire()) if callable(expire) else 0


def release_upload(file_id):
    """Drop the uploaded file ``file_id`` from Streamlit's store once it has been read.

    Streamlit keeps every file a session uploads until the session ends; the
    bytes the app needs are kept once, as the last upload (:func:`set_last_upload`).
    """
    ctx = get_script_run_ctx()
    manager = getattr(ctx, "uploaded_file_mgr", None)
    if manager is not None:
        manager.remove_file(ctx.session_id, file_id)


def first_sight_of_upload(file_id):
    """Whether the upload ``file_id`` is new (and mark it seen): each file is read once."""
    if st.session_state.get(keys.UPLOAD_SEEN) == file_id:
        return False
    st.session_state[keys.UPLOAD_SEEN] = file_id
    return True


def first_sight_of_project(file_id):
    """Whether the project file ``file_id`` is new (and mark it seen): each is opened once."""
    if st.session_state.get(keys.PROJECT_SEEN) == file_id:
        return False
    st.session_state[keys.PROJECT_SEEN] = file_id
    return True


def last_upload():
    """``(filename, bytes)`` of the last upload that loaded, or ``None``."""
    return st.session_state.get(keys.UPLOAD)


def set_last_upload(filename, data):
    st.session_state[keys.UPLOAD] = (filename, data)


# --- widgets ------------------------------------------------------------------------------

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


# --- the chosen model (Compare's settings, shared with Segments and Choose k) --------------

def use_on_compare(k, covariance_type):
    """Make ``k`` and ``covariance_type`` the Compare page's choice (its widgets reseed)."""
    settings = remembered(keys.COMPARE_SETTINGS)
    settings.update({keys.W_K: int(k), keys.W_COVARIANCE: str(covariance_type)})
    remember(keys.COMPARE_SETTINGS, settings)
    st.session_state[keys.CHOOSE_K_APPLIED] = (int(k), str(covariance_type))
    forget(keys.W_K, keys.W_COVARIANCE)


def compare_settings(ds):
    """The Compare page's controls as last used, its defaults where unset: the chosen GMM."""
    saved = st.session_state.get(keys.COMPARE_SETTINGS, {})
    default_k = len(ds.label_names) if ds.label_names else 3
    return {keys.W_K: int(saved.get(keys.W_K, min(max(default_k, 1), 10))),
            keys.W_COVARIANCE: str(saved.get(keys.W_COVARIANCE, "full")),
            keys.W_INIT: str(saved.get(keys.W_INIT, "kmeans")),
            keys.W_N_INIT: int(saved.get(keys.W_N_INIT, 1)),
            keys.W_SEED: int(saved.get(keys.W_SEED, 0))}


def model_key(ds):
    """What identifies the chosen model: the data's fingerprint and the Compare settings."""
    s = compare_settings(ds)
    return (ds.fingerprint, ds.scaling, s[keys.W_K], s[keys.W_COVARIANCE], s[keys.W_INIT],
            s[keys.W_N_INIT], s[keys.W_SEED])


#: At most this many models' slots are remembered for the loaded data.
MAX_REMEMBERED_MODELS = 64


def shown_comparison(ds, fitted):
    """``fitted`` (the chosen model's comparison) with its components in their shown slots.

    The first model shown on a dataset keeps its own order.  A model shown for
    the first time afterwards is matched to the one shown last
    (:func:`gmm_core.analysis.identity.match_slots`), so a segment keeps its
    colour, marker and letter when k, the covariance type, the restarts or
    the seed change; a model seen before keeps the slots it had (names typed
    for it stay on their segments).  Compare and Segments both get the model
    here, so they agree.
    """
    store = st.session_state.get(keys.SHOWN_FITS)
    if not store or store.get("fingerprint") != ds.fingerprint:
        store = {"fingerprint": ds.fingerprint, "last": None, "models": {}}
    key = model_key(ds)
    models = dict(store["models"])
    if key in models:
        order, slots = models.pop(key)
    elif store["last"] is not None:
        order, slots = identity.match_slots(fitted, *store["last"])
    else:
        order, slots = fitted.order, fitted.slots
    shown = identity.reordered(fitted, order, slots)
    models[key] = (tuple(order), tuple(slots))
    while len(models) > MAX_REMEMBERED_MODELS:
        models.pop(next(iter(models)))
    st.session_state[keys.SHOWN_FITS] = {"fingerprint": ds.fingerprint, "models": models,
                                         "last": (shown.means.copy(), tuple(shown.slots))}
    return shown


# --- slide mode (Segments) -------------------------------------------------------------------

def slide_mode():
    """Whether the Segments page shows its slides (app.py then hides the navigation)."""
    return bool(st.session_state.get(keys.SEGMENT_SLIDES, False))


def set_slide_mode(on):
    """Start the slides at the title slide, or leave them."""
    st.session_state[keys.SEGMENT_SLIDES] = bool(on)
    st.session_state[keys.SEGMENT_SLIDE] = 0


def slide_index(n_slides):
    """The slide shown, within ``0 .. n_slides - 1``."""
    return min(max(int(st.session_state.get(keys.SEGMENT_SLIDE, 0)), 0), max(n_slides - 1, 0))


def turn_slide(step, n_slides):
    """Go ``step`` slides on (negative: back), staying within the deck."""
    st.session_state[keys.SEGMENT_SLIDE] = min(max(slide_index(n_slides) + int(step), 0),
                                               max(n_slides - 1, 0))


# --- segment names ----------------------------------------------------------------------------

def segment_edits(ds):
    """``{segment index: name}`` the user typed for the chosen model (empty if none)."""
    entry = st.session_state.get(keys.SEGMENT_NAMES, {}).get(model_key(ds))
    return dict(entry["edits"]) if entry else {}


def set_segment_names(ds, edits, names):
    """Remember the user's edits and the resulting names for the chosen model."""
    store = dict(st.session_state.get(keys.SEGMENT_NAMES, {}))
    key = model_key(ds)
    if edits:
        store[key] = {"edits": dict(edits), "names": tuple(names)}
    else:
        store.pop(key, None)
    st.session_state[keys.SEGMENT_NAMES] = store


def chosen_segment_names(ds):
    """The chosen model's segment names if the user has edited any, else ``None``."""
    entry = st.session_state.get(keys.SEGMENT_NAMES, {}).get(model_key(ds))
    return list(entry["names"]) if entry else None


def segment_name_boxes(ds, auto, k):
    """Seed the Segments page's name boxes and read them: ``(widget keys, edits, names)``.

    ``auto`` are the suggested names of the ``k`` segments.  Another model than last time reseeds
    every box; an emptied box goes back to its suggestion; ``edits`` are the
    boxes that differ from it, ``names`` the names shown (made unique), both
    remembered for the model (:func:`set_segment_names`).
    """
    key = model_key(ds)
    name_keys = [f"{keys.W_SEG_NAME}{j}" for j in range(k)]
    if st.session_state.get(keys.SEGMENT_MODEL) != key:      # another model: reseed the name boxes
        for name in [n for n in st.session_state if str(n).startswith(keys.W_SEG_NAME)]:
            del st.session_state[name]
        st.session_state[keys.SEGMENT_MODEL] = key
    edits = segment_edits(ds)
    for j, wkey in enumerate(name_keys):
        seed_widget(wkey, edits.get(j, auto[j]))
        if not str(st.session_state[wkey]).strip():          # an emptied box goes back to automatic
            st.session_state[wkey] = auto[j]
    edits = {j: " ".join(str(st.session_state[w]).split()) for j, w in enumerate(name_keys)
             if " ".join(str(st.session_state[w]).split()) != auto[j]}
    names = segments.unique_names([edits.get(j, auto[j]) for j in range(k)], fallback=auto)
    set_segment_names(ds, edits, names)
    return name_keys, edits, names
