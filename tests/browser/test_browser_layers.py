"""What the Compare and Segments charts really draw, read from plotly's graph divs in chromium.

Regression tests of issue 16: the points were WebGL (``Scattergl``) and the ellipses and
means SVG, and plotly paints its WebGL canvas above every SVG trace, so the points hid the
ellipses and means (at 200,000 rows all of them); at k = 8 the legend was cut off; a change
of covariance type gave the same cluster another colour.  These tests read
``.js-plotly-plot`` ``data`` / ``_fullData`` (what plotly drew, not what a builder meant to
draw).  Same skip rule as ``test_browser.py``.  Screenshots go to ``test-artifacts/``.
"""

import re

import numpy as np
import pytest

import gmm_core
from browser.conftest import ARTIFACTS, TIMEOUT_MS, no_exception, open_page, settle, shoot

pytestmark = pytest.mark.browser

#: Traces drawn on top of the points (``meta`` set by gmm_core.plots).
ON_TOP = ("ellipse halo", "ellipse line", "centres")

TRACES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(p => ({
    title: (p.layout.title && p.layout.title.text) || '',
    traces: p._fullData.map((t, i) => ({
        i: i, meta: p.data[i].meta || null, type: t.type, visible: t.visible,
        n: t.x ? t.x.length : 0,
        colour: t.marker ? t.marker.color : null, symbol: t.marker ? t.marker.symbol : null,
        x: p.data[i].meta === 'centres' ? Array.from(t.x) : null,
        y: p.data[i].meta === 'centres' ? Array.from(t.y) : null})),
}))"""


def _viewport(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server)
    return context, page


@pytest.fixture
def small_page(browser, server):
    """A page at 1400 x 900, the size the issue was seen at."""
    context, page = _viewport(browser, server)
    yield page
    context.close()


def _blobs_csv(tmp_path, n, k, seed):
    data = gmm_core.make_elongated_blobs(n_samples=n, n_components=k, elongation=6.0, rotation=30,
                                         separation=6.0, random_state=seed)
    frame = data.features.copy()
    frame.columns = ["income", "spend"]
    frame.insert(0, "CustomerID", [f"C{i:06d}" for i in range(1, n + 1)])
    path = tmp_path / f"blobs_{n}.csv"
    frame.to_csv(path, index=False)
    return path


def _upload(page, path):
    page.wait_for_selector("h1:has-text('Data')")
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.wait_for_function(
        "name => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes(name)",
        arg=path.name, timeout=TIMEOUT_MS)
    settle(page)
    no_exception(page)


def _open(page, title, n_charts):
    open_page(page, title, n_charts)
    no_exception(page)


def _wait_for_title(page, text):
    page.wait_for_function(
        "t => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.layout.title"
        " && p.layout.title.text.includes(t))", arg=text, timeout=TIMEOUT_MS)
    settle(page, pause_ms=1000)
    no_exception(page)


def _shoot_charts(page, stem):
    for i in range(page.locator(".js-plotly-plot").count()):
        chart = page.locator(".js-plotly-plot").nth(i)
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(ARTIFACTS / f"{stem}_{i}.png"))


def _assert_on_top(chart):
    traces = chart["traces"]
    points = [t for t in traces if t["meta"] in ("points", "rings")]
    top = [t for t in traces if t["meta"] in ON_TOP]
    assert points and top, chart["title"]
    assert {t["type"] for t in points} == {"scattergl"}
    # one WebGL layer, painted in trace order: every ellipse and mean after every point
    assert {t["type"] for t in top} == {"scattergl"}, chart["title"]
    assert min(t["i"] for t in top) > max(t["i"] for t in points), chart["title"]
    # nothing of the model is left in the SVG layer under the canvas
    assert not [t for t in traces if t["type"] == "scatter"], chart["title"]
    assert all(t["visible"] is True for t in top)
    return points, top


@pytest.mark.parametrize("n", [2_000, 200_000])
def test_ellipses_and_means_are_drawn_above_the_points(small_page, tmp_path, n):
    page = small_page
    _upload(page, _blobs_csv(tmp_path, n, 3, seed=0))
    _open(page, "Compare", 2)
    charts = page.evaluate(TRACES_JS)
    assert len(charts) == 2
    kmeans, gmm = charts
    points, top = _assert_on_top(kmeans)
    assert [t["meta"] for t in top] == ["centres"]
    points, top = _assert_on_top(gmm)
    assert sum(t["n"] for t in points if t["meta"] == "points") == min(n, 20_000)
    lines = [t for t in top if t["meta"] == "ellipse line"]
    halos = [t for t in top if t["meta"] == "ellipse halo"]
    assert len(lines) == len(halos) == 2 * 3  # 1σ and 2σ for each of the 3 segments
    # each coloured line has its white halo drawn just before it
    for line in lines:
        assert traces_meta(gmm, line["i"] - 1) == "ellipse halo"
    assert traces_meta(gmm, len(gmm["traces"]) - 1) == "centres"
    _shoot_charts(page, f"layers_{n}")
    shoot(page, f"layers_{n}_page.png", docs=f"compare_{n}_rows.png")  # the README's shots

    # hover: the row key, the features in original units, the segment probabilities
    hover = page.evaluate("""() => { const p = document.querySelectorAll('.js-plotly-plot')[1];
        const i = p.data.findIndex(t => t.meta === 'points'); const t = p._fullData[i];
        return {template: t.hovertemplate, text: Array.from(t.text).slice(0, 50),
                x: Array.from(t.x).slice(0, 50), y: Array.from(t.y).slice(0, 50),
                custom: Array.from(t.customdata).slice(0, 50).map(r => Array.from(r))}; }""")
    key = re.match(r"<b>(\S+) %\{text\}</b>", hover["template"])
    assert key, hover["template"]
    if key.group(1) == "CustomerID":
        assert all(re.fullmatch(r"C\d{6}", t) for t in hover["text"])
    else:  # no ID column recognised: the file line
        assert key.group(1) == "line" and all(2 <= int(t) <= n + 1 for t in hover["text"])
    assert "income: %{customdata[0]" in hover["template"]
    assert "spend: %{customdata[1]" in hover["template"]
    custom = np.asarray(hover["custom"], dtype=float)
    # two features plotted as they are: the hover's values are the drawn point's own
    np.testing.assert_allclose(custom[:, 0], hover["x"])
    np.testing.assert_allclose(custom[:, 1], hover["y"])
    np.testing.assert_allclose(custom[:, 2:].sum(axis=1), 1.0, atol=1e-9)

    # and what the user reads: point at a drawn row of the GMM panel
    if n == 2_000:
        chart = page.locator(".js-plotly-plot").nth(1)
        chart.scroll_into_view_if_needed()
        spot = page.evaluate("""() => { const p = document.querySelectorAll('.js-plotly-plot')[1];
            const i = p.data.findIndex(t => t.meta === 'points'); const t = p._fullData[i];
            const L = p._fullLayout, s = L._size, box = p.getBoundingClientRect();
            return [box.left + s.l + L.xaxis.l2p(t.x[0]),
                    box.top + s.t + L.yaxis.l2p(t.y[0])]; }""")
        page.mouse.move(spot[0] + 1, spot[1] + 1)
        page.mouse.move(*spot)
        page.wait_for_selector(".js-plotly-plot .hoverlayer .hovertext", timeout=TIMEOUT_MS)
        said = page.locator(".js-plotly-plot .hoverlayer .hovertext").first.text_content()
        chart.screenshot(path=str(ARTIFACTS / "layers_hover.png"))
        assert key.group(1) in said and "income:" in said and "spend:" in said, said
        assert "GMM probability" in said and "%" in said, said

    # the Segments overview draws its typical members above the points too
    _open(page, "Segments", 3)
    overview = page.evaluate(TRACES_JS)[0]
    points, top = _assert_on_top(overview)
    assert [t["meta"] for t in top] == ["centres"] and len(top[0]["x"]) == 3
    assert sum(t["n"] for t in points if t["meta"] == "points") == min(n, 20_000)
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.locator(".js-plotly-plot").first.screenshot(
        path=str(ARTIFACTS / f"layers_{n}_segments.png"))


def traces_meta(chart, i):
    return chart["traces"][i]["meta"]


def _set_k(page, k):
    slider = page.locator('[data-testid="stSlider"]', has_text="Number of segments").locator(
        'input[type="range"]')
    slider.focus()
    for _ in range(12):  # one step per key press, until the slider shows k
        now = int(slider.evaluate("el => el.value"))
        if now == k:
            break
        slider.press("ArrowRight" if now < k else "ArrowLeft")
    _wait_for_title(page, f"k = {k} (")  # the GMM panel's title: "k = 10 (full)"


def test_legends_fit_inside_the_figure_at_k_10(small_page, tmp_path):
    page = small_page
    _upload(page, _blobs_csv(tmp_path, 2_000, 5, seed=1))
    _open(page, "Compare", 2)
    _set_k(page, 10)
    boxes = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
        const fig = p.querySelector('.main-svg').getBoundingClientRect();
        const legend = p.querySelector('.legend').getBoundingClientRect();
        const s = p._fullLayout._size;
        return {fig: [fig.left, fig.top, fig.right, fig.bottom],
                legend: [legend.left, legend.top, legend.right, legend.bottom],
                plot_bottom: fig.top + s.t + s.h, plot: [s.w, s.h],
                entries: p.querySelectorAll('.legend .traces').length}; })""")
    _shoot_charts(page, "legend_k10")
    assert len(boxes) == 2
    for box in boxes:
        assert box["entries"] >= 10 + 1
        (fl, ft, fr, fb), (ll, lt, lr, lb) = box["fig"], box["legend"]
        assert fl - 1 <= ll and lr <= fr + 1 and ft - 1 <= lt and lb <= fb + 1, box
        assert lt >= box["plot_bottom"], box  # below the plot area, not over the data
    assert boxes[0]["plot"] == boxes[1]["plot"]  # the two panels' plot areas match


def _nearest_colour(chart, point):
    centres = next(t for t in chart["traces"] if t["meta"] == "centres")
    d = np.hypot(np.asarray(centres["x"]) - point[0], np.asarray(centres["y"]) - point[1])
    j = int(np.argmin(d))
    return centres["colour"][j], centres["symbol"][j]


def test_a_segment_keeps_its_colour_when_the_covariance_type_changes(small_page, tmp_path):
    """On these blobs the engine's canonical order numbers two middle clusters differently
    under ``full`` and ``spherical`` (it did reshuffle the colours before the matching)."""
    page = small_page
    _upload(page, _blobs_csv(tmp_path, 2_000, 5, seed=1))
    _open(page, "Compare", 2)
    _set_k(page, 5)
    before = page.evaluate(TRACES_JS)[1]
    assert "(full)" in before["title"]
    centres = next(t for t in before["traces"] if t["meta"] == "centres")
    probes = list(zip(centres["x"], centres["y"], strict=True))
    seen = [_nearest_colour(before, p) for p in probes]
    assert len(set(c for c, _ in seen)) == 5 and len(set(s for _, s in seen)) == 5

    page.locator('[data-testid="stSelectbox"]', has_text="GMM covariance type").click()
    page.get_by_role("option", name="spherical", exact=True).click()
    _wait_for_title(page, "(spherical)")
    after = page.evaluate(TRACES_JS)
    _shoot_charts(page, "colours_spherical")
    for p, was in zip(probes, seen, strict=True):
        assert _nearest_colour(after[1], p) == was, p
        assert _nearest_colour(after[0], p) == was, p  # KMeans' centroids too
    # the points of that segment keep colour and shape: one trace per segment, in slot order
    pts = [(t["colour"], t["symbol"]) for t in after[1]["traces"] if t["meta"] == "points"]
    assert sorted(pts) == sorted(seen)

    # Segments shows the same model with the same colours
    _open(page, "Segments", 3)
    overview = page.evaluate(TRACES_JS)[0]
    for p, was in zip(probes, seen, strict=True):
        assert _nearest_colour(overview, p) == was, p
