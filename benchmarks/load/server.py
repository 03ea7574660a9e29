"""A Streamlit server of the app on a loopback port, its memory, and the CSVs users upload.

Everything the reliability suite (:mod:`benchmarks.load`) drives goes to
``127.0.0.1``: the server is started here, bound to loopback, and the browser
opens nothing else.
"""

import contextlib
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
HOST = "127.0.0.1"
#: Runs ``streamlit`` with every script run logged (``Server(run_log=...)``); run by its path,
#: so that the served checkout's packages come first on ``sys.path``, not this one's.
TIMED = pathlib.Path(__file__).with_name("timed.py")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` from ``root`` on a free loopback port (a context manager)."""

    def __init__(self, root=ROOT, *, env=None, log=None, options=(), port=None, run_log=None):
        self.root, self.env, self.options = pathlib.Path(root), dict(env or {}), list(options)
        self.log_path = pathlib.Path(log) if log else None
        self.proc, self.url, self.port = None, None, port
        self.run_log = pathlib.Path(run_log) if run_log else None

    def start(self, timeout=90):
        port = self.port = self.port or free_port()
        log = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL
        env = {**os.environ, **self.env}
        streamlit = ["-m", "streamlit"]
        if self.run_log:  # the same server, its script runs timed (benchmarks.load.timed)
            env["GMM_RUN_LOG"] = str(self.run_log)
            streamlit = [str(TIMED)]
        self.proc = subprocess.Popen(
            [sys.executable, *streamlit, "run", "app.py", "--server.port", str(port),
             "--server.address", HOST, "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             *self.options],
            cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start (see {self.log_path})")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mb(self):
        """The server process's resident memory (VmRSS), in MB."""
        return rss_mb(self.proc.pid)

    def cpu_seconds(self):
        """User + system CPU seconds the server has used so far (all its threads)."""
        fields = pathlib.Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def customers_csv(seed, megabytes=5.0, *, clustered=True, rows=None):
    """A distinct customers export of about ``megabytes`` MB (ID, three numbers, a region).

    ``rows``, when given, is the exact number of rows instead (about 35.5 bytes
    each).  ``clustered=False`` draws six broad, overlapping groups instead of three
    clear ones: EM needs more iterations (a long fit, for the fault checks).
    """
    rng = np.random.default_rng(seed)
    n = int(megabytes * 1e6 / 35.5) if rows is None else int(rows)
    if clustered:
        centres = rng.uniform(10, 90, size=(3, 3))
        values = centres[rng.integers(0, 3, n)] + rng.normal(0, 6, size=(n, 3))
    else:
        which = rng.integers(0, 6, n)
        values = (rng.uniform(30, 70, size=(6, 3))[which]
                  + rng.normal(0, 1, (n, 3)) * rng.uniform(4, 14, size=(6, 3))[which])
    regions = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]
    lines = [f"C{seed:03d}{i:07d},{a:.2f},{b:.2f},{c:.2f},{r}"
             for i, ((a, b, c), r) in enumerate(zip(values, regions, strict=True))]
    return ("customer,income,spend,age,region\n" + "\n".join(lines) + "\n").encode()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
