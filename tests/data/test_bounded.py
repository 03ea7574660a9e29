"""Uploads are read in a worker process with a time bound (issue 23, item 1).

Regression: a long parse ran on the server's own interpreter, holding its lock, so one
user's upload froze every other user's page (a 40 kB hostile file took 50 s, while the
health check took 22 s).  Reads now run in a worker; one that takes too long is stopped
and the user is told.
"""

import time

import numpy as np
import pandas as pd
import pytest

from gmm_core import DataError, read_table
from gmm_core.data import bounded


def _stops_running(pid, within):
    """Whether process ``pid`` has ended (reaped, or a zombie using no CPU) within ``within`` s.

    Read from ``/proc`` rather than ``Process.is_alive``: the executor's own thread may
    reap the worker first, and a machine under load may take a moment to deliver the
    signal; what matters to other users is that the worker no longer runs.
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def _csv(n_rows):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["a", "b", "c"])
    frame.insert(0, "name", [f"row {i}" for i in range(n_rows)])
    return frame.to_csv(index=False).encode()


def test_the_worker_reads_exactly_what_read_table_reads():
    data = _csv(500) + b",1,2,3\n"  # a gap in the text column too
    got = bounded.read_table_bounded(data, "x.csv", missing="mean")
    want = read_table(data, "x.csv", missing="mean")
    pd.testing.assert_frame_equal(got.features, want.features)
    pd.testing.assert_frame_equal(got.frame, want.frame)
    assert got.report.summary() == want.report.summary()


def test_refusals_come_back_as_the_readers_own():
    with pytest.raises(DataError, match="'empty.csv' is empty") as info:
        bounded.read_table_bounded(b"", "empty.csv")
    assert type(info.value) is DataError


def test_a_read_past_the_time_limit_is_stopped_and_said_in_words():
    big = _csv(200_000)  # about 13 MB: far more than 10 ms of parsing
    bounded.read_table_bounded(_csv(10), "warm.csv")  # a warm worker: the limit is for reading
    workers = list(bounded._POOL["pool"]._processes.values())
    with pytest.raises(DataError) as info:
        bounded.read_table_bounded(big, "big.csv", timeout=0.01)
    assert "Reading 'big.csv' took longer than 0.01 s" in str(info.value)
    assert "sample of its rows" in str(info.value)
    for process in workers:  # its CPU is free at once: the process is gone, or a zombie
        assert _stops_running(process.pid, within=30.0), process
    assert bounded.read_table_bounded(_csv(10), "next.csv").features.shape == (10, 3)
