"""Real-browser flow of the Segments page: rename, download CSV/report/PNG, present, open offline.

Same rule as ``tests/test_browser.py``: skipped with the reason when
/usr/bin/chromium is missing, except under ``CI=true``, where that is a
failure.  Screenshots refresh ``docs/segments.png`` and ``docs/segments_report.png``
(the slides' shots come from ``test_browser_slides.py``).
"""

import io
import struct

import pandas as pd
import pytest

from browser.conftest import TIMEOUT_MS, no_exception, rename_first_segment, settle, shoot

pytestmark = [pytest.mark.browser, pytest.mark.viewport(4300)]  # tall: the whole page in a shot

NAME = "Careful savers <3"  # markup characters: must show as typed, never as HTML


def _settle(page):
    settle(page, pause_ms=1000)


def _open_segments(page):
    page.wait_for_selector("h1:has-text('Data')")
    page.locator('[data-testid="stSidebarNav"] a', has_text="Segments").click()
    page.wait_for_selector("h1:has-text('Segments')")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 6",
                           timeout=TIMEOUT_MS)
    _settle(page)


def _download(page, label):
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name=label, exact=True).click()
    download = info.value
    return download.suggested_filename, download.path().read_bytes()


def test_segments_rename_download_present_and_open_the_report(page, browser, tmp_path):
    _open_segments(page)
    no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    assert "fall into 5 segments" in main.inner_text()

    # rename the first segment; the overview's legend shows the new name as text
    rename_first_segment(page, NAME)
    _settle(page)
    no_exception(page)
    shoot(page, "segments.png", docs="segments.png")

    # the CSV: every original row, the edited name, one probability column per segment
    filename, data = _download(page, "Rows with segments (CSV)")
    assert filename == "segments.csv" and data.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(csv) == 1000 and "CustomerID" in csv.columns
    assert NAME in set(csv["segment"])
    probs = csv[[c for c in csv.columns if c.startswith("probability_")]]
    assert probs.shape[1] == 5 and ((probs.sum(axis=1) - 1).abs() < 5e-4).all()  # 4 decimals

    # the report: one HTML file, the name escaped, plotly inlined
    filename, data = _download(page, "Report (HTML)")
    assert filename == "segments-report.html"
    html = data.decode("utf-8")
    assert "Careful savers &lt;3" in html and NAME not in html
    report = tmp_path / "segments-report.html"
    report.write_bytes(data)

    # the overview chart as a PNG, drawn by kaleido on the server
    filename, data = _download(page, "Overview chart (PNG)")
    assert filename == "segments-overview.png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1400 and height >= 700

    # slides: the edited name heads its slide, in large type, without jargon
    page.get_by_role("button", name="Show as slides").click()
    page.wait_for_selector('[data-testid="stCaptionContainer"]:has-text("Slide 1 of 7")')
    _settle(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.st-key-slide_card')"
                           " && document.querySelectorAll('.js-plotly-plot').length === 1",
                           timeout=TIMEOUT_MS)
    _settle(page)
    no_exception(page)
    assert page.locator('[data-testid="stMain"] h1').inner_text() == NAME
    text = main.inner_text()
    assert "covariance" not in text.lower() and "responsibilit" not in text.lower()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    size = page.evaluate("""() => parseFloat(getComputedStyle(document.querySelector(
        '[data-testid="stMain"] h1')).fontSize)""")
    assert size >= 40
    page.get_by_role("button", name="Leave slides").click()
    page.wait_for_selector('[data-testid="stTextInput"]')

    # the report opens from disk with no network, charts drawn, the name shown as text
    context = browser.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    try:
        offline = context.new_page()
        offline.goto(report.as_uri())
        offline.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7",
                                  timeout=TIMEOUT_MS)
        offline.wait_for_timeout(800)
        assert offline.locator("h3", has_text=NAME).count() == 1
        assert offline.locator(".card").count() == 5
        shoot(offline, "segments_report.png", docs="segments_report.png")
    finally:
        context.close()
