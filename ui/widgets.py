"""Widgets and guards the pages share: one way to stop a page, pick a view, show text, fit.

* :func:`stop_unless` -- the guard at the top of a page: a message, a link to
  the Data page, and ``st.stop()``;
* :func:`fit_or_stop` -- run a (cached) fit under a spinner; a ``ValueError``
  (incl. :class:`gmm_core.DataError`) becomes an error box and stops the page;
* :func:`view_axes` -- the PCA / two-features picker of the chart pages;
* :func:`row_picker` -- choose one row by its key (ID cell or file line);
* :func:`plain` -- user text as Markdown that shows it literally (names, cells, notes).
"""

import re

import streamlit as st

from gmm_core.errors import FitInterrupted
from ui import saved, session

#: Up to this many rows the row picker is a searchable list; beyond, a text box.
ROW_LIST_MAX = 5_000

#: Characters Markdown (CommonMark, GFM, Streamlit's ``:directives:``, LaTeX ``$``) gives a meaning.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^])")
#: An invisible WORD JOINER (U+2060): breaks the literal words the autolinker and Streamlit
#: look for.
JOINER = "\u2060"
#: Where GFM's autolinker (``http://``, ``https://``, ``www.``, e-mail addresses) and Streamlit's
#: ``:material/icon:`` and ``:color[text]`` directives would find a match: a backslash escape does
#: not stop them (they match the text after the escapes are undone), a joiner inside the word does.
_AUTOLINK = re.compile(r"(?<=http)(?=s?:)|(?<=ww)(?=w\.)|(?<=@)|(?<=:)(?=[a-z][\w-]*[/\[])",
                       re.IGNORECASE)


def plain(text):
    """``text`` (a file, column or segment name, a cell, a message) as Markdown that shows it
    literally.

    For user strings in ``st.markdown``, ``st.caption``, ``st.error`` and the other
    elements that render Markdown: whitespace runs become one space (no line breaks,
    headings or lists), every Markdown, HTML and LaTeX character is backslash-escaped
    (no emphasis, links, images, code, tags or ``$maths$``), and an invisible
    :data:`JOINER` goes inside ``http``/``www``, after ``@`` and after the ``:`` of
    ``:material/…:`` or ``:red[…]``, so bare URLs, e-mail addresses, icons and colours
    stay text.  What the user reads (and copies) is ``text`` with only the joiners added.

    >>> plain("**bold** <b>[x](y)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\<b\\\\>\\\\[x\\\\]\\\\(y\\\\)'
    >>> plain("www.example.com").replace(JOINER, "|")
    'ww|w\\\\.example\\\\.com'
    """
    text = _AUTOLINK.sub(JOINER, " ".join(str(text).split()))
    return _MD_SPECIAL.sub(r"\\\1", text)


def stop():
    """``st.stop()``, after keeping the session's work for a reload (:mod:`ui.saved`).

    Once a run is stopped Streamlit refuses every further call, so app.py's
    end-of-run keeping cannot happen: every page stops through here instead.
    """
    saved.mark_url()
    saved.keep()
    st.stop()


def stop_unless(ok, message):
    """Guard a page: unless ``ok``, say ``message``, link to the Data page and stop."""
    if not ok:
        st.info(message)
        st.page_link("pages/data.py", label="Go to Data", icon=":material/table_chart:")
        stop()


def fit_or_stop(fit, *args, spinner=None, show_time=True, **kwargs):
    """``fit(*args, **kwargs)``, under ``st.spinner(spinner)`` if given; stop the page if it fails.

    A fit that cannot go on raises ``ValueError`` (incl. :class:`gmm_core.DataError`)
    with a message for the user: it is shown escaped in an error box and the
    page stops there.  A fit stopped because nobody waits for it any more
    (:class:`gmm_core.errors.FitInterrupted`, :mod:`ui.running`) stops the page
    quietly: the session is gone, or its newer run starts next.
    """
    try:
        if spinner is None:
            return fit(*args, **kwargs)
        with st.spinner(spinner, show_time=show_time):
            return fit(*args, **kwargs)
    except ValueError as exc:  # includes gmm_core.DataError
        st.error(plain(str(exc)), icon=":material/error:")
        stop()
    except FitInterrupted:     # its tab closed or a newer run of the session waits: end here
        stop()


def view_axes(features, container, *, view_key, x_key, y_key, help, widths=(1, 1)):
    """The 2-D view picker shared by the chart pages.

    Returns the two feature names to plot, or ``None`` for the PCA view; with
    two features there is nothing to choose.  Stops the page with a warning
    when the user picks the same feature twice.
    """
    if len(features) <= 2:
        return (features[0], features[1])
    kind = container.radio("View", ("PCA (best 2-D view)", "Two features"), key=view_key,
                           horizontal=True, help=help)
    if kind != "Two features":
        return None
    ax1, ax2 = container.columns(list(widths))[:2]
    axes = (ax1.selectbox("x axis", features, index=0, key=x_key),
            ax2.selectbox("y axis", features, index=1, key=y_key))
    if axes[0] == axes[1]:
        st.warning("Choose two different features for the axes.")
        stop()
    return axes


def row_picker(label, row_keys, *, key):
    """Pick one row by its key (text); returns the key shown.

    A searchable list of every key up to :data:`ROW_LIST_MAX` rows, else a text
    box (a list of 200,000 keys would travel to the browser on every rerun).  A
    key that names no row (another dataset's, or mistyped) goes back to the
    first row's, with a warning for a typed one.
    """
    keys_ = [str(v) for v in row_keys]
    if len(keys_) <= ROW_LIST_MAX:
        if str(session.value(key, keys_[0])) not in set(keys_):
            session.set_value(key, keys_[0])
        current = str(session.seed_widget(key, keys_[0]))
        return st.selectbox(label, keys_, index=keys_.index(current), key=key)
    current = str(session.seed_widget(key, keys_[0]))
    typed = st.text_input(label, value=current, key=key).strip()
    if typed not in set(keys_):
        st.warning(f"No row has the key {plain(typed)}; showing {plain(keys_[0])}.")
        return keys_[0]
    return typed
