"""A fit's share of the cores (``gmm_core.mixture.thread_share``), set by its caller.

A server running several fits at once gives each a share, so that it never
starts more EM worker threads than it has cores; the share holds for the passes
of the thread that set it, and for no other thread.
"""

import threading

import numpy as np

from gmm_core.mixture import _blocked, m_step, summarize, thread_share


def test_a_share_caps_this_threads_passes_and_no_other_threads():
    cores = _blocked.default_n_threads()
    seen = {}
    with thread_share(lambda: 1):
        seen["here"] = _blocked.default_n_threads()
        other = threading.Thread(target=lambda: seen.update(other=_blocked.default_n_threads()))
        other.start()
        other.join()
    assert seen == {"here": 1, "other": cores}
    assert _blocked.default_n_threads() == cores


def test_the_share_is_asked_at_every_pass_and_never_exceeds_the_cores(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40_000, 3))
    p = m_step(X, "full", resp=rng.dirichlet([1, 1], size=len(X)))
    asked, used = [], []
    real = _blocked._ranges
    monkeypatch.setattr(_blocked, "_ranges",
                        lambda n, b, t: used.append(t) or real(n, b, t))
    with thread_share(lambda: asked.append(1) or 64):
        summarize(X, p)
        summarize(X, p)
    assert len(asked) == 2                      # once a pass
    assert used == [_blocked.default_n_threads()] * 2   # 64 asked, the cores given
