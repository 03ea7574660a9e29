"""Two users at once: separate sessions never see each other's data or results.

Two Playwright browser contexts (separate cookies and storage: two users) on the
one Streamlit server of ``conftest.py`` upload different files at the same time
-- both uploads are in flight before either is awaited -- and each must then
see only its own file name, columns and numbers on the Data and Compare pages.
The fits are cached across sessions (``st.cache_data``), keyed on the data's
fingerprint; the unit tests below pin that the key changes with the data, the
columns and the choices, so one user's results can never be served to another.
"""

from dataclasses import replace

import numpy as np
import pytest

from browser.conftest import TIMEOUT_MS, no_exception, settle, shoot
from hostile_files import good_csv
from ui import dataset


def _sidebar_has(page, text):
    page.wait_for_function(
        "t => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes(t)",
        arg=text, timeout=TIMEOUT_MS)


def _svg_text(page):
    return page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot text')]"
                         ".map(t => t.textContent).join(' ')")


def _everything(page):
    return page.locator('[data-testid="stApp"]').inner_text() + " " + _svg_text(page)


@pytest.mark.browser
@pytest.mark.viewport(1600)
def test_two_sessions_uploading_at_once_each_see_only_their_own(browser, server, tmp_path):
    users = {}
    for name, seed in (("alice", 1), ("bob", 2)):
        context = browser.new_context(viewport={"width": 1440, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server)
        page.wait_for_selector("h1:has-text('Data')")
        path = tmp_path / f"{name}_shop.csv"
        n_rows = 100 + 40 * seed  # different sizes: 140 and 180 rows
        path.write_bytes(good_csv(name, n_rows=n_rows, seed=seed))
        users[name] = dict(context=context, page=page, path=path, n_rows=n_rows)
    try:
        for u in users.values():
            settle(u["page"])
        for u in users.values():  # both uploads in flight before either is awaited
            u["page"].locator('[data-testid="stFileUploader"] input[type="file"]'
                              ).set_input_files(str(u["path"]))
        for name, u in users.items():
            _sidebar_has(u["page"], f"{name}_shop.csv")
        for name, u in users.items():
            page, other = u["page"], "bob" if name == "alice" else "alice"
            page.wait_for_selector(".js-plotly-plot")
            settle(page)
            no_exception(page)
            seen = _everything(page)
            assert f"{name}_shop.csv" in seen and f"{name} x" in seen, name
            assert f"{u['n_rows']} rows" in seen, name
            assert other not in seen, f"{name} sees {other}'s data"
        for u in users.values():  # both fits start before either is awaited
            u["page"].locator('[data-testid="stSidebarNav"] a', has_text="Compare").click()
        for name, u in users.items():
            page, other = u["page"], "bob" if name == "alice" else "alice"
            page.wait_for_selector("h1:has-text('Compare')")
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                                   timeout=TIMEOUT_MS)
            settle(page)
            no_exception(page)
            page.get_by_text("Two features").first.click()
            page.wait_for_function(
                "n => [...document.querySelectorAll('.js-plotly-plot text')]"
                ".some(t => t.textContent.includes(n + ' x'))", arg=name, timeout=TIMEOUT_MS)
            settle(page)
            seen = _everything(page)
            assert f"Both models were fitted on all {u['n_rows']} rows" in seen, name
            assert other not in seen, f"{name} sees {other}'s results"
            shoot(page, f"two-users-{name}.png")
    finally:
        for u in users.values():
            u["context"].close()


# --- the cache key: the fingerprint of what is fitted ------------------------------------------

def _dataset(tag="a", seed=0, n_rows=50):
    return dataset.load_upload(good_csv(tag, n_rows=n_rows, seed=seed), f"{tag}.csv")


def test_fingerprint_changes_with_data_columns_and_choices():
    base = _dataset()
    assert _dataset().fingerprint == base.fingerprint  # same file, same key: a safe cache hit
    other_numbers = _dataset(seed=1)
    other_names = _dataset(tag="b")  # the same numbers under other column names
    np.testing.assert_array_equal(other_names.X, base.X)
    fewer = replace(base, features=base.features[:2])
    rescaled = replace(base, scaling="minmax")
    keys = {d.fingerprint for d in (base, other_numbers, other_names, fewer, rescaled)}
    assert len(keys) == 5


def test_fingerprint_covers_every_value():
    base = _dataset()
    frame = base.frame.copy()
    frame.iloc[-1, -1] += 1e-12  # one last digit in one cell
    assert replace(base, frame=frame).fingerprint != base.fingerprint
