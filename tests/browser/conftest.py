"""The browser tests' fixtures: one Streamlit server and one Debian chromium for the session."""

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOC_SHOTS = ARTIFACTS / "docs"  # candidates for docs/*.png: see refresh_docs.py
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 90_000


def require_browser():
    """Skip with the reason when chromium or Playwright is missing; under CI=true, fail."""
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


def _start_server(port, log):
    """Start ``streamlit run app.py`` on ``port``; its URL once healthy, or None if it exited."""
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
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return None, url
        time.sleep(0.3)


@pytest.fixture(scope="session")
def server():
    """``streamlit run app.py`` on a free loopback port; yields its URL.

    Under pytest-xdist each worker starts its own server, with its own log
    (``test-artifacts/streamlit-gw0.log``, ...); a port another worker took in
    the meantime makes the server exit, and the next free port is tried.
    """
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    log = open(log_path, "w")
    for _attempt in range(3):
        proc, url = _start_server(_free_port(), log)
        if proc is not None:
            break
    else:
        log.close()
        pytest.fail("streamlit did not start: " + log_path.read_text()[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh page of the app; ``@pytest.mark.viewport(height[, width])`` sets its size."""
    marker = request.node.get_closest_marker("viewport")
    height = marker.args[0] if marker else 1500
    width = marker.args[1] if marker and len(marker.args) > 1 else 1440
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server)
    yield pg
    context.close()


def settle(page, pause_ms=600):
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(pause_ms)


def open_page(page, title, n_charts, pause_ms=1000):
    """Open the app page ``title`` from the sidebar and wait for ``n_charts`` plotly charts."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.wait_for_selector(f"h1:has-text('{title}')")
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length >= {n_charts}",
        timeout=TIMEOUT_MS)
    settle(page, pause_ms=pause_ms)


def rename_first_segment(page, name):
    """Type ``name`` into the Segments page's first name box; wait for the legend to show it."""
    box = page.locator('[data-testid="stTextInput"] input').first
    box.fill(name)
    box.press("Enter")
    page.wait_for_function(
        "name => [...document.querySelectorAll('.js-plotly-plot .legendtext')]"
        ".some(t => t.textContent === name)", arg=name, timeout=TIMEOUT_MS)


def download(page, label):
    """Click the download button ``label``; the downloaded file's bytes."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name=label, exact=True).click()
    return info.value.path().read_bytes()


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def shoot(page, name, docs=None, *, element=None):
    """Full-page screenshot into test-artifacts/; also test-artifacts/docs/``docs`` when given.

    ``element`` (a locator) shoots that element alone, e.g. one segment card.
    Tests never write into the tree: ``python -m tests.browser.refresh_docs`` runs
    the browser tests and copies test-artifacts/docs/*.png over docs/.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if element is not None:
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    if docs:
        DOC_SHOTS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / docs)
    return path
