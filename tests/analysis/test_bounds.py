"""Every fit bound covers both models, and a fit can be stopped from outside (issue 24, item 3).

Regressions: the app's 60 s bound on Compare took 84 s because KMeans had no
limit, and a fit whose tab closed ran on to its end.  No timing is asserted:
the clock is replaced, so each test decides where the time runs out.
"""

import threading

import numpy as np
import pytest

import gmm_core.analysis.guarded as guarded
from gmm_core.analysis.choose_k import kmeans_sweep
from gmm_core.analysis.compare import compare_models
from gmm_core.analysis.stability import segment_stability
from gmm_core.errors import FitInterrupted
from gmm_core.mixture import GaussianMixture, checkpoint, kmeans, stop_when


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 1.0, (300, 2)) for c in ([0, 0], [6, 0], [0, 6], [6, 6])])


def _after(n):
    """A check that says stop from its ``n``-th call on, and counts its calls."""
    calls = []

    def check():
        calls.append(1)
        return len(calls) >= n
    return check, calls


@pytest.mark.parametrize("fit", [
    lambda X: GaussianMixture(4, max_iter=500, tol=0.0, random_state=0).fit(X),
    lambda X: kmeans(X, 4, random_state=np.random.RandomState(0), tol=0.0, max_iter=500),
    lambda X: guarded.fit_kmeans(X, 4, n_init=5, max_time=None),
    lambda X: compare_models(X, 4, max_time=None),
    lambda X: kmeans_sweep(X, range(1, 6)),
], ids=["em", "gmm_core-kmeans", "sklearn-kmeans", "compare", "kmeans-sweep"])
def test_a_fit_stops_at_the_next_pass_once_its_check_says_so(blobs, fit):
    check, calls = _after(3)
    with stop_when(check), pytest.raises(FitInterrupted):
        fit(blobs)
    assert len(calls) == 3            # looked at between passes, and stopped at the first yes
    fit(blobs)                        # outside the block nothing stops it


def test_checks_belong_to_their_thread(blobs):
    """One user's stopped fit never stops another's, on another thread."""
    outcome = {}

    def other():
        outcome["gmm"] = GaussianMixture(4, random_state=0).fit(blobs)

    with stop_when(lambda: True):
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        with pytest.raises(FitInterrupted):
            checkpoint()
    assert outcome["gmm"].converged_


def test_the_stability_bootstraps_fits_on_its_pool_threads_stop_too(blobs):
    """The bootstrap fits on worker threads, which start with no checks of their own: a
    closed tab must stop them as well (the check says stop only when a pool thread asks)."""
    main = threading.current_thread()
    asked = []

    def check():
        asked.append(threading.current_thread())
        return threading.current_thread() is not main

    with stop_when(check), pytest.raises(FitInterrupted):
        segment_stability(blobs, 4, n_boot=6, n_jobs=2)
    assert any(t is not main for t in asked)


class _Clock:
    """``time.monotonic`` that moves ``step`` seconds on every read."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_kmeans_stops_at_its_time_limit_and_says_so(monkeypatch):
    X = np.random.default_rng(1).uniform(size=(4000, 2))   # 28 Lloyd passes to converge
    unbounded, notes = guarded.fit_kmeans(X, 12, tol=0.0, max_time=None)
    assert unbounded.n_iter_ > 2 * guarded.KMEANS_BURST and notes == ()
    monkeypatch.setattr(guarded.time, "monotonic", _Clock(1.0))
    km, notes = guarded.fit_kmeans(X, 12, n_init=5, tol=0.0, max_time=1.5)
    assert km.n_iter_ == 2 * guarded.KMEANS_BURST       # two bursts, then the clock said stop
    assert [n.kind for n in notes] == ["time_limit"] and "KMeans" in notes[0]


def test_kmeans_within_its_limit_matches_scikit_learn(blobs):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    km, notes = guarded.fit_kmeans(blobs, 4, n_init=3, random_state=0)
    ref = KMeans(4, n_init=3, random_state=0).fit(blobs)
    assert notes == ()
    assert adjusted_rand_score(ref.labels_, km.labels_) == pytest.approx(1.0)
    assert km.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)


def test_compare_gives_kmeans_what_the_mixture_left(blobs, monkeypatch):
    seen = {}
    real = guarded.fit_kmeans

    def spy(*args, max_time, **kwargs):
        seen["max_time"] = max_time
        return real(*args, max_time=max_time, **kwargs)

    monkeypatch.setattr("gmm_core.analysis.compare.fit_kmeans", spy)
    compare_models(blobs, 4, max_time=30.0)
    assert 0 < seen["max_time"] < 30.0
