"""Memory the server gives back: glibc's allocator told to return freed pages to the system.

A long-lived Streamlit server frees a user's table when a new one replaces it
or the session ends, but glibc's ``malloc`` keeps freed pages for reuse, and
with one script thread per session (and so up to 8 arenas per core) they are
scattered and rarely reused: resident memory only ever grows.  Two measures,
both through ``ctypes`` on glibc (nothing happens elsewhere):

* :func:`tune_allocator`, once per process: a fixed ``mmap`` threshold
  (:data:`MMAP_THRESHOLD`) -- glibc's default threshold rises after every
  large free, so the next table's arrays land in the fragmented heap instead
  of their own mappings, which are returned to the system when freed -- and a
  lower trim threshold (:data:`TRIM_THRESHOLD`);
* :func:`trim` (``malloc_trim(0)``): hand the free pages of every arena back
  to the system; a daemon thread (:func:`start_trimmer`) calls it every
  :data:`TRIM_SECONDS`, so memory freed by a closed session returns too.

``GMM_MALLOC=off`` in the environment turns both off (for measuring them).
"""

import ctypes
import ctypes.util
import os
import threading

__all__ = ["MMAP_THRESHOLD", "TRIM_SECONDS", "TRIM_THRESHOLD", "start_trimmer", "trim",
           "tune_allocator"]

#: Bytes: allocations from this size on get their own mapping (returned to the system on free).
MMAP_THRESHOLD = 1 << 20
#: Bytes of free memory at the top of the heap above which glibc gives it back by itself.
TRIM_THRESHOLD = 16 << 20
#: Seconds between two trims by the background thread.
TRIM_SECONDS = float(os.environ.get("GMM_TRIM_SECONDS", "20"))
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameters (malloc.h)
_lock = threading.Lock()
_started = []


def _libc():
    if os.environ.get("GMM_MALLOC", "on").lower() == "off":
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 -- glibc only
    except (OSError, AttributeError):
        return None
    return libc


def tune_allocator():
    """Set glibc's mmap and trim thresholds; ``True`` if they were set."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def trim():
    """Return free heap pages to the system (``malloc_trim(0)``); ``True`` if any were."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


def _trim_forever(stop, seconds, before):
    while not stop.wait(seconds):
        if before is not None:
            try:
                before()
            except Exception:  # noqa: BLE001 -- the trimming must go on whatever the hook does
                pass
        trim()


def start_trimmer(seconds=TRIM_SECONDS, *, before=None):
    """Tune the allocator and start the trimming thread, once per process; returns its stop event.

    ``before``, if given, is called before each trim (app.py: let Streamlit drop
    the sessions of closed tabs, :func:`ui.session.reap_closed_sessions`).
    """
    with _lock:
        if not _started:
            stop = threading.Event()
            if tune_allocator():
                threading.Thread(target=_trim_forever, args=(stop, float(seconds), before),
                                 name="gmm-malloc-trim", daemon=True).start()
            _started.append(stop)
        return _started[0]
