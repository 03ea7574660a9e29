"""Real-browser flows of EM step by step and Choose k (Playwright + Debian chromium).

Same rule as ``tests/test_browser.py``: skipped with the reason when
/usr/bin/chromium is missing, except under ``CI=true``, where that is a
failure.  Screenshots go to ``test-artifacts/`` and refresh ``docs/em_steps.png``
and ``docs/choose_k.png``.  The server fixture is this file's own, so the two
browser files stay independent.
"""

import concurrent.futures
import os
import pathlib
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 90_000

pytestmark = pytest.mark.browser


def _require_browser():
    if os.path.exists(CHROMIUM):
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the machine
            reason = f"playwright is not installed ({exc}); pip install -r requirements-dev.txt"
        else:
            return
    else:
        reason = f"{CHROMIUM} not found; install Debian's chromium: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def em_server():
    _require_browser()
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit_em.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("streamlit did not start: "
                        + (ARTIFACTS / "streamlit_em.log").read_text()[-2000:])
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class _BrowserThread:
    """A chromium driven by Playwright's sync API in a thread of its own.

    ``tests/test_browser.py`` keeps a session-wide sync Playwright open in the main
    thread, and a second one cannot start beside it there ("Sync API inside the
    asyncio loop"); a separate thread has no running loop, so both files can run in
    one pytest session without sharing fixtures.
    """

    def __init__(self):
        self._jobs = queue.Queue()
        self._ready = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="em-browser", daemon=True)
        self._thread.start()
        self._ready.result(timeout=120)

    def _main(self):
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
                self._ready.set_result(True)
                while (job := self._jobs.get()) is not None:
                    fn, future = job
                    try:
                        future.set_result(fn(browser))
                    except BaseException as exc:  # handed to the test thread
                        future.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)

    def run(self, fn, timeout=600):
        """``fn(browser)`` in the browser thread; its result, or its exception re-raised."""
        future = concurrent.futures.Future()
        self._jobs.put((fn, future))
        return future.result(timeout=timeout)

    def close(self):
        self._jobs.put(None)
        self._thread.join(timeout=30)


@pytest.fixture(scope="module")
def em_browser():
    _require_browser()
    runner = _BrowserThread()
    yield runner
    runner.close()


@pytest.fixture
def em_page(em_browser, em_server):
    """``run(flow)``: calls ``flow(page)`` on a fresh page of the app, in the browser thread."""

    def run(flow):
        def job(browser):
            # tall enough that a full-page screenshot holds the whole page
            context = browser.new_context(viewport={"width": 1440, "height": 2300})
            try:
                pg = context.new_page()
                pg.set_default_timeout(TIMEOUT_MS)
                pg.goto(em_server)
                pg.wait_for_selector("h1:has-text('Data')")
                return flow(pg)
            finally:
                context.close()
        return em_browser.run(job)

    return run


def _settle(page):
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(800)


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def _shoot(page, name, docs=None):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / docs)


def _open(page, title, n_charts):
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.wait_for_selector(f"h1:has-text('{title}')")
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length >= {n_charts}",
        timeout=TIMEOUT_MS)
    _settle(page)


def test_em_play_animates_in_the_browser(em_page):
    em_page(_play_flow)


def _play_flow(page):
    _open(page, "EM step by step", 2)
    _no_exception(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Step 0 of" in body and ("Converged after" in body or "max_iter" in body)
    _shoot(page, "em_steps.png", docs="em_steps.png")
    chart = page.locator(".js-plotly-plot").first
    active = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
    assert page.evaluate(active) == 0
    chart.locator(".updatemenu-button", has_text="Play").click()
    page.wait_for_function(f"({active})() >= 2", timeout=TIMEOUT_MS)
    first = chart.screenshot(path=str(ARTIFACTS / "em_play_1.png"))
    step_first = page.evaluate(active)
    page.wait_for_function(f"({active})() >= {step_first + 3}", timeout=TIMEOUT_MS)
    second = chart.screenshot(path=str(ARTIFACTS / "em_play_2.png"))
    assert first != second
    # the animation ran in the browser: the server did not rerun the script
    assert "Step 0 of" in page.locator('[data-testid="stMain"]').inner_text()
    chart.locator(".updatemenu-button", has_text="Pause").click()


def test_em_forward_button_steps(em_page):
    em_page(_forward_flow)


def _forward_flow(page):
    _open(page, "EM step by step", 2)
    page.get_by_role("button", name="Forward ▶").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').innerText.includes('Step 1 of')",
        timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    assert "iteration 1, E-step" in page.locator('[data-testid="stMain"]').inner_text()


def test_choose_k_recommends_and_sends_to_compare(em_page):
    em_page(_choose_k_flow)


def _choose_k_flow(page):
    _open(page, "Choose k", 3)
    _no_exception(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Recommended:" in text and "lower is better" in text
    _shoot(page, "choose_k.png", docs="choose_k.png")
    button = page.get_by_role("button", name="on Compare")
    k = button.inner_text().split("k = ")[1].split(",")[0]
    button.click()
    page.wait_for_selector("text=open Compare", timeout=TIMEOUT_MS)
    _settle(page)
    _open(page, "Compare", 2)
    _no_exception(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="Number of segments")
    assert slider.locator('input[type="range"]').get_attribute("value") == k
