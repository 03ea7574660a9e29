"""Work that survives a reload: the session's state, kept on the server under an id in the URL.

A browser reload (F5) starts a new Streamlit session with an empty
``st.session_state``.  So that the user's work is still there, every run ends
by keeping a :func:`snapshot` of it -- the data's recipe (a demo's name and
parameters, or an upload's file name, missing-value rule *and bytes*), the
choices made on it (features, scaling, known labels, the noun), each page's
settings, the chosen model and the segment names -- in :func:`store`, under a
random id that :func:`attach` puts in the URL (``?p=...``, :data:`QUERY`).  A new
session whose URL carries a known id gets that state back (:func:`restore`; an
upload is read again through :func:`ui.dataset.load_upload`); an unknown or
expired id gets a plain message and a fresh start.

:class:`BoundedStore` keeps at most :data:`MAX_ENTRIES` snapshots and
:data:`MAX_BYTES` of uploads, each for :data:`TTL` seconds after its last use,
dropping the least recently used first.  It lives in this server process: a
restarted server has forgotten every link (the project file,
:mod:`ui.project`, is for keeping work longer).  The id is 128 random bits, so
one user cannot guess another's.
"""

import copy
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import replace

import streamlit as st

from ui import dataset, keys, session

#: The URL parameter that carries the id of the saved work.
QUERY = "p"
#: Saved work is kept this long after it was last used, in seconds (one day).
TTL = 24 * 3600
#: At most this many sessions' work is kept; the least recently used goes first.
MAX_ENTRIES = 64
#: At most this many bytes of uploads are kept in all.
MAX_BYTES = 512 * 1024 * 1024
#: The data keys (:mod:`ui.keys`) that hold the user's work, kept as they are.
DATA_KEYS = (keys.COMPARE_SETTINGS, keys.EM_SETTINGS, keys.CHOOSE_K_SETTINGS,
             keys.CHOOSE_K_APPLIED, keys.SEGMENT_UNUSUAL, keys.SEGMENT_NAMES, keys.SHOWN_FITS,
             keys.SEGMENT_SLIDES, keys.SEGMENT_SLIDE)
#: The view widgets (which 2-D view, which axes) whose state is kept too.
VIEW_WIDGETS = (keys.W_VIEW, keys.W_AXIS_X, keys.W_AXIS_Y, keys.W_REGIONS, keys.W_GMM_SHADE,
                keys.W_DISAGREE, keys.W_LEVELS, keys.W_EM_VIEW, keys.W_EM_AXIS_X,
                keys.W_EM_AXIS_Y, keys.W_CK_CRITERION, keys.W_SEG_VIEW, keys.W_SEG_AXIS_X,
                keys.W_SEG_AXIS_Y, keys.W_SEG_SKIP_FILLED)
EXPIRED = ("The work saved under this link has expired or was never kept on this server "
           "(work is kept for a day after it was last used, and not across a restart). The demo "
           "is loaded instead; open a saved project file to get your work back.")


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


@st.cache_resource(show_spinner=False)
def store():
    """The server's saved work, one :class:`BoundedStore` shared by every session.

    Held by ``st.cache_resource`` rather than a module global: Streamlit may
    import the app's modules afresh (a changed source file), and the store must
    outlive that.
    """
    return BoundedStore()


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


# --- the link ---------------------------------------------------------------------------------------

def attach():
    """At the start of each run: restore the work of the URL's id in a new session; keep the id.

    Returns a message for the user when the URL's id is unknown (an expired
    link), else ``None``.
    """
    sid = st.session_state.get(keys.SAVED_ID)
    message = None
    if sid is None:                                       # a new session: a reload or a new tab
        asked = st.query_params.get(QUERY)
        state = store().get(asked) if asked else None
        if state is not None:
            try:
                restore(state)
                sid = asked
            except ValueError:                            # e.g. a demo of an older version
                message = EXPIRED
        elif asked:
            message = EXPIRED
        sid = sid or secrets.token_urlsafe(16)
        st.session_state[keys.SAVED_ID] = sid
    if st.query_params.get(QUERY) != sid:                # a page switch drops the parameter
        st.query_params[QUERY] = sid
    return message


def keep():
    """At the end of each run: keep the session's work under its id (no Streamlit output)."""
    sid = st.session_state.get(keys.SAVED_ID)
    if sid is None or keys.DATASET not in st.session_state:
        return
    state = snapshot()
    store().put(sid, state, size=len(state.get("upload_bytes", b"")) + 4096)
