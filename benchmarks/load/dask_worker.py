"""The fault check of the command line: a Dask worker killed in the middle of a fit.

``python -m gmm_core fit`` runs on a local cluster of :data:`WORKERS` workers
over seeded Parquet files (:func:`write_blobs`), twice with the same seed:
once undisturbed, once with one worker killed (SIGKILL) during an EM pass.
The kill waits for real events, never for a clock: the fit's progress line for
iteration :data:`KILL_AFTER` on standard error, then a worker that the fit's own
scheduler (its address is on the first progress line) shows running a task;
that worker tells its pid (``Client.run``), and is killed by it.

Figures: both fits' seconds, the largest difference between the two model
files (weights, means, covariances, log-likelihood), whether every row gets the
same segment from both, the exit status, whether standard error ends with the
CLI's own last line (not a traceback), how many tracebacks Dask's loggers
printed on the way (a surviving worker that was fetching a result from the
dead one logs one), and that line.
Dask runs the dead worker's tasks again on the others, and the chunks'
statistics are summed by a tree fixed by the graph, so the models are equal
to the last bit.  A second disturbed run under :data:`NO_SECOND_CHANCE` (Dask
gives up on a task whose worker dies) shows the other ending: a one-line error,
exit status 3 and no model file.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKERS = 3
#: The iteration whose progress line starts the kill: it is done, the next one is running.
KILL_AFTER = 2
#: A progress line of the fit: "  iteration  12: log-likelihood ..." (or "  start 2/3 iteration").
PROGRESS = re.compile(r"^\s+(?:start \d+/\d+ )?iteration\s+(\d+): log-likelihood")
#: Dask gives up on a task the first time a worker dies running it (default: 3 deaths allowed).
NO_SECOND_CHANCE = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
CENTERS = np.array([[0, 0, 0, 0], [4, 1, 0, 2], [1, 5, 3, 0], [5, 5, 5, 5], [2, 2, -3, 1]])


def write_blobs(folder, *, n_rows=2_000_000, n_files=16, seed=7):
    """``n_rows`` rows of five overlapping 4-D blobs, in ``n_files`` Parquet files; their glob."""
    import pandas as pd

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        rng = np.random.default_rng([seed, i])
        n = n_rows // n_files + (i < n_rows % n_files)
        x = CENTERS[rng.integers(0, len(CENTERS), n)] + rng.normal(0.0, 1.5, (n, 4))
        pd.DataFrame(x, columns=list("abcd")).to_parquet(folder / f"part-{i:02d}.parquet")
    return str(folder / "*.parquet")


def fit_args(data, out, *, max_iter=40, seed=0):
    """The fit's command line: k = 5 over every column, ``max_iter`` iterations (tol 1e-12)."""
    return [sys.executable, "-m", "gmm_core", "fit", data, "--k", "5", "--random-state",
            str(seed), "--max-iter", str(max_iter), "--tol", "1e-12", "--workers", str(WORKERS),
            "--out", str(out)]


class _Killer:
    """Reads the fit's standard error; once :data:`KILL_AFTER` is done, kills a busy worker.

    It connects to the fit's scheduler as soon as the first line names it (so
    that the first kill waits only for a busy worker) and disconnects after each
    kill; it kills at most one worker per progress line, ``times`` in all.  A
    worker counts as busy when the scheduler lists a task in its processing set;
    it tells its own pid.
    """

    def __init__(self, times=1, timeout=30.0):
        self.times, self.timeout = times, timeout
        self.scheduler, self.client, self.killed, self.at, self.during = None, None, [], [], []

    def __call__(self, line, seconds):
        if self.scheduler is None and "local Dask cluster:" in line and " scheduler " in line:
            self.scheduler = line.split(" scheduler ")[1].split(",")[0].strip()
            self._connect()
        progress = PROGRESS.match(line)
        done = int(progress.group(1)) if progress else 0
        if len(self.killed) < self.times and done >= KILL_AFTER:
            pid = self._kill_busy_worker()
            if pid is not None:
                self.killed.append(pid)
                self.at.append(seconds)
                self.during.append(done + 1)
            self.close()  # connected only while the fit runs: its end would be logged here

    def _connect(self):
        from distributed import Client

        if self.client is None:
            self.client = Client(self.scheduler, timeout="10s")

    def close(self):
        if self.client is not None:
            self.client.close()
            self.client = None

    def _kill_busy_worker(self):
        self._connect()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            busy = [w for w, keys in self.client.processing().items() if keys]
            if busy:  # the worker answers from its event loop, beside the task
                pid = self.client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                return pid
            time.sleep(0.005)
        return None


def _run(args, *, env=None, on_line=None, timeout=600.0):
    """Run ``args``; call ``on_line(line, seconds)`` per line of standard error.

    A run still going after ``timeout`` seconds (a hang) is killed: exit status -9.
    """
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if on_line is not None:
                on_line(line, time.monotonic() - started)
        stdout = proc.stdout.read()
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return proc.returncode, "".join(lines), stdout, time.monotonic() - started


def fit(data, out, *, max_iter=40, env=None, kill=0, timeout=600.0):
    """One run of the fit; ``kill`` workers killed (one per iteration after :data:`KILL_AFTER`)."""
    killer = _Killer(times=kill) if kill else None
    try:
        code, err, stdout, seconds = _run(fit_args(data, out, max_iter=max_iter), env=env,
                                          on_line=killer, timeout=timeout)
    finally:
        if killer is not None:
            killer.close()
    return dict(exit_code=code, seconds=seconds, stderr=err, stdout=stdout,
                killed=killer.killed if killer else [], kill_seconds=killer.at if killer else [],
                kill_iterations=killer.during if killer else [])


def model_difference(a, b):
    """The largest |difference| of weights, means, covariances and log-likelihood of two files."""
    docs = [json.loads(pathlib.Path(p).read_text()) for p in (a, b)]
    gaps = [np.max(np.abs(np.subtract(docs[0]["mixture"][key], docs[1]["mixture"][key])))
            for key in ("weights", "means", "covariances")]
    gaps.append(abs(docs[0]["fit"]["log_likelihood"] - docs[1]["fit"]["log_likelihood"]))
    return float(max(gaps))


def same_labels(a, b, data):
    """Whether both model files give every row of ``data`` (a glob) the same segment."""
    import glob

    import pandas as pd

    from gmm_core.outputs.model_file import load_model

    rows = pd.concat([pd.read_parquet(p) for p in sorted(glob.glob(data))], ignore_index=True)
    first, second = load_model(a), load_model(b)
    return bool(np.array_equal(first.predict(rows), second.predict(rows))
                and first.segment_names == second.segment_names)


def compare(reference, run, out, data):
    """The figures of a disturbed ``run`` that wrote (or not) ``out``, against ``reference``."""
    wrote = pathlib.Path(out).exists()
    lines = run["stderr"].strip().splitlines()
    return dict(
        disturbed_seconds=run["seconds"], workers_killed=len(run["killed"]),
        kill_seconds=run["kill_seconds"], kill_iterations=run["kill_iterations"],
        exit_code=run["exit_code"], model_written=wrote,
        max_param_difference=model_difference(reference, out) if wrote else None,
        labels_equal=same_labels(reference, out, data) if wrote else None,
        ended_cleanly=bool(lines) and (lines[-1].startswith("error: ")
                                       or "converged after" in lines[-1]),
        dask_tracebacks_logged=run["stderr"].count("Traceback (most recent call last)"),
        last_line=lines[-1] if lines else "",
        other_files=sorted(p.name for p in pathlib.Path(out).parent.iterdir()
                           if p != pathlib.Path(out)))


def dask_worker_killed(*, rows=2_000_000, max_iter=40, say=print):
    """The fault as ``python -m benchmarks.load faults`` runs it: once recovered, once not.

    The second run allows no second chance (:data:`NO_SECOND_CHANCE`) and
    kills a busy worker after each iteration from :data:`KILL_AFTER` on, up to 3.
    """
    with tempfile.TemporaryDirectory(prefix="gmm-dask-fault-") as tmp:
        tmp = pathlib.Path(tmp)
        data = write_blobs(tmp / "data", n_rows=rows)
        reference = tmp / "undisturbed.json"
        calm = fit(data, reference, max_iter=max_iter)
        if calm["exit_code"] != 0:
            raise RuntimeError(f"the undisturbed fit failed:\n{calm['stderr']}")
        say(f"Dask worker killed during a CLI fit ({rows:,} rows, {WORKERS} workers, "
            f"{max_iter} iterations): undisturbed fit {calm['seconds']:.1f} s")
        figures = dict(rows=rows, max_iter=max_iter, undisturbed_seconds=calm["seconds"])
        for name, env, kills in (("recovered", None, 1), ("allowed_failures_0",
                                                          NO_SECOND_CHANCE, 3)):
            (tmp / name).mkdir()
            out = tmp / name / "model.json"
            f = figures[name] = compare(reference, fit(data, out, max_iter=max_iter, env=env,
                                                       kill=kills), out, data)
            at = ", ".join(f"{s:.1f} s (iteration {i})"
                           for s, i in zip(f["kill_seconds"], f["kill_iterations"], strict=True))
            say(f"  {name}: disturbed fit {f['disturbed_seconds']:.1f} s ({f['workers_killed']} "
                f"killed, at {at}), exit code {f['exit_code']}, max |param difference| "
                f"{f['max_param_difference']}, labels equal {f['labels_equal']}, ended "
                f"cleanly {f['ended_cleanly']} (Dask logged {f['dask_tracebacks_logged']} "
                f"traceback(s)), other files: {f['other_files'] or 'none'}")
            say(f"    last line: {f['last_line']}")
    return figures
