"""Heavy work on a shared server (issue 24, items 2 and 3): stopped when superseded, in a slot.

``ui.running.superseded`` reads what Streamlit asked of the session's run
(a fake run context stands in for it here); ``ui.running.heavy`` holds one of
``MAX_FITS`` server slots and shows ``WAITING`` while every slot is taken.
Slots go first come, first served, short fits before long runs, and a long run
lends its slot to a short fit between two of its fits (``give_way``); the fits
running share the cores (``cores // fits running`` threads a pass).
"""

import threading
import time
import types

import pytest

from gmm_core.errors import FitInterrupted
from gmm_core.mixture import _share, checkpoint, inherit_stops
from ui import running


def _ctx(state, fragments=(), scoped=False):
    data = types.SimpleNamespace(fragment_id_queue=list(fragments),
                                 is_fragment_scoped_rerun=scoped)
    requests = types.SimpleNamespace(_state=types.SimpleNamespace(name=state), _rerun_data=data)
    return types.SimpleNamespace(script_requests=requests)


@pytest.mark.parametrize("ctx, wanted", [
    (_ctx("CONTINUE"), False),
    (_ctx("STOP"), True),                       # the tab closed: Streamlit stops the run
    (_ctx("RERUN"), True),                      # the user changed a control: a newer run waits
    (_ctx("RERUN", fragments=["f"]), False),    # a fragment's timer: the run goes on
    (_ctx("RERUN", fragments=["f"], scoped=True), True),
    (None, False),                              # outside a Streamlit run
])
def test_superseded_follows_streamlits_request(monkeypatch, ctx, wanted):
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: ctx)
    assert running.superseded() is wanted


def test_a_heavy_block_stops_at_its_next_checkpoint_once_superseded(monkeypatch):
    ctx = _ctx("CONTINUE")
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: ctx)
    with pytest.raises(FitInterrupted), running.heavy():
        checkpoint()
        ctx.script_requests._state.name = "STOP"
        checkpoint()
    assert running._slots.try_take()   # the slot was given back
    running._slots.give()


def test_a_heavy_blocks_stop_reaches_the_worker_threads_it_hands_fits_to(monkeypatch):
    """Streamlit's script context belongs to the script thread; a worker thread (the
    stability bootstrap's pool) has none, so the stop check is bound to the run's context."""
    ctx, script = _ctx("CONTINUE"), threading.current_thread()
    monkeypatch.setattr(running, "get_script_run_ctx",
                        lambda: ctx if threading.current_thread() is script else None)
    outcome = []

    def work(carried):
        with carried():
            try:
                checkpoint()
            except FitInterrupted:
                outcome.append("stopped")

    with running.heavy():
        carried = inherit_stops()
        ctx.script_requests._state.name = "STOP"   # the tab closes
        worker = threading.Thread(target=work, args=(carried,))
        worker.start()
        worker.join()
        ctx.script_requests._state.name = "CONTINUE"
    assert outcome == ["stopped"]


class _Note:
    def __init__(self, log):
        self.log = log

    def info(self, text, **_):
        self.log.append(("info", text))

    def empty(self):
        self.log.append(("empty", None))


def test_a_fit_waits_for_a_free_slot_and_says_so(monkeypatch):
    log = []
    monkeypatch.setattr(running.st, "empty", lambda: _Note(log))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)
    taken = [running._slots.try_take() for _ in range(running.MAX_FITS)]
    assert all(taken)
    freed = threading.Timer(0.5, running._slots.give)
    freed.start()
    try:
        with running.heavy():
            log.append(("fit", None))
    finally:
        freed.join()
        for _ in range(running.MAX_FITS - 1):
            running._slots.give()
    assert [kind for kind, _ in log] == ["info", "empty", "fit"]
    assert log[0][1] == running.WAITING and "Waiting for a free slot" in running.WAITING


def test_a_fit_waiting_for_a_slot_gives_up_when_its_tab_closes(monkeypatch):
    log = []
    monkeypatch.setattr(running.st, "empty", lambda: _Note(log))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: _ctx("STOP"))
    taken = [running._slots.try_take() for _ in range(running.MAX_FITS)]
    try:
        with pytest.raises(FitInterrupted), running.heavy():
            log.append(("fit", None))
    finally:
        for _ in taken:
            running._slots.give()
    assert [kind for kind, _ in log] == ["info", "empty"]


# --- the order of the queue, and the share of the cores ------------------------------------

def _queue_up(slots, places, log):
    """One thread per place, started in order; each takes a slot, logs, and gives it back."""
    def fit(place):
        slots.take(place)
        log.append(place)
        slots.give()

    threads = []
    for place in places:
        threads.append(threading.Thread(target=fit, args=(place,)))
        threads[-1].start()
        time.sleep(0.05)            # queued one after the other
    return threads


def test_slots_go_first_come_first_served_and_short_fits_first():
    slots = running._Slots(1)
    assert slots.try_take()
    log = []
    places = [(True, 1), (False, 2), (True, 3), (False, 4)]   # (long, ticket)
    threads = _queue_up(slots, places, log)
    assert not slots.try_take()     # every slot taken, and others wait before this one
    slots.give()
    for t in threads:
        t.join(5)
    assert log == [(False, 2), (False, 4), (True, 1), (True, 3)]
    assert slots.held == 0


def test_a_long_run_lends_its_slot_to_a_short_fit_between_two_fits(monkeypatch):
    log = []
    monkeypatch.setattr(running, "_slots", running._Slots(1))
    monkeypatch.setattr(running.st, "empty", lambda: _Note([]))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)
    started = threading.Event()

    def short_fit():
        started.wait(5)
        with running.heavy():
            log.append("short")

    other = threading.Thread(target=short_fit)
    other.start()
    with running.heavy(long=True):
        log.append("long, fit 1")
        running.give_way()          # nobody waits: goes straight on
        log.append("long, fit 2")
        started.set()
        while not running._slots.short_waiting():
            time.sleep(0.01)
        running.give_way()          # the short fit runs in between
        log.append("long, fit 3")
    other.join(5)
    assert log == ["long, fit 1", "long, fit 2", "short", "long, fit 3"]
    assert running._slots.held == 0


def test_a_short_fit_never_gives_way(monkeypatch):
    monkeypatch.setattr(running, "_slots", running._Slots(1))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)
    with running.heavy():
        running._slots._waiting.append((False, -1))     # someone waits
        running.give_way()
        assert running._slots.held == 1
        running._slots._waiting.clear()


def test_the_fits_running_share_the_cores(monkeypatch):
    monkeypatch.setattr(running, "_slots", running._Slots(4))
    monkeypatch.setattr(running, "CORES", 8)
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)
    assert _share.threads(8) == 8                   # no fit of this thread: every core
    with running.heavy():
        assert _share.threads(8) == 8               # the only fit
        assert running._slots.try_take()            # a second fit starts elsewhere
        assert _share.threads(8) == 4
        running._slots.give()
        assert _share.threads(8) == 8
    assert _share.threads(8) == 8


def test_a_fits_openmp_threads_follow_its_share_on_its_own_thread(monkeypatch):
    """scikit-learn's KMeans (OpenMP) in a fit runs on the fit's share, and only in its thread."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    libraries = running._libraries()
    if libraries is None or not libraries.select(user_api="openmp").lib_controllers:
        pytest.skip("no OpenMP runtime loaded")
    monkeypatch.setattr(running, "_slots", running._Slots(2))
    monkeypatch.setattr(running, "CORES", 2)
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)

    def openmp():
        return {i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "openmp"}

    seen, default = {}, openmp()
    assert running._slots.try_take()            # another user's fit holds a slot
    try:
        with running.heavy():
            seen["fit"] = openmp()
            other = threading.Thread(target=lambda: seen.update(other=openmp()))
            other.start()
            other.join()
    finally:
        running._slots.give()
    assert seen["fit"] == {1}                   # two fits on two cores: one thread each
    assert seen["other"] == default             # another thread keeps its own count
    assert openmp() == default                  # and so does this one, after the fit


def test_a_long_run_pauses_at_its_next_pass_while_a_short_fit_runs(monkeypatch):
    log = []
    monkeypatch.setattr(running, "_slots", running._Slots(2))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: None)
    started, active = threading.Event(), []

    def short_fit():
        with running.heavy():
            log.append("short starts")
            started.set()
            time.sleep(0.3)
            active.append(running._slots.active)    # the paused long run counts as idle
            log.append("short ends")

    with running.heavy(long=True):
        checkpoint()                                # nobody else: goes straight on
        other = threading.Thread(target=short_fit)
        other.start()
        started.wait(5)
        checkpoint()                                # the next pass waits for the short fit
        log.append("long goes on")
    other.join(5)
    assert log == ["short starts", "short ends", "long goes on"]
    assert active == [1]
