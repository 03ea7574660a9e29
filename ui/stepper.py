"""The EM page's one step control: Back, Play/Pause, Forward, the slider and chart clicks.

**One control, one state.**  The current step lives in one place, the data
key :data:`ui.keys.EM_STEP`; the chart, the likelihood marker, the heatmap and
the formulas are all drawn from it in the same script run, so they cannot
disagree.  Play does not hand the step to the browser (plotly's own frames and
slider would be a second, unsynchronised "current step"): it sets
:data:`ui.keys.EM_PLAYING`, and the page's step panel is an ``st.fragment``
with ``run_every`` set while playing, so Streamlit reruns only that panel every
:data:`PLAY_SECONDS` and :func:`tick` moves the one step forward.  Pausing
leaves the step where it is -- it was the page's step all along.  Back,
Forward and the slider pause.

**The slider is replaced, never moved.**  Every rerun request of the browser
carries the values its widgets show, and a timer rerun can leave before the
browser has drawn the last step: a slider the server moves would report the
step before and send the page back.  So whenever the server changes the step
(Play, Back, Forward, a new run) the slider gets a new key
(:func:`slider_key`); a report for an old key names a widget that no longer
exists and is dropped, and only the user's own moves reach :func:`slid`.
While playing the slider follows the step, disabled.

**Clicks.**  The chart is a selection widget (``on_select``): a click on a
point calls :func:`explain_clicked` (the row becomes the one the formulas
explain) or, while a start is being placed, :func:`add_clicked_seed`.

These are callbacks and small helpers; pages call them and never touch
``st.session_state``.
"""

import numpy as np

from ui import keys, session

__all__ = ["PLAY_SECONDS", "current", "slider_key", "slid", "move", "pause", "play",
           "playing", "tick", "restart",
           "clicked_rows", "explain_clicked", "add_clicked_seed", "clear_seeds",
           "chosen_seeds", "row_position", "step_through", "show_restarts", "restarts_shown"]

#: Seconds between steps while playing (a step redraws in well under this).
PLAY_SECONDS = 0.8


def current(last):
    """The current step (0 when unset), kept within ``0..last``."""
    step = int(session.value(keys.EM_STEP, 0))
    if not 0 <= step <= int(last):
        _set_step(min(max(step, 0), int(last)))
    return int(session.value(keys.EM_STEP, 0))


def _set_step(step):
    """The server moves the step: the slider is replaced (see the module docstring)."""
    session.set_value(keys.EM_STEP, int(step))
    session.set_value(keys.EM_SLIDER, int(session.value(keys.EM_SLIDER, 0)) + 1)


def slider_key():
    """The step slider's key for this run: :data:`ui.keys.W_EM_STEP` and a generation."""
    return f"{keys.W_EM_STEP}_{int(session.value(keys.EM_SLIDER, 0))}"


def slid(key):
    """Slider callback: the user's value becomes the step.

    Only the current slider's report counts.  A click sent while the run that
    replaced the slider was still being drawn carries the old slider too (both
    are on the page for a moment), and Streamlit may call its callback: taking
    its value would send the page back a step, and the new slider, whose state
    already holds the step, would go on showing it -- two steps at once.
    """
    if not playing() and key == slider_key():
        session.set_value(keys.EM_STEP, int(session.value(key, 0)))


def restart():
    """A new run: back to step 0, paused."""
    _set_step(0)
    pause()


def playing():
    """Whether Play is on."""
    return bool(session.value(keys.EM_PLAYING, False))


def pause():
    """Stop playing (the step stays where it is)."""
    session.set_value(keys.EM_PLAYING, False)


def move(delta, last):
    """Button callback: pause and step ``delta`` (runs before the slider is drawn)."""
    pause()
    now = int(session.value(keys.EM_STEP, 0))
    _set_step(min(max(now + delta, 0), last))


def play(last):
    """Play callback; Play at the last step starts again from step 0.

    Play and Pause are two buttons with keys of their own (:data:`ui.keys.W_EM_PLAY`,
    :data:`ui.keys.W_EM_PAUSE`), each doing one thing, rather than one toggle: a
    click whose run a timer rerun interrupted can reach its callback a second time,
    and a toggle would then undo it (Pause, then playing on).
    """
    if playing():
        return
    if int(session.value(keys.EM_STEP, 0)) >= last:
        _set_step(0)
    session.set_value(keys.EM_PLAYING, True)


def tick(last):
    """While playing, move one step forward; stop at ``last``.  Returns whether still playing."""
    if not playing():
        return False
    now = int(session.value(keys.EM_STEP, 0))
    _set_step(min(now + 1, last))
    if now + 1 >= last:
        pause()
    return playing()


def clicked_rows(chart_key):
    """Row positions (``customdata``) of the points selected on chart ``chart_key``."""
    state = session.value(chart_key) or {}
    selection = state.get("selection", {}) if hasattr(state, "get") else {}
    rows = []
    for point in selection.get("points", []) or []:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data is not None and point.get("curve_number", 0) == 0:
            rows.append(int(data))
    return rows


def explain_clicked(chart_key, row_keys):
    """Chart callback: the clicked point's row becomes the row the formulas explain."""
    rows = clicked_rows(chart_key)
    if rows:
        session.set_value(keys.W_EM_ROW, str(row_keys[rows[0]]))


def add_clicked_seed(chart_key, k):
    """Chart callback while placing a start: add the clicked rows, up to ``k`` seeds."""
    seeds = chosen_seeds()
    for row in clicked_rows(chart_key):
        if row not in seeds and len(seeds) < k:
            seeds.append(row)
    session.set_value(keys.EM_CHOSEN, seeds)
    restart()


def clear_seeds():
    """Button callback: forget the clicked start."""
    session.set_value(keys.EM_CHOSEN, [])
    restart()


def chosen_seeds():
    """Row positions clicked so far for a start of one's own."""
    return [int(r) for r in (session.value(keys.EM_CHOSEN) or [])]


def row_position(row_keys, key, default=0):
    """Position of the row whose key is ``key`` (text), ``default`` if there is none."""
    hits = np.flatnonzero(np.asarray(row_keys, dtype=object) == str(key).strip())
    return int(hits[0]) if hits.size else default


def step_through(seed):
    """Restarts callback: make ``seed`` the page's seed, so its run is the one stepped."""
    session.set_value(keys.W_EM_SEED, int(seed))
    restart()


def show_restarts(settings, n_starts):
    """Remember that restarts were asked for these settings (they stay shown until these change)."""
    session.set_value(keys.EM_RESTARTS, (tuple(sorted(settings.items())), int(n_starts)))


def restarts_shown(settings, n_starts):
    """Whether restarts were asked for these settings and this many starts."""
    return session.value(keys.EM_RESTARTS) == (tuple(sorted(settings.items())), int(n_starts))
