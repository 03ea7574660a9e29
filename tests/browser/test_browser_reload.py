"""Real-browser reload: upload, rename a segment, press F5 -- everything is still there.

Issue 18, item 4: a reload used to throw the work away (back to the demo, upload,
settings and names gone, nothing in the URL).  Item 6: no request leaves the machine.
"""

from urllib.parse import urlparse

import pytest

from browser.conftest import (
    TIMEOUT_MS,
    no_exception,
    open_page,
    rename_first_segment,
    settle,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.viewport(1500)]

NAME = "Weekend <regulars>"


def _customers(path, n=300):
    lines = ["CustomerID,Region,income,spend"]
    for i in range(n):
        cx, cy = [(20, 20), (60, 70), (90, 20)][i % 3]
        lines.append(f"C{i:04d},{'north' if i % 2 else 'south'},{cx + (i * 7) % 11},"
                     f"{cy + (i * 5) % 9}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]').inner_text()


def test_upload_rename_reload_and_it_is_still_there(page, tmp_path):
    page.wait_for_selector("h1:has-text('Data')")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(_customers(tmp_path / "shop.csv")))
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           ".innerText.includes('shop.csv')", timeout=TIMEOUT_MS)
    settle(page)
    noun = page.locator("input[aria-label=\"What is one row?\"]")
    noun.fill("shoppers")
    noun.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           ".innerText.includes('300 shoppers')", timeout=TIMEOUT_MS)
    open_page(page, "Segments", 3)
    rename_first_segment(page, NAME)
    settle(page, pause_ms=1200)
    assert "p=" in urlparse(page.url).query            # the id of the kept work
    url = page.url

    page.reload()                                      # F5
    page.wait_for_selector("h1:has-text('Segments')")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3",
                           timeout=TIMEOUT_MS)
    settle(page, pause_ms=1000)
    no_exception(page)
    assert page.url == url
    assert "shop.csv" in _sidebar(page) and "300 shoppers" in _sidebar(page)
    assert page.locator('[data-testid="stTextInput"] input').first.input_value() == NAME
    assert "The 300 shoppers fall into" in page.locator('[data-testid="stMain"]').inner_text()
    shoot(page, "reload-still-there.png")


def test_an_expired_link_says_so(page, server):
    page.goto(f"{server}/?p=gone-long-ago")
    page.wait_for_selector("h1:has-text('Data')")
    settle(page)
    assert "expired" in page.locator('[data-testid="stAlertContentWarning"]').inner_text()
    assert "Mall customers" in _sidebar(page)
    assert "gone-long-ago" not in page.url


def test_a_session_opened_at_a_page_address_survives_a_reload_too(page, server):
    """Opened at /segments (a bookmark), renamed, reloaded: the name is still there."""
    page.goto(f"{server}/segments")
    page.wait_for_selector("h1:has-text('Segments')")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3",
                           timeout=TIMEOUT_MS)
    settle(page)
    rename_first_segment(page, NAME)
    settle(page, pause_ms=1200)
    url = urlparse(page.url)
    assert url.path.endswith("/segments") and "p=" in url.query
    page.reload()
    page.wait_for_selector("h1:has-text('Segments')")
    page.wait_for_function(
        "name => [...document.querySelectorAll('[data-testid=\"stTextInput\"] input')]"
        ".some(e => e.value === name)", arg=NAME, timeout=TIMEOUT_MS)
    no_exception(page)
    assert urlparse(page.url).query == url.query            # the same kept work
