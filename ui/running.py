"""Heavy work on a shared server: stopped when nobody waits for it, and a fair share of the cores.

Every fit the pages start runs in the session's script thread, inside a
cached function of :mod:`ui.cache`.  Three rules keep many users on one server
working:

* **nobody waits, nothing runs** -- the fit runs under
  :func:`gmm_core.mixture.stop_when` with :func:`superseded`, which is true
  once Streamlit has asked this session's run to stop (its tab closed: the
  server asks at once) or to make way for a newer run of the same session (the
  user changed a control).  EM and KMeans look between two passes, so the fit
  ends within a pass and frees its core; the newer run starts at once.  A
  session therefore runs one fit at a time: its newest.
* **a slot for every fit, first come first served** -- at most
  :data:`MAX_FITS` fits run at once on the server (``GMM_MAX_FITS``, default
  the number of cores); a fit that finds every slot taken shows
  :data:`WAITING` and queues, and slots are handed out in the order the fits
  asked for them.  Cached results (another user's identical fit, a page seen
  before) need no slot at all.  The fits that hold a slot share the cores:
  each pass of EM runs on ``cores // fits running`` threads
  (:func:`gmm_core.mixture.thread_share`), so the server never starts more
  threads than it has cores.
* **short work never waits behind long work** -- a long run of many fits (the
  Choose k sweep) is ``heavy(long=True)`` and calls :func:`give_way` between
  two of its fits: when a short fit (Compare, Segments, EM) waits for a slot,
  the long run lends it its slot for that fit and then goes on, ahead of any
  long run that came after it.  And while a short fit runs, every long run
  pauses at its next pass over the rows (it keeps its slot), leaving the cores
  and the interpreter's lock to the short fit.  So a user's Compare waits for
  one fit of another user's sweep, not for the whole sweep, and runs at the
  speed it has alone; the sweeps still finish in the order they started.
"""

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Iterator

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gmm_core.mixture import checkpoint, stop_when, thread_share

__all__ = ["MAX_FITS", "WAITING", "give_way", "heavy", "one_blas_thread", "superseded"]

#: Cores the fits share.
CORES = max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1, 1)
#: At most this many heavy fits run at once on the server.
MAX_FITS = max(int(os.environ.get("GMM_MAX_FITS", CORES)), 1)
#: What a user whose fit waits for a slot sees.
WAITING = (f"The server is busy: all {MAX_FITS} fitting slots are in use by other users. "
           "Waiting for a free slot… (your fit starts by itself)")
#: Seconds between two looks at a run's stop request while it waits for a slot.
POLL_S = 0.25
#: Seconds between two looks of a paused long run at the short fits it makes way for.
PAUSE_S = 0.02


class _Slots:
    """``n`` slots handed out in order of priority: short work first, then by arrival.

    A waiter's place is ``(long, ticket)``: every short fit goes before every
    long run, and among each kind the earlier ticket goes first.  A long run
    that lends its slot keeps its ticket, so it comes back before later ones.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._lock = threading.Condition()
        self._held = 0
        self._short = 0        # slots held by short fits
        self._paused = 0       # long runs holding a slot, paused while a short fit runs
        self._waiting: list[tuple[bool, int]] = []
        self._tickets = itertools.count()

    @property
    def held(self) -> int:
        """Slots in use now."""
        return self._held

    @property
    def active(self) -> int:
        """Slots whose fit is running now (not paused)."""
        return self._held - self._paused

    def ticket(self) -> int:
        return next(self._tickets)

    def take(self, place: tuple[bool, int], *, on_wait=None) -> None:
        """Take a slot for ``place``, waiting for its turn; ``on_wait()`` if it has to wait.

        While waiting, :func:`gmm_core.mixture.checkpoint` is called every
        :data:`POLL_S` seconds: a run that is no longer wanted leaves the queue.
        """
        if self.try_take(place):
            return
        with self._lock:
            self._waiting.append(place)
            self._waiting.sort()
        if on_wait is not None:
            on_wait()
        try:
            while True:
                with self._lock:
                    if self._held < self.n and self._waiting[0] == place:
                        self._waiting.pop(0)
                        self._held += 1
                        self._short += not place[0]
                        self._lock.notify_all()
                        return
                    self._lock.wait(POLL_S)
                checkpoint()
        except BaseException:
            with self._lock:
                if place in self._waiting:
                    self._waiting.remove(place)
                self._lock.notify_all()
            raise

    def try_take(self, place: tuple[bool, int] = (False, -1)) -> bool:
        """Take a slot if one is free and nobody waits; whether it was taken."""
        with self._lock:
            if self._held < self.n and not self._waiting:
                self._held += 1
                self._short += not place[0]
                return True
            return False

    def give(self, place: tuple[bool, int] = (False, -1)) -> None:
        """Free the slot ``place`` held."""
        with self._lock:
            self._held -= 1
            self._short -= not place[0]
            self._lock.notify_all()

    def short_running(self) -> bool:
        """Whether a short fit holds a slot."""
        return self._short > 0

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """A long run pauses within: its slot counts as held, its threads as idle."""
        with self._lock:
            self._paused += 1
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1

    def short_waiting(self) -> bool:
        """Whether a short fit waits for a slot."""
        with self._lock:
            return bool(self._waiting) and not self._waiting[0][0]


_slots = _Slots(MAX_FITS)
_local = threading.local()


def _share() -> int:
    """Threads for each pass of a running fit: the cores split among the fits running."""
    return max(1, CORES // max(1, _slots.active))


def _libraries():
    """threadpoolctl's view of the thread pools loaded (BLAS, OpenMP), made once; or None."""
    if "controller" not in _LIBRARIES:
        try:
            import sklearn.cluster  # noqa: F401 -- loads its OpenMP runtime, for the view to see
            from threadpoolctl import ThreadpoolController
            _LIBRARIES["controller"] = ThreadpoolController()
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            _LIBRARIES["controller"] = None
    return _LIBRARIES["controller"]


_LIBRARIES = {}


def one_blas_thread() -> None:
    """BLAS runs one thread a call, for the whole server (app.py calls it at every run).

    The fits' parallelism is their own threads (a share of the cores each); a
    BLAS call that starts threads of its own beside them takes cores another
    user's fit holds, and OpenBLAS's threads spin while they wait for work.
    """
    libraries = _libraries()
    if libraries is not None:   # again at every run: cheap, and mends a limit another restored
        _LIBRARIES["blas"] = libraries.limit(limits=1, user_api="blas")   # kept: never restored


def _openmp_share():
    """OpenMP (scikit-learn's KMeans) on this fit's share of the cores, for this thread only.

    OpenMP's thread count is per calling thread, so one fit's limit is no other's.
    """
    libraries = _libraries()
    if libraries is None:
        return contextlib.nullcontext()
    return libraries.limit(limits=_share(), user_api="openmp")


def superseded(ctx: object | None = None) -> bool:
    """Whether this run's result is no longer wanted: its session stops or has a newer run.

    ``ctx``: the run's script context (default: this thread's -- a worker
    thread has none, so :func:`heavy` binds the script thread's).  A rerun that
    only refreshes a fragment (the EM page's timer) does not count: Streamlit
    lets the current run finish for it.
    """
    requests = getattr(ctx or get_script_run_ctx(), "script_requests", None)
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
def heavy(*, long: bool = False) -> Iterator[None]:
    """Run the block as heavy work: in a server slot, stopped when :func:`superseded`.

    ``long=True``: a run of many fits that calls :func:`give_way` between them.
    Raises :class:`gmm_core.errors.FitInterrupted` (from the block, or while
    waiting for a slot) when the run is superseded.
    """
    place = (long, _slots.ticket())
    ctx = get_script_run_ctx()  # bound here: a fit's worker threads (stability) ask it too
    with stop_when(lambda: superseded(ctx)):
        note = None

        def show_waiting():
            nonlocal note
            note = st.empty()
            note.info(WAITING, icon=":material/hourglass_top:")

        try:
            _slots.take(place, on_wait=show_waiting)
        finally:
            if note is not None:
                note.empty()
        before = getattr(_local, "run", None)
        run = _local.run = {"place": place, "holding": True}
        try:
            with thread_share(_share), _openmp_share(), \
                    stop_when(_wait_for_short_fits) if long else contextlib.nullcontext():
                yield
        finally:
            _local.run = before
            if run["holding"]:
                _slots.give(place)


def give_way() -> None:
    """Between two fits of a long run: lend this run's slot to a short fit that waits, if any.

    Returns once this run holds a slot again (at once when no short fit waits).
    Raises :class:`gmm_core.errors.FitInterrupted` when the run is superseded
    meanwhile.  Outside :func:`heavy` it does nothing.
    """
    run = getattr(_local, "run", None)
    if run is None or not run["place"][0] or not _slots.short_waiting():
        return
    run["holding"] = False
    _slots.give(run["place"])
    _slots.take(run["place"])
    run["holding"] = True


def _wait_for_short_fits() -> bool:
    """A long run's check between two passes of EM or KMeans: pause while a short fit runs.

    The long run keeps its slot but leaves the cores (and the interpreter's
    lock) to the short fit; it goes on when no short fit holds a slot, and
    stops (True) if it is superseded meanwhile.
    """
    if not _slots.short_running():
        return False
    run = getattr(_local, "run", None)
    holding = run is not None and run["holding"]    # not while it lent its slot (give_way)
    with _slots.paused() if holding else contextlib.nullcontext():
        while _slots.short_running():
            if superseded():
                return True
            time.sleep(PAUSE_S)
    return False
