"""The Streamlit side of GMM Explorer: everything the pages share.

``gmm_core`` does the statistics and knows nothing of Streamlit; this package
holds what the pages in ``pages/`` have in common, so that each page is layout
only -- read the session, guard, call :mod:`gmm_core`, render:

* :mod:`ui.keys` -- every ``st.session_state`` key, the one place that names them;
* :mod:`ui.session` -- session access: the loaded dataset, widget seeding,
  each page's remembered settings (:func:`ui.session.remembered` /
  :func:`ui.session.remember`), the model chosen on Compare, segment names;
* :mod:`ui.dataset` -- the :class:`ui.dataset.Dataset` value and its loaders;
* :mod:`ui.cache` -- every ``st.cache_data`` wrapper (the fits);
* :mod:`ui.widgets` -- shared widgets: the page guard, fit-or-stop, the view
  picker, the row picker, Markdown escaping;
* :mod:`ui.stepper` -- the EM page's one step control (Back, Play/Pause,
  Forward, slider) and its chart clicks.
* :mod:`ui.running` -- fits in server slots, stopped when nobody waits for them;
* :mod:`ui.memory` -- freed memory handed back to the system;
* :mod:`ui.saved`, :mod:`ui.disk` -- work kept for a reload and across a restart.

Dependencies point one way: ``keys``, ``dataset`` <- ``session`` <- ``cache``,
``widgets``, ``stepper``.  ``ui`` may import streamlit and :mod:`gmm_core`;
:mod:`gmm_core` never imports ``ui``.
"""

__all__ = ["cache", "dataset", "disk", "keys", "memory", "running", "saved", "session",
           "stepper", "widgets"]
