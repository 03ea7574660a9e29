"""Many users at once, and a noisy neighbour: page times as the user feels them.

**The crowd** (``crowd``): each of ``sessions`` users (a browser context of its
own: its own Streamlit session) uploads a distinct table of 10,000 to 50,000
rows (seeded, spread evenly over the users), then opens Compare, Choose k and
Segments.  Each step is timed from the user's action (the file given to the
uploader, the click in the menu) until the page is drawn: its title and charts
are there and nothing runs any more (no "Running…", spinner, progress bar or
waiting notice), and still so a moment later.  First every user goes through
the flow **alone**, one after the other; then all of them **at once**, started
together, on other tables of the same sizes (no cached fit is reused).  After
every step the page is read: the sidebar must name the user's own file, the
page must give its row count, and no other user's file name may show.

**The noisy neighbour** (``neighbour``): one user uploads a large table and
opens Choose k (a long sweep); another, on a small table, changes Compare's
seed again and again (a new fit each time) -- first alone, then while the
sweep runs.  Its Compare times alone and beside the sweep are compared.

The server side is timed too: the server runs under :mod:`benchmarks.load.timed`,
which logs every script run, so each step's time is also given as the time the
server spent running that page (waiting for a fit slot included).  What the
user feels beyond it is the browser's share: the websocket, drawing the page,
and the harness's own polling -- on a 2-core machine, 8 Chromium renderers
compete with the server for the cores.

Traffic goes only to the ``127.0.0.1`` server this module starts; every wait
has a time bound.
"""

import asyncio
import json
import os
import pathlib
import statistics
import tempfile
import threading
import time

from benchmarks.load.server import CHROMIUM, CHROMIUM_ARGS, Server, customers_csv, launch_browser
from benchmarks.load.soak import TIMEOUT_MS, open_page, open_tab, upload

__all__ = ["neighbour", "run", "spread", "table"]

#: The flow: (step, page title, page script, charts the drawn page shows at least).
STEPS = (("upload", "Data", "data", 1), ("Compare", "Compare", "compare", 2),
         ("Choose k", "Choose k", "choose_k", 3), ("Segments", "Segments", "segments", 2))
#: Seconds a drawn page must stay drawn before its step counts as done.
STABLE_S = 0.3
#: Seconds between two looks at a waiting page (a look is one round trip to its renderer).
POLL_S = 0.1
#: True once the page titled ``title`` shows ``charts`` charts and nothing runs.
_DRAWN = """([title, charts, name]) => {
  const q = s => document.querySelector(s);
  if (q('[data-testid="stStatusWidget"]') || q('[data-testid="stSpinner"]')
      || q('[data-testid="stProgress"]')) return false;
  if (![...document.querySelectorAll('h1')].some(h => h.innerText.includes(title)))
    return false;
  if (document.querySelectorAll('.js-plotly-plot').length < charts) return false;
  const side = q('[data-testid="stSidebar"]');
  return !name || (side !== null && side.innerText.includes(name));
}"""
_TEXT = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const svg = [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent);
  return [app ? app.innerText : '', svg.join(' '),
          (document.querySelector('[data-testid="stSidebar"]') || {}).innerText || ''];
}"""
_ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def spread(n, low=10_000, high=50_000):
    """``n`` row counts from ``low`` to ``high``, evenly spaced (distinct for distinct users)."""
    if n == 1:
        return [low]
    return [round(low + (high - low) * i / (n - 1)) for i in range(n)]


class User:
    """One browser context going through the flow; its steps' times, what it saw.

    Driven with Playwright's async API: each user waits on its own page, so a
    renderer busy drawing one user's charts delays no other user's clock.
    """

    def __init__(self, tag, index, rows, seed):
        self.tag, self.index, self.rows = tag, index, rows
        self.name = f"{tag}{index:02d}-{rows}.csv"
        self.data = customers_csv(seed, rows=rows)
        self.ctx = self.page = None
        self.seconds, self.problems = {}, []

    async def open(self, browser, url):
        """A new context (its own Streamlit session) with the Data page drawn, untimed."""
        self.ctx = await browser.new_context(viewport={"width": 1280, "height": 1000})
        self.page = await self.ctx.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        await self.page.goto(url)
        await self.drawn("Data", 1)
        return self

    async def close(self):
        if self.ctx is not None:
            await self.ctx.close()
            self.ctx = self.page = None

    async def drawn(self, title, charts, name=None):
        """Wait until the page is drawn and stays so for :data:`STABLE_S`; when it first was.

        Returns None when the page shows an error instead (recorded in ``problems``).
        """
        first = None
        while True:
            now = time.monotonic()
            if await self.page.evaluate(_DRAWN, [title, charts, name]):
                first = first or now
                if now - first >= STABLE_S:
                    return first
            else:
                first = None
                errors = self.page.locator(_ERRORS)
                if await errors.count():
                    self.problems.append(f"{title}: " + (await errors.first.inner_text())[:200])
                    return None
            await asyncio.sleep(POLL_S)

    async def flow(self, others):
        """Upload, then Compare, Choose k, Segments: each timed, then checked."""
        for what, title, _, charts in STEPS:
            t0 = time.monotonic()
            if what == "upload":
                await self.page.locator('[data-testid="stFileUploader"] input[type="file"]') \
                    .first.set_input_files(files=[{"name": self.name, "mimeType": "text/csv",
                                                   "buffer": self.data}])
            else:
                await self.page.locator('[data-testid="stSidebarNav"] a',
                                        has_text=title).click()
            done = await self.drawn(title, charts, self.name if what == "upload" else None)
            if done is None:
                return
            self.seconds[what] = done - t0
            await self.check(what, others)

    async def check(self, what, others):
        """The page shows this user's file and row count, and no other user's file."""
        app, svg, side = await self.page.evaluate(_TEXT)
        seen = app + " " + svg
        if self.name not in side:
            self.problems.append(f"{what}: the sidebar does not name {self.name}")
        if f"{self.rows:,} " not in app:
            self.problems.append(f"{what}: the page does not give {self.rows:,} rows")
        for other in others:
            if other is not self and other.name in seen:
                self.problems.append(f"{what}: {self.name}'s page shows {other.name}")


async def _run_flow(users, *, limit):
    """Every user's flow at once (one user: alone); raise if it takes over ``limit`` s."""
    try:
        await asyncio.wait_for(asyncio.gather(*(u.flow(users) for u in users)), limit)
    except TimeoutError:
        late = ", ".join(f"{u.name} after {list(u.seconds) or 'nothing'}" for u in users
                         if len(u.seconds) < len(STEPS))
        raise TimeoutError(f"the flow took over {limit:.0f} s; unfinished: {late}") from None


def read_runs(path, since, until=None):
    """Script runs of the server's run log that began in ``[since, until]``."""
    runs = []
    for line in pathlib.Path(path).read_text().splitlines():
        r = json.loads(line)
        if r["start"] >= since and (until is None or r["start"] <= until):
            runs.append(r)
    return runs


def server_seconds(runs):
    """Seconds the server ran each (session, page), summed over that page's runs."""
    out = {}
    for r in runs:
        key = (r["session"], r["page"])
        out[key] = out.get(key, 0.0) + r["end"] - r["start"]
    return out


def _step_server(runs):
    """Per step: the server's seconds on it, one value per session that ran it."""
    by_page = {script: what for what, _, script, _ in STEPS}
    out = {what: [] for what, *_ in STEPS}
    for (_, page), seconds in server_seconds(runs).items():
        if page in by_page:
            out[by_page[page]].append(seconds)
    return out


def _cpu(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid):
    """CPU seconds used so far by process ``pid`` and its live descendants (its readers)."""
    return _walk_cpu([pid], _children())


def _children():
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _walk_cpu(todo, children, skip=None):
    """CPU seconds of the live processes ``todo`` and their descendants, but ``skip``'s tree."""
    total = 0.0
    while todo:
        pid = todo.pop()
        if pid == skip:
            continue
        try:
            total += _cpu(pid)
        except (OSError, IndexError, ValueError):
            continue
        todo += children.get(pid, [])
    return total


def harness_cpu(server_pid):
    """CPU seconds used so far by this process and its children but the server: the browser.

    Counts the live processes (Playwright's driver, Chromium and its renderers) and
    this one; read it before the tabs close (a closed tab's renderer takes its count).
    """
    children = _children()
    return time.process_time() + _walk_cpu(list(children.get(os.getpid(), [])), children,
                                           skip=server_pid)


def _in_thread(main):
    """``asyncio.run(main())`` on a thread of its own (this one may hold a sync Playwright)."""
    out = {}

    def target():
        try:
            out["value"] = asyncio.run(main())
        except BaseException as exc:  # handed to the caller
            out["error"] = exc

    worker = threading.Thread(target=target, name="crowd")
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def renice(server_pid, nice):
    """Lower the priority of this process's children but the server (the browser) to ``nice``.

    Renderers started later inherit it from Chromium's zygote.
    """
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != server_pid:
            try:
                ppids = [int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])]
            except (OSError, IndexError, ValueError):
                continue
            pid = int(entry.name)
            while ppids[-1] > 1 and ppids[-1] != os.getpid() and len(ppids) < 12:
                try:
                    ppids.append(int(pathlib.Path(f"/proc/{ppids[-1]}/stat").read_text()
                                     .rsplit(")", 1)[1].split()[1]))
                except (OSError, IndexError, ValueError):
                    break
            if ppids[-1] == os.getpid() and server_pid not in ppids:
                os.setpriority(os.PRIO_PROCESS, pid, nice)


def _run_log(log):
    """Where the server logs its script runs: beside ``log`` (kept), else a temporary file."""
    if log:
        return f"{log}.runs.jsonl"
    return tempfile.NamedTemporaryFile(prefix="gmm-runs-", suffix=".jsonl", delete=False).name


def _median(values):
    return float(statistics.median(values)) if values else float("nan")


def table(alone, together, n, title):
    """The printed table: page | one user (median) | n users (median, max) | ratio."""
    lines = [title, f"{'page':<10} {'one user':>9} {f'{n} users':>10} {'max':>7} {'ratio':>6}"]
    for what, *_ in STEPS:
        a, t = _median(alone[what]), together[what]
        lines.append(f"{what:<10} {a:8.1f}s {_median(t):9.1f}s {max(t):6.1f}s "
                     f"{_median(t) / a:5.1f}x")
    return "\n".join(lines)


def run(*, sessions=8, low=10_000, high=50_000, alone=True, root=None, env=None, log=None,
        say=print, limit=900.0, nice=0):
    """Run the crowd; returns its figures (see the module docs).

    ``alone=False`` skips the one-user runs (a bounded check: does everyone see
    their own data, does it complete).  ``nice``: the browser's priority (0: as
    the server's; 19: it gets what the server leaves).  The browser is this
    module's own (Playwright's async API, on a thread of its own).
    """
    sizes = spread(sessions, low, high)
    run_log = _run_log(log)
    server = Server(**({"root": root} if root else {}), env=env, log=log, run_log=run_log)
    with server:
        figures = _in_thread(lambda: _crowd(server, run_log, sizes, alone=alone, limit=limit,
                                            say=say, nice=nice))
    if not log:
        pathlib.Path(run_log).unlink(missing_ok=True)
    felt, served, wall, cpu = (figures[k] for k in ("felt", "server", "wall_s", "cpu"))
    problems = figures["problems"]
    figures.update(sessions=sessions, rows=sizes, root=str(root or "."), nice=nice,
                   own_data_everywhere=not problems,
                   complete=all(len(felt[w]) == sessions for w, *_ in STEPS))
    if alone:
        say(table(figures["alone_felt"], felt, sessions,
                  "as the user feels it (action to drawn page):"))
        say(table(figures["alone_server"], served, sessions,
                  "the server's share (its script runs of the page, slot waits included):"))
    say(f"CPU while all {sessions} ran at once: the server (and its readers) {cpu[1]:.0f} s, "
        f"the browser and this harness {cpu[0]:.0f} s (of {os.cpu_count() * wall:.0f} "
        f"core-seconds: {os.cpu_count()} cores)")
    say(f"all {sessions} flows at once took {wall:.1f} s; every user saw only their own data: "
        f"{not problems}" + "".join(f"\n  ! {p}" for p in problems))
    return figures


async def _crowd(server, run_log, sizes, *, alone, limit, say, nice):
    from playwright.async_api import async_playwright

    steps = [what for what, *_ in STEPS]
    felt_alone, served_alone = {w: [] for w in steps}, {w: [] for w in steps}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           headless=True)
        try:
            if nice:
                renice(server.proc.pid, nice)
            warm = await User("warm", 0, 2000, seed=1).open(browser, server.url)
            await _run_flow([warm], limit=limit)           # untimed: every page run once
            await warm.close()
            problems = list(warm.problems)
            for i, rows in enumerate(sizes if alone else ()):
                u = await User("solo", i, rows, seed=100 + i).open(browser, server.url)
                since = time.monotonic()
                try:
                    await _run_flow([u], limit=limit)
                finally:
                    await u.close()
                for what, seconds in u.seconds.items():
                    felt_alone[what].append(seconds)
                for what, values in _step_server(read_runs(run_log, since)).items():
                    served_alone[what].extend(values)
                problems += u.problems
                say(f"  alone: {u.name}: " + ", ".join(
                    f"{w} {s:.1f} s" for w, s in u.seconds.items()))
            users = [User("user", i, rows, seed=200 + i) for i, rows in enumerate(sizes)]
            try:
                for u in users:
                    await u.open(browser, server.url)
                since = time.monotonic()
                cpu0 = harness_cpu(server.proc.pid), tree_cpu(server.proc.pid)
                await _run_flow(users, limit=limit)
                wall = time.monotonic() - since
                cpu = (harness_cpu(server.proc.pid) - cpu0[0],
                       tree_cpu(server.proc.pid) - cpu0[1])
            finally:
                for u in users:
                    await u.close()
        finally:
            await browser.close()
    for u in users:
        problems += u.problems
        say(f"  {len(users)} at once: {u.name}: " + ", ".join(
            f"{w} {s:.1f} s" for w, s in u.seconds.items()))
    felt = {w: [u.seconds[w] for u in users if w in u.seconds] for w in steps}
    return dict(alone_felt=felt_alone, alone_server=served_alone, felt=felt,
                server=_step_server(read_runs(run_log, since)), wall_s=wall, cpu=cpu,
                browser_cpu_s=cpu[0], server_cpu_s=cpu[1], problems=problems)


# --- the noisy neighbour -------------------------------------------------------------------------

def _warm(browser, url):
    """One untimed tab through the flow on a small upload: kernels loaded, every page run once."""
    ctx, page = open_tab(browser, url)
    upload(page, "warm-up.csv", customers_csv(1, rows=2000))
    for _, title, _, charts in STEPS[1:]:
        open_page(page, title, charts)
    ctx.close()


def _compare_runs(run_log, since):
    return [r for r in read_runs(run_log, since) if r["page"] == "compare"]


def _refit(page, run_log, seed, *, limit=240.0):
    """Set Compare's seed to ``seed`` (a new fit); seconds until it is drawn, and the server's."""
    box = page.locator('[data-testid="stNumberInputField"]').nth(1)
    box.fill(str(seed))
    t0 = time.monotonic()
    box.press("Enter")
    deadline = t0 + limit
    while True:            # the server has run the page for this seed (its run log says so)
        runs = [r for r in _compare_runs(run_log, t0) if r["how"].startswith("SCRIPT_STOPPED")]
        if runs:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"Compare did not run for seed {seed} within {limit:.0f} s")
        time.sleep(POLL_S / 2)
    first = None
    while True:
        now = time.monotonic()
        if page.evaluate(_DRAWN, ["Compare", 2, None]):
            first = first or now
            if now - first >= STABLE_S:
                break
        else:
            first = None
        if now > deadline:
            raise TimeoutError(f"Compare was not drawn for seed {seed} within {limit:.0f} s")
        time.sleep(POLL_S / 2)
    served = sum(r["end"] - r["start"] for r in _compare_runs(run_log, t0))
    return first - t0, served


def neighbour(*, small_rows=10_000, large_rows=200_000, repeats=5, root=None, env=None,
              log=None, say=print, browser=None):
    """One user's Compare, alone and beside another user's long Choose k; returns figures."""
    from contextlib import nullcontext

    from playwright.sync_api import sync_playwright

    run_log = _run_log(log)
    server = Server(**({"root": root} if root else {}), env=env, log=log, run_log=run_log)
    own = browser is None
    with server, (sync_playwright() if own else nullcontext()) as pw:
        browser = launch_browser(pw) if own else browser
        try:
            _warm(browser, server.url)
            b_ctx, b = open_tab(browser, server.url)
            upload(b, f"small-{small_rows}.csv", customers_csv(31, rows=small_rows))
            open_page(b, "Compare", 2)
            _refit(b, run_log, 1)                                  # untimed: a first refit
            alone = [_refit(b, run_log, 10 + i) for i in range(repeats)]
            a_ctx, a = open_tab(browser, server.url)
            upload(a, f"large-{large_rows}.csv", customers_csv(32, rows=large_rows))
            a.locator('[data-testid="stSidebarNav"] a', has_text="Choose k").click()
            a.wait_for_selector('[data-testid="stProgress"]')   # the sweep is under way
            time.sleep(2.0)
            during = [_refit(b, run_log, 100 + i) for i in range(repeats)]
            still = a.locator('[data-testid="stProgress"]').count() > 0
            a_ctx.close()
            b_ctx.close()
        finally:
            if own:
                browser.close()
    if not log:
        pathlib.Path(run_log).unlink(missing_ok=True)
    felt_alone, felt_during = [f for f, _ in alone], [f for f, _ in during]
    figures = dict(small_rows=small_rows, large_rows=large_rows, repeats=repeats,
                   alone_felt=felt_alone, alone_server=[s for _, s in alone],
                   during_felt=felt_during, during_server=[s for _, s in during],
                   sweep_ran_throughout=still,
                   ratio=_median(felt_during) / _median(felt_alone))
    say(f"Compare on {small_rows:,} rows, a new seed each time ({repeats} times):\n"
        f"  alone:                         felt {_fmt(felt_alone)}; server "
        f"{_fmt(figures['alone_server'])}\n"
        f"  beside a Choose k on {large_rows:,}: felt {_fmt(felt_during)}; server "
        f"{_fmt(figures['during_server'])}\n"
        f"  median beside / alone: {figures['ratio']:.1f}x (the sweep still ran at the end: "
        f"{still})")
    return figures


def _fmt(values):
    return (f"median {_median(values):.2f} s (" + ", ".join(f"{v:.2f}" for v in values) + ")")

