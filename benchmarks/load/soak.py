"""The soak: many uploads of distinct files across a few open sessions, and the server's memory.

Each of ``sessions`` browser tabs (Playwright + Debian chromium) opens the app;
then, round robin, a tab uploads a distinct CSV of ``megabytes`` MB on the
Data page and opens Compare (both models fitted and drawn).  After each upload
the server's resident memory (``VmRSS``) is read.  Then every tab closes and,
after Streamlit's disconnected-session TTL (``linger`` seconds), it is read
again.

Figures: the RSS curve (one value per upload), its slope over the last half of
the uploads (least squares, MB per upload), its peak, and the RSS after close
against the *fresh* server's: RSS once one tab has opened Data and Compare on
the demo, before any upload.
"""

import time

import numpy as np

from benchmarks.load.server import Server, customers_csv, launch_browser

TIMEOUT_MS = 240_000


def settle(page, pause_ms=400):
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(pause_ms)


def open_page(page, title, n_charts):
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=TIMEOUT_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length >= {n_charts}",
        timeout=TIMEOUT_MS)
    settle(page)


def open_tab(browser, url):
    """A new browser tab (its own context: its own Streamlit session) with the Data page drawn."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("h1:has-text('Data')")
    settle(page)
    return ctx, page


def upload(page, name, data):
    """Upload ``data`` as ``name`` on the Data page; wait until the sidebar names it."""
    if page.locator("h1:has-text('Data')").count() == 0:
        open_page(page, "Data", 1)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.wait_for_function(
        "name => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes(name)",
        arg=name, timeout=TIMEOUT_MS)
    settle(page)
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    if errors.count():
        raise RuntimeError(f"{name}: the page showed {errors.first.inner_text()[:300]!r}")


def slope(values):
    """Least-squares slope of ``values`` against their index (MB per step)."""
    y = np.asarray(values, dtype=float)
    return float(np.polyfit(np.arange(y.size), y, 1)[0]) if y.size >= 2 else 0.0


def run(*, sessions=6, uploads=60, megabytes=5.0, linger=140.0, env=None, root=None,
        log=None, say=print, browser=None):
    """Run the soak; returns a dict of its figures (see the module docs).

    ``browser``: a Playwright browser to open the tabs in (a test's, whose Playwright
    already runs in this thread); by default the soak launches its own.
    """
    from contextlib import nullcontext

    from playwright.sync_api import sync_playwright

    files = [(f"soak-{i:03d}.csv", customers_csv(i, megabytes)) for i in range(uploads)]
    server = Server(**({"root": root} if root else {}), env=env, log=log)
    own = browser is None
    with server, (sync_playwright() if own else nullcontext()) as pw:
        browser = launch_browser(pw) if own else browser
        start_rss = server.rss_mb()
        contexts, pages = [], []
        for s in range(sessions):
            ctx, pg = open_tab(browser, server.url)
            if s == 0:
                open_page(pg, "Compare", 2)
                fresh = server.rss_mb()
                say(f"server RSS at start {start_rss:.0f} MB; fresh (one tab, demo on Data "
                    f"and Compare) {fresh:.0f} MB")
            contexts.append(ctx)
            pages.append(pg)
        curve, seconds = [], []
        for i, (name, data) in enumerate(files):
            pg = pages[i % sessions]
            t0 = time.perf_counter()
            upload(pg, name, data)
            open_page(pg, "Compare", 2)
            seconds.append(time.perf_counter() - t0)
            curve.append(server.rss_mb())
            if (i + 1) % 10 == 0 or i + 1 == uploads:
                say(f"  after upload {i + 1:3d}: RSS {curve[-1]:7.0f} MB "
                    f"(upload + Compare {seconds[-1]:.1f} s)")
        for ctx in contexts:
            ctx.close()
        if own:
            browser.close()
        closed = [server.rss_mb()]
        deadline = time.monotonic() + linger
        while time.monotonic() < deadline:
            time.sleep(min(10.0, max(deadline - time.monotonic(), 0)))
            closed.append(server.rss_mb())
        after = closed[-1]
    half = curve[len(curve) // 2:]
    figures = dict(sessions=sessions, uploads=uploads, megabytes=len(files[0][1]) / 1e6,
                   start_mb=start_rss, fresh_mb=fresh, curve_mb=curve, peak_mb=max(curve),
                   slope_mb_per_upload=slope(half), after_close_mb=after,
                   after_close_growth_mb=after - fresh, linger_s=linger,
                   median_upload_compare_s=float(np.median(seconds)))
    say(f"slope over the last {len(half)} uploads: {figures['slope_mb_per_upload']:.2f} MB per "
        f"upload; peak {figures['peak_mb']:.0f} MB; {linger:.0f} s after every tab closed: "
        f"{after:.0f} MB ({after - fresh:+.0f} MB against fresh)")
    return figures
