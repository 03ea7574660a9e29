"""Work that survives a reload: the session's state, kept on the server under an id in the URL.

A browser reload (F5) starts a new Streamlit session with an empty
``st.session_state``.  So that the user's work is still there, every run ends
by keeping a :func:`snapshot` of it -- the data's recipe (a demo's name and
parameters, or an upload's file name, missing-value rule *and bytes*), the
choices made on it (features, scaling, known labels, the noun), each page's
settings, the chosen model and the segment names -- in :func:`store`, under a
random id that :func:`mark_url` puts in the URL (``?p=...``, :data:`QUERY`).  A new
session whose URL carries a known id gets that state back (:func:`restore`; an
upload is read again through :func:`ui.dataset.load_upload`); an unknown or
expired id gets a plain message and a fresh start.  The same snapshots are
written to disk (:func:`disk`, :class:`ui.disk.DiskStore`), so that a session
whose server was restarted gets its work back on its next run, with a plain
message that says so (:data:`RESTORED`).

:class:`BoundedStore` keeps at most :data:`MAX_ENTRIES` snapshots and
:data:`MAX_BYTES` of uploads, each for :data:`TTL` seconds after its last use,
dropping the least recently used first; the disk copy has the same limits
(the project file, :mod:`gmm_core.outputs.project`, is for keeping work
longer).  The id is 128 random bits, so one user cannot guess another's.
"""

import copy
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import replace

import streamlit as st

from gmm_core.outputs import project
from ui import cache, dataset, keys, session
from ui import disk as disk_store

#: The URL parameter that carries the id of the saved work.
QUERY = "p"
#: Saved work is kept this long after it was last used, in seconds (one day).
TTL = 24 * 3600
#: At most this many sessions' work is kept; the least recently used goes first.
MAX_ENTRIES = 64
#: At most this many bytes of uploads are kept in all: saved work's share of the cache budget.
MAX_BYTES = cache.budget("saved_work")
#: The data keys (:mod:`ui.keys`) that hold the user's work, kept as they are.
DATA_KEYS = (keys.COMPARE_SETTINGS, keys.EM_SETTINGS, keys.CHOOSE_K_SETTINGS,
             keys.CHOOSE_K_APPLIED, keys.SEGMENT_UNUSUAL, keys.SEGMENT_NAMES, keys.SHOWN_FITS,
             keys.SEGMENT_SLIDES, keys.SEGMENT_SLIDE)
#: The view widgets (which 2-D view, which axes) whose state is kept too.
VIEW_WIDGETS = (keys.W_VIEW, keys.W_AXIS_X, keys.W_AXIS_Y, keys.W_REGIONS, keys.W_GMM_SHADE,
                keys.W_DISAGREE, keys.W_LEVELS, keys.W_EM_VIEW, keys.W_EM_AXIS_X,
                keys.W_EM_AXIS_Y, keys.W_CK_CRITERION, keys.W_SEG_VIEW, keys.W_SEG_AXIS_X,
                keys.W_SEG_AXIS_Y, keys.W_SEG_SKIP_FILLED)
#: The pages' setting widgets: forgotten when a project opens, so they show its settings.
PAGE_WIDGETS = (keys.W_K, keys.W_COVARIANCE, keys.W_INIT, keys.W_N_INIT, keys.W_SEED,
                keys.W_EM_K, keys.W_EM_COVARIANCE, keys.W_EM_INIT, keys.W_EM_SEED, keys.W_EM_STEP,
                keys.W_CK_KMAX, keys.W_CK_TYPES, keys.W_CK_N_INIT, keys.W_CK_SEED,
                keys.W_SEG_UNUSUAL)
EXPIRED = ("The work saved under this link has expired or was never kept on this server "
           "(work is kept for a day after it was last used). The demo is loaded instead; open a "
           "saved project file to get your work back.")
RESTORED = ("The app's server was restarted since this page last reached it. Your work has been "
            "restored as it was last saved: the data, its settings and the segment names. A "
            "change made in the moments before the restart may need making again.")


class BoundedStore:
    """A thread-safe LRU store with a count limit, a byte limit and an expiry.

    >>> store = BoundedStore(max_entries=2, max_bytes=100, ttl=60, clock=lambda: 0.0)
    >>> store.put("a", {"x": 1}, size=10); store.put("b", {"x": 2}, size=10)
    >>> store.put("c", {"x": 3}, size=10)          # over the count: the oldest goes
    >>> store.get("a"), store.get("c")
    (None, {'x': 3})
    >>> store.put("big", {}, size=101)              # alone over the byte limit: not kept
    >>> store.get("big") is None
    True
    """

    def __init__(self, *, max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES, ttl=TTL,
                 clock=time.monotonic):
        self.max_entries, self.max_bytes, self.ttl = int(max_entries), int(max_bytes), float(ttl)
        self._clock = clock
        self._items = OrderedDict()   # id -> (last used, size, value)
        self._lock = threading.Lock()

    def _expire(self, now):
        for sid in [s for s, (used, _, _) in self._items.items() if now - used > self.ttl]:
            del self._items[sid]

    def put(self, sid, value, *, size=0):
        """Keep ``value`` under ``sid`` (``size``: its bytes); evict what is over the limits."""
        with self._lock:
            now = self._clock()
            self._items.pop(sid, None)
            if size > self.max_bytes:
                return
            self._expire(now)
            self._items[sid] = (now, int(size), value)
            total = sum(s for _, s, _ in self._items.values())
            while len(self._items) > self.max_entries or total > self.max_bytes:
                _, (_, size_out, _) = self._items.popitem(last=False)
                total -= size_out

    def get(self, sid):
        """The value under ``sid`` (now the most recently used), ``None`` if unknown or expired."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            item = self._items.pop(sid, None)
            if item is None:
                return None
            self._items[sid] = (now, item[1], item[2])
            return item[2]

    def __len__(self):
        return len(self._items)


@st.cache_resource(show_spinner=False, max_entries=1)
def store():
    """The server's saved work, one :class:`BoundedStore` shared by every session.

    Held by ``st.cache_resource`` rather than a module global: Streamlit may
    import the app's modules afresh (a changed source file), and the store must
    outlive that.
    """
    return BoundedStore()


@st.cache_resource(show_spinner=False, max_entries=1)
def disk():
    """The saved work on disk (``GMM_SAVED_DIR``), for a session that outlives its server."""
    return disk_store.DiskStore(os.environ.get("GMM_SAVED_DIR") or disk_store.DEFAULT_DIR,
                                max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES, ttl=TTL)


# --- the state ------------------------------------------------------------------------------------

def snapshot():
    """The session's work as a plain dict (an upload's bytes under ``"upload_bytes"``)."""
    ds = session.get_dataset()
    state = {
        "data": dict(ds.recipe),
        "choices": {"features": list(ds.features), "scaling": ds.scaling,
                    "label": ds.label_column},
        "noun": session.noun(ds),
        "data_keys": copy.deepcopy({k: st.session_state[k] for k in DATA_KEYS
                                    if k in st.session_state}),
        "views": {k: st.session_state[k] for k in VIEW_WIDGETS if k in st.session_state},
    }
    upload = session.last_upload()
    if ds.recipe.get("kind") == "upload" and upload is not None:
        state["upload_bytes"] = upload[1]
    return state


def rebuild(state):
    """The :class:`ui.dataset.Dataset` that ``state`` describes, its choices applied.

    Raises ``ValueError`` (incl. :class:`gmm_core.DataError`) when it cannot be built.
    """
    data = state["data"]
    kind = data.get("kind")
    if kind == "demo":
        if data.get("name") not in dataset.demo_names():
            raise ValueError(f"There is no demo called {data.get('name')!r}.")
        ds = dataset.load_demo(data["name"])
    elif kind == "blobs":
        ds = dataset.load_blobs(**{k: data[k] for k in (
            "n_components", "n_samples", "elongation", "rotation", "separation",
            "random_state")})
    elif kind == "upload":
        ds = dataset.load_upload(state["upload_bytes"], data["filename"],
                                 missing=data.get("missing", "drop"))
    else:
        raise ValueError(f"Unknown kind of data {kind!r}: expected demo, blobs or upload.")
    choices = state.get("choices", {})
    label = choices.get("label")
    if label and label in ds.label_options:
        ds = dataset.with_label(ds, label)
    features = tuple(f for f in choices.get("features", ()) if f in ds.frame.columns
                     and f != ds.label_column)
    scaling = choices.get("scaling", ds.scaling)
    return replace(ds, features=features or ds.features,
                   scaling=scaling if scaling in dataset.SCALINGS else ds.scaling)


def restore(state, ds=None):
    """Make ``state`` (from :func:`snapshot`) the session's work; ``ds``: its data, if built."""
    ds = ds if ds is not None else rebuild(state)
    session.forget(*DATA_KEYS, *VIEW_WIDGETS, *PAGE_WIDGETS)   # their widgets reseed from it
    session.set_dataset(ds)
    if ds.recipe.get("kind") == "upload":
        session.set_last_upload(ds.recipe["filename"], state["upload_bytes"])
    session.set_upload_error(None)
    session.set_noun(state.get("noun"), ds)
    for k, v in state.get("data_keys", {}).items():
        if k in DATA_KEYS:
            st.session_state[k] = v
    for k, v in state.get("views", {}).items():
        if k in VIEW_WIDGETS:
            st.session_state[k] = v
    return ds


# --- the link -------------------------------------------------------------------------------------

def attach():
    """At the start of each run: in a new session, restore the work of the URL's id.

    Returns a message for the user when the URL's id is unknown (an expired
    link: :data:`EXPIRED`) or was found only on disk (the server restarted:
    :data:`RESTORED`), else ``None``.  :func:`mark_url` then puts the session's id in the URL.
    """
    if st.session_state.get(keys.SAVED_ID) is not None:
        return None
    asked = st.query_params.get(QUERY)                    # a new session: a reload or a new tab
    state = store().get(asked) if asked else None
    sid, message = None, None
    if state is None and asked:                           # not in this server's memory: restarted?
        state = disk().get(asked)
        message = RESTORED if state is not None else None
    if state is not None:
        try:
            restore(state)
            sid = asked
        except ValueError:                                # e.g. a demo of an older version
            message = EXPIRED
    elif asked:
        message = EXPIRED
    st.session_state[keys.SAVED_ID] = sid or secrets.token_urlsafe(16)
    return message


def mark_url():
    """Put the session's id in the URL, on every run.

    app.py calls it twice on every run, after ``st.navigation`` and at the end:
    when the browser first draws a page it rewrites the address from the query
    string it knew before the run (dropping a parameter set early in that run),
    and after ``st.stop()`` a message sent at the end is not delivered.
    """
    sid = st.session_state.get(keys.SAVED_ID)
    if sid is not None:
        st.query_params[QUERY] = sid


def keep():
    """At the end of each run: keep the session's work under its id (no Streamlit output)."""
    sid = st.session_state.get(keys.SAVED_ID)
    if sid is None or keys.DATASET not in st.session_state:
        return
    state = snapshot()
    store().put(sid, state, size=len(state.get("upload_bytes", b"")) + 4096)
    disk().put(sid, state)   # writes only what changed


# --- the project file (gmm_core.outputs.project) --------------------------------------------------

def project_parts(model=None):
    """The session's work as the keyword arguments of :func:`gmm_core.outputs.project.project_json`.

    ``model``: the chosen model (:class:`gmm_core.outputs.model_file.SegmentModel`), if fitted.
    Cheap: the page hands these to a deferred download, which writes the JSON on click.
    """
    ds = session.get_dataset()
    views = {k: v for k, v in st.session_state.items()
             if k in VIEW_WIDGETS and isinstance(v, (str, bool))}
    choose_k = dict(session.remembered(keys.CHOOSE_K_SETTINGS))
    if keys.W_CK_CRITERION in st.session_state:
        choose_k[keys.W_CK_CRITERION] = str(st.session_state[keys.W_CK_CRITERION])
    settings = {"compare": session.compare_settings(ds),
                "segments": {"unusual": float(session.value(keys.SEGMENT_UNUSUAL, 1.0))},
                "views": views}
    if session.remembered(keys.EM_SETTINGS):
        settings["em"] = session.remembered(keys.EM_SETTINGS)
    if choose_k:
        settings["choose_k"] = choose_k
    key = session.model_key(ds)
    edits = session.segment_edits(ds)
    names = {"edits": {str(j): n for j, n in edits.items()},
             "shown": list(session.chosen_segment_names(ds) or [])}
    shown = (st.session_state.get(keys.SHOWN_FITS) or {}).get("models", {}).get(key)
    if shown is not None:
        names["order"], names["slots"] = [int(i) for i in shown[0]], [int(i) for i in shown[1]]
    upload = session.last_upload()
    table = upload[1] if ds.recipe.get("kind") == "upload" and upload is not None else None
    return {"data": dict(ds.recipe), "table": table, "noun": session.noun(ds),
            "choices": {"features": list(ds.features), "scaling": ds.scaling,
                        "label": ds.label_column},
            "settings": settings, "names": names, "model": model}


def open_project(data):
    """Make the project file ``data`` (bytes) the session's work.

    Raises ``ValueError`` -- :class:`gmm_core.outputs.project.ProjectFileError`
    for a file that is not a usable project, :class:`gmm_core.DataError` for a
    table that cannot be read, and a plain ``ValueError`` when the model and
    the table do not belong together -- with a message for the user.
    """
    p = project.load_project(data)
    state = {"data": p.data, "upload_bytes": p.table, "choices": p.choices, "noun": p.noun}
    ds = rebuild(state)
    default_k = min(max(len(ds.label_names), 1), 10) if ds.label_names else 3
    problem = project.mismatch(p, list(ds.frame.columns), list(ds.features),
                               p.settings.get("compare", {}).get(keys.W_K, default_k))
    if problem:
        raise ValueError(problem)
    choose_k = dict(p.settings.get("choose_k", {}))
    views = dict(p.settings.get("views", {}))
    if keys.W_CK_CRITERION in choose_k:
        views[keys.W_CK_CRITERION] = choose_k.pop(keys.W_CK_CRITERION)
    state["data_keys"] = {k: v for k, v in (
        (keys.COMPARE_SETTINGS, p.settings.get("compare")),
        (keys.EM_SETTINGS, p.settings.get("em")),
        (keys.CHOOSE_K_SETTINGS, choose_k or None),
        (keys.SEGMENT_UNUSUAL, p.settings.get("segments", {}).get("unusual"))) if v is not None}
    state["views"] = views
    restore(state, ds)
    key = session.model_key(ds)
    if p.names["order"]:
        st.session_state[keys.SHOWN_FITS] = {
            "fingerprint": ds.fingerprint, "last": None,
            "models": {key: (tuple(p.names["order"]), tuple(p.names["slots"]))}}
    if p.names["edits"]:
        shown = p.names["shown"] or (list(p.model.segment_names) if p.model else [])
        session.set_segment_names(ds, p.names["edits"], tuple(shown))
    return ds
