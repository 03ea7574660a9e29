"""Reading an upload where it cannot hold up anyone else: a worker process with a time bound.

The reader is linear in the size of its input, but a large upload still takes
seconds to parse, and much of that is Python code holding the interpreter's
lock -- in a server that runs every user's session as a thread of one process,
each such second is a second in which no other user's page moves.
:func:`read_table_bounded` therefore reads in a separate process, one of a
small pool kept warm for the purpose, and waits at most ``timeout`` seconds:

* the result is exactly :func:`~gmm_core.data.reader.read_table`'s, and so are
  its :class:`~gmm_core.errors.DataError` refusals;
* past ``timeout`` the worker is stopped (its CPU is freed at once) and a
  plain :class:`~gmm_core.errors.DataError` says what happened and what to do;
  the next read starts a fresh worker;
* a worker that dies (out of memory, killed) is reported the same way.

Up to two workers read at once; further reads wait their turn.  Workers are
started with ``spawn`` (a fork of a threaded server is unsafe), which imports the
parent's main module as multiprocessing requires; where no worker can be
started at all, the read runs in this process, unbounded, as before.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from gmm_core.data.reader import TableResult, read_table
from gmm_core.errors import DataError

__all__ = ["READ_TIME_LIMIT", "read_table_bounded", "shutdown"]

#: Seconds a read may take in its worker (a 200 MB file of numbers reads in about 40 s).
READ_TIME_LIMIT = 120.0

_LOCK = threading.Lock()
_POOL = {}


def _pool():
    with _LOCK:
        if "pool" not in _POOL:
            n = max(1, min(2, len(os.sched_getaffinity(0))))
            _POOL["pool"] = ProcessPoolExecutor(n, mp_context=get_context("spawn"))
        return _POOL["pool"]


def shutdown() -> None:
    """Stop the workers now (a timed-out or broken pool; also at exit, by the executor)."""
    with _LOCK:
        pool = _POOL.pop("pool", None)
    if pool is None:
        return
    workers = list(getattr(pool, "_processes", {}).values())
    for process in workers:
        process.terminate()  # a worker stuck in a long read would otherwise run on
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:  # one that ignored SIGTERM (still starting up, say) is killed
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join(timeout=1.0)  # reaped, not left a zombie


def read_table_bounded(data: bytes, filename: str = "upload.csv", *,
                       timeout: float = READ_TIME_LIMIT, **options: Any) -> TableResult:
    """:func:`~gmm_core.data.reader.read_table` in a worker process, for at most ``timeout`` s.

    Raises
    ------
    DataError
        What ``read_table`` refuses, or a read that took longer than ``timeout``
        seconds or whose worker stopped; the message says what to do.
    """
    future = _pool().submit(read_table, bytes(data), filename, **options)
    try:
        result = future.result(timeout=timeout)
        _POOL["worked"] = True
        return result
    except FutureTimeout:
        shutdown()
        raise DataError(
            f"Reading {filename!r} took longer than {timeout:g} s, so it was stopped. Upload a "
            "smaller file, for example a sample of its rows or only the columns you want to "
            "cluster.") from None
    except BrokenProcessPool:
        shutdown()
        if not _POOL.get("worked"):  # no worker could ever start here: read in this process
            return read_table(data, filename, **options)
        raise DataError(
            f"Reading {filename!r} stopped unexpectedly (the file may need more memory than "
            "the server has). Upload a smaller file, for example a sample of its rows.") from None
