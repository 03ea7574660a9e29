"""Real-browser flows of EM step by step and Choose k (Playwright + Debian chromium).

Same rule as ``tests/test_browser.py``: skipped with the reason when
/usr/bin/chromium is missing, except under ``CI=true``, where that is a
failure.  Screenshots go to ``test-artifacts/`` and refresh ``docs/em_steps.png``
and ``docs/choose_k.png``.  Server, browser and page come from ``conftest.py``.
"""

import pytest

from browser.conftest import TIMEOUT_MS, open_page, settle, shoot
from browser.conftest import no_exception as _no_exception

pytestmark = [pytest.mark.browser, pytest.mark.viewport(2300)]  # tall: whole page in a shot


def _settle(page):
    settle(page, pause_ms=800)


def _at_data(page):
    page.wait_for_selector("h1:has-text('Data')")
    return page


def _open(page, title, n_charts):
    open_page(page, title, n_charts)


def test_em_page_opens_at_its_first_step(page):
    """Play/Pause and the click flows are in test_browser_em_steps.py."""
    _at_data(page)
    _open(page, "EM step by step", 1)
    _no_exception(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Step 0 of" in body and "Converged after" in body
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').layout.meta.step") == 0
    shoot(page, "em_steps.png", docs="em_steps.png")


def test_em_forward_button_steps(page):
    _at_data(page)
    _open(page, "EM step by step", 1)
    page.get_by_role("button", name="Forward ▶").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').innerText.includes('Step 1 of')",
        timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    assert "iteration 1, E-step" in page.locator('[data-testid="stMain"]').inner_text()


def test_choose_k_recommends_and_sends_to_compare(page):
    _at_data(page)
    _open(page, "Choose k", 3)
    _no_exception(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Recommended:" in text and "lower is better" in text
    shoot(page, "choose_k.png", docs="choose_k.png")
    button = page.get_by_role("button", name="on Compare")
    k = button.inner_text().split("k = ")[1].split(",")[0]
    button.click()
    page.wait_for_selector("text=open Compare", timeout=TIMEOUT_MS)
    _settle(page)
    _open(page, "Compare", 2)
    _no_exception(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="Number of segments")
    assert slider.locator('input[type="range"]').get_attribute("value") == k
