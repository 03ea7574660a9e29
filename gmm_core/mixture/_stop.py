"""Stopping a fit from outside: a check that every long loop calls between its passes.

A server that fits for many users must be able to end a fit nobody waits for
any more -- its browser tab was closed, or its user asked for another -- and
give the core back.  Threads cannot be killed, so the loops cooperate: the
caller says *when* with :func:`stop_when` (a callable, e.g. "has this session
gone?"), and EM, KMeans and the sweeps call :func:`checkpoint` between two
passes over the rows, which raises :class:`~gmm_core.errors.FitInterrupted`
once the callable says so.  The checks belong to the thread that set them, so
two users' fits on two threads never stop each other.

>>> calls = []
>>> with stop_when(lambda: len(calls) > 1):
...     try:
...         for i in range(5):
...             calls.append(i)
...             checkpoint()
...     except FitInterrupted:
...         print("stopped after", len(calls))
stopped after 2
>>> checkpoint()            # outside the block: nothing to check
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from gmm_core.errors import FitInterrupted

__all__ = ["checkpoint", "stop_when", "inherit_stops"]

_local = threading.local()


@contextmanager
def stop_when(check: Callable[[], bool]) -> Iterator[None]:
    """Within the block, :func:`checkpoint` on this thread raises once ``check()`` is true."""
    checks = getattr(_local, "checks", ())
    _local.checks = (*checks, check)
    try:
        yield
    finally:
        _local.checks = checks


def inherit_stops() -> Callable[[], AbstractContextManager[None]]:
    """This thread's checks, for work it hands to other threads: ``with carried(): ...`` there.

    A worker thread starts with no checks, so a fit it runs for a caller would
    never stop; call this on the caller's thread and enter what it returns in
    the worker.  (The checks must not depend on the thread they run on.)

    >>> import concurrent.futures
    >>> def work(carried):
    ...     with carried():
    ...         checkpoint()
    >>> with stop_when(lambda: True):
    ...     carried = inherit_stops()
    >>> with concurrent.futures.ThreadPoolExecutor(1) as pool:
    ...     pool.submit(work, carried).exception() is not None
    True
    """
    checks = getattr(_local, "checks", ())

    @contextmanager
    def carried() -> Iterator[None]:
        before = getattr(_local, "checks", ())
        _local.checks = (*before, *checks)
        try:
            yield
        finally:
            _local.checks = before

    return carried


def checkpoint() -> None:
    """Raise :class:`~gmm_core.errors.FitInterrupted` if a check of this thread says stop."""
    for check in getattr(_local, "checks", ()):
        if check():
            raise FitInterrupted("The fit was stopped before it finished: its result is no "
                                 "longer wanted.")
