"""Real-browser slides: every slide fits a 1280x720 and a 1920x1080 screen, turned by the keys.

Issue 18, item 1: the old presentation view kept the sidebar, needed four
screens of scrolling at 1280x720 and cut the chart's axis off.  Here each
slide is checked as drawn: nothing scrolls, the chart and the card lie inside
the viewport and no text overflows its box.  Screenshots of 1280x720 refresh
``docs/slides_title.png``, ``docs/slides_segment.png`` and ``docs/slides_overview.png``.
"""

import pytest

from browser.conftest import CHROMIUM_ARGS, TIMEOUT_MS, no_exception, settle, shoot  # noqa: F401

pytestmark = pytest.mark.browser

N_SLIDES = 7  # title, the demo's five segments, overview
FITS = """() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const inside = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.left >= -1 && r.top >= -1 && r.right <= vw + 1
           && r.bottom <= vh + 1; };
  const main = document.querySelector('[data-testid="stMain"]');
  const chart = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const card = document.querySelector('.st-key-slide_card');
  const clipped = [...document.querySelectorAll(
      '.st-key-slide_card, .st-key-slide_card p, [data-testid="stMain"] h1')]
    .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2)
    .map(el => `${el.textContent.slice(0, 40)} ${el.scrollWidth}x${el.scrollHeight} in `
               + `${el.clientWidth}x${el.clientHeight}`);
  return {scrolls: main.scrollHeight > main.clientHeight + 1
                   || document.scrollingElement.scrollHeight > vh + 1,
          chart: chart ? inside(chart) : null, card: card ? inside(card) : null,
          title: inside(document.querySelector('[data-testid="stMain"] h1')), clipped,
          sidebar: [...document.querySelectorAll('[data-testid="stSidebarContent"]')]
                     .some(el => el.getBoundingClientRect().right > 0),
          nav: document.querySelectorAll('[data-testid="stSidebarNav"]').length};
}"""


def _caption_says(page, text):
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(c => c.textContent.includes(t))", arg=text, timeout=TIMEOUT_MS)
    settle(page, pause_ms=800)


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_every_slide_fits_the_screen(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(server)
        page.wait_for_selector("h1:has-text('Data')")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Segments").click()
        page.get_by_role("button", name="Show as slides").click()
        _caption_says(page, f"Slide 1 of {N_SLIDES}")
        for i in range(N_SLIDES):
            no_exception(page)
            shoot(page, f"slides-{width}x{height}-{i + 1}.png",
                  docs={0: "slides_title.png", 1: "slides_segment.png",
                        N_SLIDES - 1: "slides_overview.png"}.get(i) if width == 1280 else None)
            fit = page.evaluate(FITS)
            assert not fit["scrolls"] and fit["title"] and not fit["clipped"], (i, fit)
            assert fit["card"] is True, (i, fit)
            assert fit["chart"] is (None if i == 0 else True), (i, fit)  # the title slide: text
            assert not fit["sidebar"] and fit["nav"] == 0, (i, fit)
            if i < N_SLIDES - 1:
                page.keyboard.press("ArrowRight")
                _caption_says(page, f"Slide {i + 2} of {N_SLIDES}")
        page.keyboard.press("ArrowLeft")
        _caption_says(page, f"Slide {N_SLIDES - 1} of {N_SLIDES}")
        page.get_by_role("button", name="Back").click()
        _caption_says(page, f"Slide {N_SLIDES - 2} of {N_SLIDES}")
        page.get_by_role("button", name="Leave slides").click()
        page.wait_for_selector('[data-testid="stSidebarNav"]')
        page.wait_for_selector("h1:has-text('Segments')")
    finally:
        context.close()
