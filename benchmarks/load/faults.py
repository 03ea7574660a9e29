"""The fault checks: a tab closed in the middle of a fit, a server restarted under a tab,
and a Dask worker killed in the middle of a command-line fit.

* **tab closed** -- a tab uploads a table of broad overlapping groups
  (``megabytes`` MB), opens Compare, asks for :data:`RESTARTS` restarts (a fit
  ten times as long) and, once that fit is under way (its spinner shows), closes.
  The server's CPU time is read every 0.5 s: the fit counts as stopped at the
  last half second the server was busy (above 5 % of a core) before 5 quiet
  seconds.  Figures: seconds from the close to the stop, and CPU seconds the
  server spent after the close.
* **restart** -- a tab uploads a small table and opens Compare; the server is
  stopped and started again on the same port (same saved-work folder).  The
  tab reconnects by itself; the check reads whether a notice shows without a
  click, then changes the seed on Compare (a user's next step) and reads what
  is loaded and what the page says.
* **Dask worker killed** -- :mod:`benchmarks.load.dask_worker`: ``python -m
  gmm_core fit`` on 3 workers, one killed during iteration 3; the model against
  an undisturbed run's, and the ending when Dask may not recompute.
"""

import contextlib
import tempfile
import time

from benchmarks.load import dask_worker
from benchmarks.load.server import Server, customers_csv, launch_browser
from benchmarks.load.soak import TIMEOUT_MS, open_page, open_tab, settle, upload

RESTART_WORDS = "server was restarted"
#: Restarts (n_init) of the long fit on Compare.
RESTARTS = 10


def _cpu_stop(server, since, *, busy_share=0.05, quiet=5.0, limit=180.0):
    """Seconds after ``since`` until the server's last busy half second; CPU seconds till then.

    Busy: more than ``busy_share`` of a core.  The server counts as stopped once
    it has been quiet for ``quiet`` seconds (on a shared machine a fit can run at
    a small share of a core, so a short lull proves nothing).
    """
    start_cpu = last_cpu = server.cpu_seconds()
    last_busy, busy_cpu, now = since, 0.0, time.monotonic()
    while now - last_busy < quiet and now - since < limit:
        time.sleep(0.5)
        cpu, now = server.cpu_seconds(), time.monotonic()
        if cpu - last_cpu > busy_share * 0.5:
            last_busy, busy_cpu = now, cpu - start_cpu
        last_cpu = cpu
    return last_busy - since, busy_cpu


def tab_closed(*, megabytes=20.0, root=None, log=None, say=print):
    from playwright.sync_api import sync_playwright

    data = customers_csv(7, megabytes, clustered=False)
    with Server(**({"root": root} if root else {}), log=log) as server, \
            sync_playwright() as pw:
        browser = launch_browser(pw)
        ctx, page = open_tab(browser, server.url)
        upload(page, "long-fit.csv", data)
        open_page(page, "Compare", 2)                    # one start: fitted and drawn
        restarts = page.locator('[data-testid="stNumberInputField"]').first
        restarts.fill(str(RESTARTS))                     # the long fit: many restarts
        restarts.press("Enter")
        page.wait_for_selector('[data-testid="stSpinner"]', timeout=TIMEOUT_MS)
        time.sleep(2.0)                                  # the fit is under way
        busy = page.locator('[data-testid="stSpinner"]').count() > 0
        closed = time.monotonic()
        ctx.close()
        seconds, cpu = _cpu_stop(server, closed)
        browser.close()
    say(f"tab closed during a Compare fit ({len(data) / 1e6:.0f} MB, still fitting at the "
        f"close: {busy}): the server was last busy {seconds:.1f} s after the close, "
        f"{cpu:.1f} CPU s spent after it")
    return dict(megabytes=len(data) / 1e6, fitting_at_close=busy, stop_seconds=seconds,
                cpu_seconds_after_close=cpu)


def restart(*, root=None, log=None, say=print):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    saved_dir = tempfile.mkdtemp(prefix="gmm-restart-")
    env = {"GMM_SAVED_DIR": saved_dir}
    kw = dict(**({"root": root} if root else {}), env=env, log=log)
    first = Server(**kw).start()
    with sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            _, page = open_tab(browser, first.url)
            upload(page, "before-restart.csv", customers_csv(3, 0.2))
            open_page(page, "Compare", 2)
        finally:
            first.stop()
        second = Server(**kw, port=first.port).start()
        try:
            page.wait_for_timeout(15000)                # the tab reconnects by itself
            unprompted = RESTART_WORDS in page.locator('[data-testid="stMain"]').inner_text()
            seed = page.locator('[data-testid="stNumberInputField"]').nth(1)
            seed.fill("1")                              # the user's next change: the seed
            seed.press("Enter")
            with contextlib.suppress(PlaywrightTimeout):   # the notice, or the demo
                page.wait_for_function(
                    "words => document.querySelector('[data-testid=\"stMain\"]').innerText"
                    ".includes(words) || document.querySelector('[data-testid=\"stSidebar\"]')"
                    ".innerText.includes('Mall customers')", arg=RESTART_WORDS, timeout=90_000)
            settle(page)
            page.wait_for_timeout(1000)
            main = page.locator('[data-testid="stMain"]').inner_text()
            loaded = page.locator('[data-testid="stSidebar"]').inner_text()
        finally:
            browser.close()
            second.stop()
    figures = dict(notice_before_a_click=unprompted, notice_after_a_click=RESTART_WORDS in main,
                   work_restored="before-restart.csv" in loaded,
                   demo_instead="Mall customers" in loaded)
    say(f"server restarted under an open tab: notice without a click {unprompted}; after the "
        f"first change: notice {figures['notice_after_a_click']}, the upload restored "
        f"{figures['work_restored']}, the demo instead {figures['demo_instead']}")
    return figures


#: The faults, in the order ``python -m benchmarks.load faults`` runs them.
FAULTS = ("tab_closed", "restart", "dask_worker_killed")


def run(*, megabytes=20.0, root=None, log=None, only=None, rows=2_000_000, say=print):
    """Every fault of :data:`FAULTS`, or only those named in ``only``; their figures by name."""
    checks = dict(
        tab_closed=lambda: tab_closed(megabytes=megabytes, root=root, log=log, say=say),
        restart=lambda: restart(root=root, log=log, say=say),
        dask_worker_killed=lambda: dask_worker.dask_worker_killed(rows=rows, say=say))
    return {name: checks[name]() for name in FAULTS if not only or name in only}
