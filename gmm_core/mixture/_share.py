"""How many worker threads a fit may use: a share of the cores its caller sets from outside.

A pass of EM runs on every core the process may use
(:func:`gmm_core.mixture._blocked.default_n_threads`).  That is right for one
fit, but a server running several fits at once would then start more threads
than it has cores, and each pass waits for its slowest thread.  So the caller
may say, for the fits of its own thread, how many threads they get: a callable
asked at the start of every pass (the share can change while the fit runs, as
other fits start and end).  The share belongs to the thread that set it, like
:func:`gmm_core.mixture.stop_when`'s checks.

>>> with thread_share(lambda: 1):
...     threads(8)
1
>>> threads(8)            # outside the block: every core
8
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["thread_share", "threads"]

_local = threading.local()


@contextmanager
def thread_share(share: Callable[[], int]) -> Iterator[None]:
    """Within the block, this thread's passes use at most ``share()`` worker threads."""
    before = getattr(_local, "share", None)
    _local.share = share
    try:
        yield
    finally:
        _local.share = before


def threads(available: int) -> int:
    """Worker threads for a pass on this thread: ``available``, or fewer if a share is set."""
    share = getattr(_local, "share", None)
    return available if share is None else max(1, min(available, int(share())))
