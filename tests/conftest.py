"""Shared test data factories."""

import numpy as np
import pytest

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def blobs(n_per=60, centers=((0.0, 0.0), (6.0, 1.0), (1.0, 7.0)), scale=1.0, seed=0):
    """Well-separated Gaussian blobs: (X, y)."""
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(c, scale, (n_per, len(c))) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per)
    perm = rng.permutation(len(y))
    return X[perm], y[perm]


def elongated(n_per=200, seed=0):
    """Three long thin parallel clusters, where k-means cuts across them: (X, y)."""
    rng = np.random.RandomState(seed)
    cov = np.array([[9.0, 0.0], [0.0, 0.15]])
    X = np.vstack([rng.multivariate_normal((0.0, 3.0 * j), cov, n_per) for j in range(3)])
    y = np.repeat(np.arange(3), n_per)
    return X, y


def init_arrays(X, k, covariance_type, seed=1):
    """A fixed, deliberately poor starting point (weights, means, precisions)."""
    rng = np.random.RandomState(seed)
    d = X.shape[1]
    weights = np.full(k, 1.0 / k)
    means = X[rng.choice(len(X), k, replace=False)]
    scale = 1.0 / np.var(X, axis=0).mean()
    precisions = {"full": np.stack([np.eye(d) * scale] * k), "tied": np.eye(d) * scale,
                  "diag": np.full((k, d), scale), "spherical": np.full(k, scale)}
    return weights, means, precisions[covariance_type]


@pytest.fixture
def blob_data():
    return blobs()


@pytest.fixture(params=COVARIANCE_TYPES)
def covariance_type(request):
    return request.param


# --- real-browser tests: one Streamlit server and one chromium for the session -----------
import os  # noqa: E402
import pathlib  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"
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


@pytest.fixture(scope="session")
def server():
    """``streamlit run app.py`` on a free loopback port; yields its URL."""
    require_browser()
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
            pytest.fail("streamlit did not start: "
                        + (ARTIFACTS / "streamlit.log").read_text()[-2000:])
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
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh page of the app; ``@pytest.mark.viewport(height)`` makes it taller."""
    marker = request.node.get_closest_marker("viewport")
    height = marker.args[0] if marker else 1500
    context = browser.new_context(viewport={"width": 1440, "height": height})
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


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def shoot(page, name, docs=None):
    """Full-page screenshot into test-artifacts/, copied to docs/``docs`` when given."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / docs)
    return path
