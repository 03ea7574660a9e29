"""Real-browser flows: Streamlit served on loopback, driven by Playwright + Debian chromium.

Skipped (with the reason) when /usr/bin/chromium is missing, except under
``CI=true``, where a missing browser is a failure.  Screenshots go to
``test-artifacts/`` and refresh the README's ``docs/*.png``.
"""

import pytest

from browser.conftest import TIMEOUT_MS, shoot
from browser.conftest import no_exception as _no_exception
from browser.conftest import settle as _settle

pytestmark = pytest.mark.browser

CSV = ("customer;annual income (k$);spending score (1-100);region\n"
       + "".join(f"C{i:04d};{30 + 50 * (i % 2) + (i * 7919 % 23) * 0.9:.1f};"
                 f"{20 + 55 * (i % 2) + (i * 104729 % 19)};{'north' if i % 3 else 'south'}\n"
                 for i in range(400)))


def _shoot(page, name, docs=False):
    shoot(page, name, docs=name if docs else None)


def _open_compare(page):
    page.locator('[data-testid="stSidebarNav"] a', has_text="Compare").click()
    page.wait_for_selector("h1:has-text('Compare')")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                           timeout=TIMEOUT_MS)
    _settle(page)


def test_first_open_shows_demo_and_compare_works(page):
    page.wait_for_selector("h1:has-text('Data')")
    page.wait_for_selector(".js-plotly-plot")
    _settle(page)
    _no_exception(page)
    assert "Mall customers" in page.locator('[data-testid="stSidebar"]').inner_text()
    _shoot(page, "data.png", docs=True)
    _open_compare(page)
    _no_exception(page)
    assert page.locator(".js-plotly-plot").count() == 2
    # the two panels share their axes
    ranges = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .map(p => [p.layout.xaxis.range, p.layout.yaxis.range])""")
    assert ranges[0] == ranges[1]
    _shoot(page, "compare.png", docs=True)


def test_upload_csv_then_compare(page, tmp_path):
    page.wait_for_selector("h1:has-text('Data')")
    _settle(page)
    csv_path = tmp_path / "shop_export.csv"
    csv_path.write_text(CSV, encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv_path))
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]')"
        ".innerText.includes('shop_export.csv')",
        timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "What the reader did" in body
    assert "customer" in body  # the ID column is listed as left out
    _shoot(page, "upload.png")
    _open_compare(page)
    _no_exception(page)
    assert "400 rows" in page.locator('[data-testid="stMain"]').inner_text()
    _shoot(page, "upload_compare.png")


def test_bad_upload_keeps_previous_dataset(page, tmp_path):
    page.wait_for_selector("h1:has-text('Data')")
    _settle(page)
    bad = tmp_path / "notes.csv"
    bad.write_text("just some words\nno numbers here\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    assert "Mall customers" in page.locator('[data-testid="stSidebar"]').inner_text()


def test_elongated_demo_kmeans_cuts_across(page):
    page.wait_for_selector("h1:has-text('Data')")
    _settle(page)
    page.get_by_role("tab", name="Generate or load a demo").click()
    page.locator('[data-testid="stSelectbox"]', has_text="Dataset").click()
    page.get_by_role("option", name="Elongated clusters").click()
    page.get_by_role("button", name="Load this dataset").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]')"
        ".innerText.includes('Elongated clusters')",
        timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    _open_compare(page)
    _no_exception(page)
    sentence = page.locator('[data-testid="stAlertContentInfo"]').inner_text()
    assert "KMeans" in sentence
    _shoot(page, "compare_elongated.png", docs=True)
