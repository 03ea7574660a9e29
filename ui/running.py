"""Heavy work on a shared server: stopped when nobody waits for it, and a fair share of the cores.

Every fit the pages start runs in the session's script thread, inside a
cached function of :mod:`ui.cache`.  Two rules keep many users on one server
working:

* **nobody waits, nothing runs** -- the fit runs under
  :func:`gmm_core.mixture.stop_when` with :func:`superseded`, which is true
  once Streamlit has asked this session's run to stop (its tab closed: the
  server asks at once) or to make way for a newer run of the same session (the
  user changed a control).  EM and KMeans look between two passes, so the fit
  ends within a pass and frees its core; the newer run starts at once.  A
  session therefore runs one fit at a time: its newest.
* **a slot for every fit** -- at most :data:`MAX_FITS` fits run at once on the
  server (``GMM_MAX_FITS``, default the number of cores); a fit that finds
  every slot taken shows :data:`WAITING` until one is free, and cached results
  (another user's identical fit, a page seen before) need no slot at all.
"""

import contextlib
import os
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gmm_core.mixture import checkpoint, stop_when

__all__ = ["MAX_FITS", "WAITING", "heavy", "superseded"]

#: At most this many heavy fits run at once on the server.
MAX_FITS = max(int(os.environ.get("GMM_MAX_FITS", os.cpu_count() or 2)), 1)
#: What a user whose fit waits for a slot sees.
WAITING = (f"The server is busy: all {MAX_FITS} fitting slots are in use by other users. "
           "Waiting for a free slot… (your fit starts by itself)")
_slots = threading.BoundedSemaphore(MAX_FITS)


def superseded():
    """Whether this run's result is no longer wanted: its session stops or has a newer run.

    A rerun that only refreshes a fragment (the EM page's timer) does not count:
    Streamlit lets the current run finish for it.
    """
    requests = getattr(get_script_run_ctx(), "script_requests", None)
    state = getattr(requests, "_state", None)
    name = getattr(state, "name", None)
    if name == "STOP":
        return True
    if name == "RERUN":
        data = getattr(requests, "_rerun_data", None)
        return not (getattr(data, "fragment_id_queue", None)
                    and not getattr(data, "is_fragment_scoped_rerun", False))
    return False


@contextlib.contextmanager
def heavy():
    """Run the block as one heavy fit: in a server slot, stopped when :func:`superseded`.

    Raises :class:`gmm_core.errors.FitInterrupted` (from the block, or while
    waiting for a slot) when the run is superseded.
    """
    with stop_when(superseded):
        if not _slots.acquire(blocking=False):
            note = st.empty()
            note.info(WAITING, icon=":material/hourglass_top:")
            try:
                while not _slots.acquire(timeout=0.25):
                    checkpoint()
            finally:
                note.empty()
        try:
            yield
        finally:
            _slots.release()
