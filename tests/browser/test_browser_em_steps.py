"""Real-browser flows of EM step by step at 1400 x 900: one step control, click to explain.

The page has one current step (:mod:`ui.stepper`); these tests read what the
browser shows -- the chart's ``layout.meta`` and its "this step" marker, the
slider, the step sentence, the formulas' and the heatmap's headings -- and
check that they agree after Play and Pause, and that a click on a point makes
it the explained row, ringed on the chart.  Screenshots of every start method
at step 0 and at the end go to ``test-artifacts/em/``.
"""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser.conftest import (
    ARTIFACTS,
    TIMEOUT_MS,
    no_exception,
    settle,
)

pytestmark = [pytest.mark.browser]

SHOTS = ARTIFACTS / "em"
STEP_TEXT = ("() => { const m = document.querySelector('[data-testid=\"stMain\"]')"
             ".innerText.match(/Step (\\d+) of (\\d+)/); return m ? [+m[1], +m[2]] : null; }")
CHART = "document.querySelector('.js-plotly-plot')"


@pytest.fixture
def window(browser, server):
    """A fresh session in a 1400 x 900 window (the size the layout is made for), at Data."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server)
    pg.wait_for_selector("h1:has-text('Data')")
    yield pg
    context.close()


def _open_em(pg):
    pg.locator('[data-testid="stSidebarNav"] a', has_text="EM step by step").click()
    pg.wait_for_selector("h1:has-text('EM step by step')")
    pg.wait_for_selector(".js-plotly-plot")
    settle(pg, 800)
    return pg


@pytest.fixture
def em(window):
    """The EM page of a fresh session (the customers demo)."""
    return _open_em(window)


def _shown_steps(page):
    """Every place the page shows the current step, read from the browser in one snapshot.

    Plotly draws asynchronously after Streamlit has delivered a run, the formulas
    below the chart arrive later in the same run, and the slider is replaced (a new
    key) when the server moves the step, its old element removed once the run ends.
    So this waits (up to 20 s) for a moment in which every view names the sentence's
    step and one slider is left, and reads them all in that moment; if none comes, it
    returns the last snapshot, for :func:`_agree` to report what disagreed.
    """
    read = f"""() => {{
        const s = ({STEP_TEXT})(); const g = {CHART};
        const sliders = document.querySelectorAll(
            '[role="group"][aria-label="Step"] input[type="range"]');
        if (!s || !g || !g.layout || !g.layout.meta || !g.data) return null;
        const text = document.querySelector('[data-testid="stMain"]').textContent;
        const all = re => [...text.matchAll(re)].map(m => +m[1]);
        const marker = g.data.find(t => t.name === 'this step');
        return {{"sentence": s[0], "chart meta": g.layout.meta.step,
                 "likelihood marker": marker ? marker.x[0] : null,
                 "slider": sliders.length === 1 ? +sliders[0].value : null,
                 "formulas": all(/E-step at step (\\d+)/g),
                 "m-step": all(/from the responsibilities at step (\\d+)/g),
                 "heatmap": all(/Responsibilities at step (\\d+)/g)}};
    }}"""
    agreed = f"""() => {{
        const v = ({read})(); if (!v) return null; const s = v.sentence;
        const one = a => a.length === 1 && a[0] === s;
        return v["chart meta"] === s && v["likelihood marker"] === s && v.slider === s
            && one(v.formulas) && one(v["m-step"]) && (v.heatmap.length === 0 || one(v.heatmap))
            ? v : null;
    }}"""
    try:
        return page.wait_for_function(agreed, timeout=20_000).json_value()
    except PlaywrightTimeout:
        return page.evaluate(read)


def _agree(shown):
    step = shown["sentence"]
    assert shown["chart meta"] == shown["likelihood marker"] == shown["slider"] == step, shown
    assert shown["formulas"] == [step] and shown["m-step"] == [step], shown
    assert shown["heatmap"] in ([step], []), shown  # no heatmap at step 0
    return step


def test_play_then_pause_leaves_one_step_everywhere(em):
    """Issue 17: after plotly's Play/Pause the chart showed step 13 and the formulas step 2."""
    page = em
    assert _agree(_shown_steps(page)) == 0
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] >= 3", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="❚❚ Pause").click()
    page.wait_for_selector("button:has-text('▶ Play')")
    settle(page, 1500)
    no_exception(page)
    paused = _agree(_shown_steps(page))
    assert paused >= 3
    page.wait_for_timeout(2000)  # paused means paused: no timer moves the step on
    settle(page, 300)
    assert _agree(_shown_steps(page)) == paused
    page.get_by_role("button", name="Forward ▶").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] == {paused + 1}", timeout=TIMEOUT_MS)
    settle(page, 800)
    assert _agree(_shown_steps(page)) == paused + 1


def test_play_runs_to_the_end_and_stops(em):
    page = em
    last = page.evaluate(STEP_TEXT)[1]
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] == {last}", timeout=TIMEOUT_MS)
    page.wait_for_selector("button:has-text('▶ Play')")
    settle(page, 1500)
    assert _agree(_shown_steps(page)) == last


def _lonely_point(page, rank=0):
    """Page coordinates, row position and data of the drawn point farthest from any other
    (on screen), so that a click there can only hit that point; ``rank`` 1, 2, ... the
    next loneliest."""
    return page.evaluate(f"""(rank) => {{
        const gd = {CHART}, t = gd._fullData[0], xa = gd._fullLayout.xaxis,
              ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        const px = Array.from(t.x, v => xa.l2p(v)), py = Array.from(t.y, v => ya.l2p(v));
        const gaps = [];
        for (let i = 0; i < px.length; i++) {{
            let near = Infinity;
            for (let j = 0; j < px.length; j++) {{
                if (j !== i) near = Math.min(near, Math.hypot(px[i] - px[j], py[i] - py[j]));
            }}
            const inside = px[i] > 20 && px[i] < xa._length - 20 && py[i] > 20
                           && py[i] < ya._length - 20;
            if (inside) gaps.push([near, i]);
        }}
        gaps.sort((a, b) => b[0] - a[0]);
        const [far, best] = gaps[rank];
        return {{left: box.left + xa._offset + px[best], top: box.top + ya._offset + py[best],
                 row: t.customdata[best], x: t.x[best], y: t.y[best], gap: far}};
    }}""", rank)


def test_click_a_point_to_explain_it(em):
    page = em
    page.get_by_role("button", name="Forward ▶").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] == 1", timeout=TIMEOUT_MS)
    settle(page, 800)
    target = _lonely_point(page)
    assert target["gap"] > 8 and target["row"] != 0  # not the row explained already
    page.mouse.move(target["left"], target["top"])
    page.mouse.click(target["left"], target["top"])
    key = f"CustomerID C{target['row'] + 1:05d}"  # the demo's row key: its CustomerID column
    page.wait_for_function(
        "(key) => document.querySelector('[data-testid=\"stMain\"]').innerText"
        ".includes(key + ':')", arg=key, timeout=TIMEOUT_MS)
    settle(page, 800)
    no_exception(page)
    ring = page.evaluate(f"() => {CHART}.data.filter(t => t.name === 'explained row')"
                         ".map(t => [t.x[0], t.y[0]])")
    assert ring and all(abs(x - target["x"]) < 1e-6 and abs(y - target["y"]) < 1e-6
                        for x, y in ring)
    assert _agree(_shown_steps(page)) == 1  # a click explains; it does not move the step
    page.get_by_role("button", name="Forward ▶").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] == 2", timeout=TIMEOUT_MS)
    settle(page, 800)
    ring = page.evaluate(f"() => {CHART}.data.filter(t => t.name === 'explained row')"
                         ".map(t => t.x[0])")
    assert ring and abs(ring[0] - target["x"]) < 1e-6  # ringed at every step


def test_ellipses_and_means_are_drawn_above_the_points(em):
    """Issue 16 item 1: SVG ellipses vanished under the WebGL points."""
    page = em
    types = page.evaluate(f"() => {CHART}._fullData.filter(t => t.xaxis === 'x')"
                          ".map(t => [t.type, t.name])")
    assert types[0] == ["scattergl", "points"]
    assert {t for t, _ in types} == {"scattergl"}  # one WebGL layer, painted in order
    names = [n for _, n in types]
    assert names.index("means") > 0 and any("outline" in n for n in names[1:])


def _choose_start(page, start):
    box = page.locator('[data-testid="stSelectbox"]', has_text="Start (init method)")
    box.click()
    page.get_by_role("option", name=start, exact=True).click()


def test_click_k_points_to_choose_the_start(em):
    """Issue 17, item 4: place the starting means by clicking, then step EM from there."""
    page = em
    _choose_start(page, "your clicks")
    page.wait_for_selector("text=Click 5 more point(s)")
    settle(page, 800)
    picked = []
    for i in range(5):
        target = _lonely_point(page, rank=3 * i)  # spread over the loneliest points
        assert target["gap"] > 6
        page.mouse.move(target["left"], target["top"])
        page.mouse.click(target["left"], target["top"])
        picked.append(target)
        if i < 4:
            page.wait_for_selector(f"text=Click {4 - i} more point(s)")
            settle(page, 800)
            clicked = page.evaluate(f"() => {CHART}._fullData[1].x.length")
            assert clicked == i + 1
    page.wait_for_function(f"({STEP_TEXT})() && ({STEP_TEXT})()[0] == 0", timeout=TIMEOUT_MS)
    settle(page, 1200)
    no_exception(page)
    seeds = page.evaluate(f"() => {CHART}._fullData"
                          ".filter(t => t.name === 'seed points of the start')"
                          ".map(t => Array.from(t.x))")
    assert seeds and sorted(seeds[0]) == pytest.approx(sorted(p["x"] for p in picked))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "start-your-clicks-step0.png"))
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"({STEP_TEXT})()[0] >= 2", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="❚❚ Pause").click()
    page.wait_for_selector("button:has-text('▶ Play')")
    settle(page, 1200)
    _agree(_shown_steps(page))
    page.screenshot(path=str(SHOTS / "start-your-clicks-playing.png"))


@pytest.mark.parametrize("start", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_start_at_step_0_and_at_the_end(em, start):
    page = em
    SHOTS.mkdir(parents=True, exist_ok=True)
    _choose_start(page, start)
    page.wait_for_function(f"({STEP_TEXT})() && ({STEP_TEXT})()[0] == 0", timeout=TIMEOUT_MS)
    settle(page, 1200)
    no_exception(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "0/0" not in body
    page.screenshot(path=str(SHOTS / f"start-{start}-step0.png"))
    ll = page.evaluate(f"() => {CHART}.layout.yaxis2.range")
    assert ll[1] - ll[0] < 5  # readable: no start hundreds of thousands below the answer
    last = page.evaluate(STEP_TEXT)[1]
    slider = page.locator('[role="group"][aria-label="Step"] input[type="range"]').first
    slider.focus()
    page.keyboard.press("End")
    page.wait_for_function(f"({STEP_TEXT})()[0] == {last}", timeout=TIMEOUT_MS)
    settle(page, 1200)
    _agree(_shown_steps(page))
    page.screenshot(path=str(SHOTS / f"start-{start}-end.png"))


def test_restarts_side_by_side_on_the_elongated_demo(window):
    """Issue 17, item 5: n starts grouped by optimum, small multiples, pick one to step."""
    page = window
    settle(page, 600)
    page.get_by_role("tab", name="Generate or load a demo").click()
    page.locator('[data-testid="stSelectbox"]', has_text="Dataset").click()
    page.get_by_role("option", name="Elongated clusters").click()
    page.get_by_role("button", name="Load this dataset").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           ".innerText.includes('Elongated clusters')", timeout=TIMEOUT_MS)
    settle(page, 600)
    _open_em(page)  # k = 3, the demo's known groups
    _choose_start(page, "k-means++")
    settle(page, 800)
    page.get_by_role("button", name="Run 12 starts").click()
    page.wait_for_selector("text=distinct optim", timeout=TIMEOUT_MS)
    settle(page, 1500)
    no_exception(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    found = int(re.search(r"12 starts found (\d+) distinct optim", text).group(1))
    assert found >= 2  # k-means++ on three long thin clusters finds more than one optimum
    titles = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".pop().layout.annotations.map(a => a.text)")
    counts = [int(re.search(r"(\d+) of 12 starts", t).group(1)) for t in titles]
    assert len(counts) == min(found, 6) and sum(counts) <= 12 and counts[0] >= 2
    restarts = page.locator(".js-plotly-plot").last
    restarts.scroll_into_view_if_needed()
    settle(page, 600)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "restarts-elongated.png"), full_page=True)
    button = page.get_by_role("button", name=re.compile(r"Step through 2 \(seed \d+\)"))
    seed = re.search(r"seed (\d+)", button.inner_text()).group(1)
    button.click()
    page.wait_for_function(f"({STEP_TEXT})() && ({STEP_TEXT})()[0] == 0", timeout=TIMEOUT_MS)
    settle(page, 1200)
    box = page.locator('[data-testid="stNumberInput"]', has_text="Seed").locator("input")
    assert box.input_value() == seed
    _agree(_shown_steps(page))
