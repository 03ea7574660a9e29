"""GMM Explorer -- entry point: page setup, navigation and the dataset summary.

Run with ``streamlit run app.py``.  This file only navigates; each page in
``pages/`` is a thin view over :mod:`gmm_core`, and the :mod:`ui` package holds
what the pages share (session keys and access, the dataset, caches, widgets).
"""

import pathlib

import streamlit as st

from gmm_core.mixture import warm_up
from ui import memory, running, saved, session, widgets

#: The page icon, shipped with the app: a ``:material/...:`` icon here made the browser fetch
#: a font from the internet on every load.
ICON = str(pathlib.Path(__file__).with_name("assets") / "icon.png")

# The compiled EM kernels load (or, once ever, compile) in a background thread, once per
# process, so that no user's first fit waits for them.
warm_up()
# BLAS runs one thread a call: the fits' parallelism is their own share of the cores (ui.running).
running.one_blas_thread()
# Memory: the allocator gives freed pages back and closed tabs' sessions go (a thread, once per
# process); widgets that are gone take their callbacks, and what those held, with them
# (ui.session.release_stale_widgets).
memory.start_trimmer(before=session.reap_closed_sessions)
session.release_stale_widgets()
# Work kept under the URL's id comes back after a reload (ui.saved), before anything reads it.
expired = saved.attach()
# Slide mode (the Segments page's deck) collapses the sidebar and hides the navigation.
slides = session.slide_mode()
st.set_page_config(page_title="GMM Explorer", page_icon=ICON, layout="wide",
                   initial_sidebar_state="collapsed" if slides else "auto")

#: The app's pages, in menu order.  A new page is one more line here.
PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/table_chart:", default=True),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/em_steps.py", title="EM step by step", icon=":material/footprint:"),
    st.Page("pages/choose_k.py", title="Choose k", icon=":material/query_stats:"),
    st.Page("pages/segments.py", title="Segments", icon=":material/groups:"),
]

#: The page whose slide mode hides the navigation.
SLIDES_PAGE = "segments"

session.init()
page = st.navigation(PAGES, position="hidden" if slides else "sidebar")
saved.mark_url()
if slides and page.url_path != SLIDES_PAGE:   # another page opened by its address: no slides there
    session.set_slide_mode(False)
    st.rerun()

if not slides:
    with st.sidebar:
        dataset = session.get_dataset()
        st.subheader("Loaded dataset")
        st.text(dataset.name)
        st.caption(widgets.plain(dataset.summary(session.noun(dataset))))
        if dataset.label_column:
            st.caption("True labels known")
if expired == saved.RESTORED:
    st.info(expired, icon=":material/restart_alt:")
elif expired:
    st.warning(expired)

page.run()
# A page that stops (ui.widgets.stop) keeps its work itself: after st.stop() Streamlit
# refuses every call.  Again here: drawing a newly opened page rewrites the address.
saved.mark_url()
saved.keep()
