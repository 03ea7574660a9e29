"""A tab open at a page's address when its server has just (re)started (issue 24, item 3).

Regression: a fresh server treats ``pages/`` as Streamlit's older page folder
until app.py's ``st.navigation`` has run once, so the first request of a tab
that was open at ``/compare`` ran that page alone: the demo, no sidebar, and
the work saved under the tab's ``?p=`` id never looked at.  Now the session
reruns through app.py, finds the work on disk and says the server restarted.
"""

import pytest

from browser.conftest import TIMEOUT_MS, settle

pytestmark = pytest.mark.browser

SID = "RestartedServerTab_0123"
CSV = "id,income,spend\n" + "".join(f"{i},{20 + i % 7 * 9},{(i * 37) % 100}\n"
                                    for i in range(200))


def test_the_first_tab_at_a_page_address_of_a_fresh_server_gets_its_saved_work(tmp_path, browser):
    """Uses the session's browser: a second Playwright in the same thread is refused."""
    from benchmarks.load.server import Server
    from ui import disk, saved

    store = disk.DiskStore(tmp_path, max_entries=4, max_bytes=10**7, ttl=3600)
    state = {"data": {"kind": "upload", "filename": "kept.csv", "missing": "drop"},
             "upload_bytes": CSV.encode(), "noun": "shoppers",
             "choices": {"features": ["income", "spend"], "scaling": "standard", "label": None}}
    assert store.put(SID, state)
    with Server(env={"GMM_SAVED_DIR": str(tmp_path)}) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server.url}/compare?p={SID}")           # the server's very first request
        page.wait_for_function(
            "() => (document.querySelector('[data-testid=\"stSidebar\"]') || {innerText: ''})"
            ".innerText.includes('kept.csv')", timeout=TIMEOUT_MS)
        settle(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        context.close()
    assert "server was restarted" in main and saved.RESTORED[:40] in main
    assert "Mall customers" not in sidebar and "200 shoppers" in sidebar
