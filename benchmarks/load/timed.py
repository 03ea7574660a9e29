"""``streamlit`` with every script run timed: the server side of a page's time.

Run by its path (``python benchmarks/load/timed.py run app.py ...``, which is what
``Server(run_log=FILE)`` does), so that it serves any checkout: nothing of the
app is imported here.  Each script run appends one JSON line to the file named
by ``GMM_RUN_LOG``::

    {"session": "<id>", "page": "compare", "start": <monotonic s>, "end": <s>,
     "how": "SCRIPT_STOPPED_WITH_SUCCESS"}

``start`` is when the run began (``SCRIPT_STARTED``), ``end`` when it stopped
(done, or stopped for a newer run); waiting for a fit slot is inside it.  The
clock is ``time.monotonic`` (one clock for the whole machine, so the harness
compares it with its own).  Fragment reruns are logged too (``how`` says which).
"""

import json
import os
import pathlib
import sys
import threading
import time


def _install(path):
    from streamlit.runtime.scriptrunner import script_runner as sr

    lock = threading.Lock()
    log = open(path, "a", buffering=1)
    started = {}
    original = sr.ScriptRunner.__init__

    def init(self, session_id, *args, **kwargs):
        original(self, session_id, *args, **kwargs)

        def on_event(sender, event, **kw):
            name = getattr(event, "name", str(event))
            if name == "SCRIPT_STARTED":
                pages = kw.get("pages") or {}
                info = pages.get(kw.get("page_script_hash"), {})
                page = pathlib.Path(str(info.get("script_path", "?"))).stem
                started[session_id] = (time.monotonic(), page)
            elif name.startswith(("SCRIPT_STOPPED", "FRAGMENT_STOPPED")):
                start, page = started.pop(session_id, (None, "?"))
                if start is not None:
                    line = json.dumps(dict(session=session_id, page=page, start=start,
                                           end=time.monotonic(), how=name))
                    with lock:
                        log.write(line + "\n")

        self.on_event.connect(on_event, weak=False)

    sr.ScriptRunner.__init__ = init


if __name__ == "__main__":
    _install(os.environ["GMM_RUN_LOG"])
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(main())
