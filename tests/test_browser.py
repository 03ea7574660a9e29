"""Real-browser flows: Streamlit served on loopback, driven by Playwright + Debian chromium.

Skipped (with the reason) when /usr/bin/chromium is missing, except under
``CI=true``, where a missing browser is a failure.  Screenshots go to
``test-artifacts/`` and refresh the README's ``docs/*.png``.
"""

import os
import pathlib
import shutil
import socket
import subprocess
import sys
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

CSV = ("customer;annual income (k$);spending score (1-100);region\n"
       + "".join(f"C{i:04d};{30 + 50 * (i % 2) + (i * 7919 % 23) * 0.9:.1f};"
                 f"{20 + 55 * (i % 2) + (i * 104729 % 19)};{'north' if i % 3 else 'south'}\n"
                 for i in range(400)))


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


@pytest.fixture(scope="session")
def server():
    _require_browser()
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
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
            pytest.fail("streamlit did not start: " + (ARTIFACTS / "streamlit.log").read_text()[-2000:])
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1500})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server)
    yield pg
    context.close()


def _settle(page):
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(600)


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def _shoot(page, name, docs=False):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / name)


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
        "() => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes('shop_export.csv')",
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
        "() => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes('Elongated clusters')",
        timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    _open_compare(page)
    _no_exception(page)
    sentence = page.locator('[data-testid="stAlertContentInfo"]').inner_text()
    assert "KMeans" in sentence
    _shoot(page, "compare_elongated.png", docs=True)
