"""No request leaves the machine: icons and fonts come from the installed Streamlit
(issue 18, item 6).

The page icon was ``:material/scatter_plot:``, which made the browser fetch a
font from the internet on every load (19 failed requests offline).  Every page
is opened, and the slides, while each request is recorded; only the app's own
host may be asked.
"""

from urllib.parse import urlparse

import pytest

from browser.conftest import TIMEOUT_MS, no_exception, settle, shoot

pytestmark = pytest.mark.browser

PAGES = ("Compare", "EM step by step", "Choose k", "Segments")


def test_no_request_goes_to_another_host(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    own = urlparse(server).netloc
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    try:
        page.goto(server)
        page.wait_for_selector("h1:has-text('Data')")
        settle(page, pause_ms=1500)
        for name in PAGES:
            page.locator('[data-testid="stSidebarNav"] a', has_text=name).click()
            page.wait_for_selector(f"h1:has-text('{name}')")
            page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT_MS)
            settle(page, pause_ms=1500)
            no_exception(page)
        page.get_by_role("button", name="Show as slides").click()
        page.wait_for_selector('[data-testid="stCaptionContainer"]:has-text("Slide 1 of")')
        settle(page, pause_ms=1500)
        page.reload()
        page.wait_for_selector('[data-testid="stCaptionContainer"]:has-text("Slide 1 of")')
        settle(page, pause_ms=1500)
    except Exception:
        shoot(page, "offline-failure.png")
        raise
    finally:
        context.close()
    assert len(asked) > 20                                      # the recording works
    outside = [u for u in asked if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).netloc != own]
    assert outside == [], f"{len(outside)} requests left the machine: {outside[:5]}"
