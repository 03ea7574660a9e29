"""Heavy work on a shared server (issue 24, items 2 and 3): stopped when superseded, in a slot.

``ui.running.superseded`` reads what Streamlit asked of the session's run
(a fake run context stands in for it here); ``ui.running.heavy`` holds one of
``MAX_FITS`` server slots and shows ``WAITING`` while every slot is taken.
"""

import threading
import types

import pytest

from gmm_core.errors import FitInterrupted
from gmm_core.mixture import checkpoint
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
    assert running._slots.acquire(blocking=False)   # the slot was given back
    running._slots.release()


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
    taken = [running._slots.acquire(blocking=False) for _ in range(running.MAX_FITS)]
    assert all(taken)
    freed = threading.Timer(0.5, running._slots.release)
    freed.start()
    try:
        with running.heavy():
            log.append(("fit", None))
    finally:
        freed.join()
        for _ in range(running.MAX_FITS - 1):
            running._slots.release()
    assert [kind for kind, _ in log] == ["info", "empty", "fit"]
    assert log[0][1] == running.WAITING and "Waiting for a free slot" in running.WAITING


def test_a_fit_waiting_for_a_slot_gives_up_when_its_tab_closes(monkeypatch):
    log = []
    monkeypatch.setattr(running.st, "empty", lambda: _Note(log))
    monkeypatch.setattr(running, "get_script_run_ctx", lambda: _ctx("STOP"))
    taken = [running._slots.acquire(blocking=False) for _ in range(running.MAX_FITS)]
    try:
        with pytest.raises(FitInterrupted), running.heavy():
            log.append(("fit", None))
    finally:
        for _ in taken:
            running._slots.release()
    assert [kind for kind, _ in log] == ["info", "empty"]
