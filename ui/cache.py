"""Every ``st.cache_data`` wrapper of the app, in one place.

Each wrapper is keyed on explicit, cheap-to-hash arguments: the dataset's
:attr:`~ui.dataset.Dataset.fingerprint` (or a model key that contains it)
stands for the arrays and fitted models, which are passed with a leading
underscore so Streamlit does not hash them.  All sessions of the server share
these caches, so two users on the same data and settings fit once.

**The memory budget** is stated here, once: :data:`BUDGET_BYTES` (the
``GMM_CACHE_MB`` environment variable, default 4096 MiB, a sixth of a 24 GiB
machine) is what every cache of the server may hold in all.  Each cache has its
share of it (:data:`SHARES`, Streamlit's ``max_size``, counted in pickled bytes)
and a ``max_entries``; the least recently used entry goes first.  The saved
work behind reload links (:func:`ui.saved.store`) has its share too.

Fits raise ``ValueError`` (incl. :class:`gmm_core.DataError`) when they cannot
go on; pages call them through :func:`ui.widgets.fit_or_stop`.  Each fit runs
in a server slot and stops when nobody waits for it (:func:`ui.running.heavy`);
a cache hit needs no slot.
"""

import os

import streamlit as st

import gmm_core.mixture
from gmm_core.analysis import choose_k, compare, explain, guarded, restarts, segments, stability
from gmm_core.analysis import em_canvas as em_canvas_module
from ui import keys, running
from ui.session import compare_settings, shown_comparison

GRID = 160  # cells per side of the Compare page's decision-region grids

#: Bytes every cache of the server may hold in all (``GMM_CACHE_MB``, in MiB).
BUDGET_BYTES = int(float(os.environ.get("GMM_CACHE_MB", "4096")) * 2**20)
#: Each cache's share of :data:`BUDGET_BYTES` (they add up to 1).
SHARES = {"compare": 0.25, "decision_grid": 0.04, "em_run": 0.12, "em_canvas": 0.08,
          "em_restarts": 0.08, "model_sweep": 0.08, "segment_summary": 0.02,
          "segment_stability": 0.04, "stability_by_k": 0.02, "anomaly_scores": 0.07,
          "saved_work": 0.20}


def budget(name):
    """Bytes cache ``name`` (a key of :data:`SHARES`) may hold."""
    return int(BUDGET_BYTES * SHARES[name])

# The time limits are read from gmm_core on each call (not copied here at import), so
# the one setting in gmm_core.analysis.guarded / .choose_k is the one that applies.


# --- Compare and Segments: the chosen model -----------------------------------------------

@st.cache_data(show_spinner=False, max_entries=24, max_size=budget("compare"))
def _compare(fingerprint, _X, _y, scaling, k, covariance_type, init_params, n_init, seed):
    """Cached fit of both models; ``fingerprint`` stands for ``_X`` and ``_y``."""
    with running.heavy():
        return compare.compare_models(
            _X, k, scaling=scaling, covariance_type=covariance_type, init_params=init_params,
            n_init=n_init, random_state=seed, y_true=_y)


def chosen_comparison(ds):
    """The :class:`gmm_core.analysis.compare.Comparison` for the Compare page's settings.

    Compare and Segments both call this, so a model is fitted once (one shared
    cache entry); raises ``ValueError`` (incl. :class:`gmm_core.DataError`)
    when the fit cannot go on.  Its components come in the slots (colours,
    markers, letters) of the fit this session was shown before on the same
    data (:func:`ui.session.shown_comparison`), the one place they are renumbered.
    """
    s = compare_settings(ds)
    fitted = _compare(ds.fingerprint, ds.X, ds.labels, ds.scaling, s[keys.W_K],
                      s[keys.W_COVARIANCE], s[keys.W_INIT], s[keys.W_N_INIT], s[keys.W_SEED])
    return shown_comparison(ds, fitted)


def decision_grid(fingerprint, settings, comparison, x_range, y_range, kind):
    """A decision-region (or density) grid of the Compare page's charts."""
    return _decision_grid(fingerprint, settings, comparison.order, comparison, x_range, y_range,
                          kind)


@st.cache_data(show_spinner=False, max_entries=48, max_size=budget("decision_grid"))
def _decision_grid(fingerprint, settings, order, _comparison, x_range, y_range, kind):
    """Cached grid; ``order`` (how the components are numbered) is part of the key."""
    return compare.decision_grid(_comparison, x_range, y_range, kind=kind, resolution=GRID)


# --- EM step by step --------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16, max_size=budget("em_run"))
def em_run(fingerprint, _X, scaling, k, covariance_type, init_params, seed, start_rows=None):
    """Cached recorded fit; ``fingerprint`` stands for ``_X``; ``start_rows`` a tuple or None."""
    with running.heavy():
        return explain.em_run(
            _X, k, scaling=scaling, covariance_type=covariance_type, init_params=init_params,
            random_state=seed, max_time=guarded.FIT_TIME_LIMIT,
            start_rows=None if start_rows is None else list(start_rows))


@st.cache_data(show_spinner=False, max_entries=16, max_size=budget("em_canvas"))
def em_canvas(fingerprint, run_key, axes, _run, _X, features, max_points):
    """What every step of a recorded run draws, projected once per run and view.

    ``fingerprint`` and ``run_key`` (the :func:`em_run` arguments) stand for
    ``_X`` and ``_run``; ``axes`` is the view (two feature names, or None for PCA).
    """
    projection = compare.view_projection(_run, _X, list(features), axes=axes)
    return em_canvas_module.em_canvas(_run, _X, projection, max_points=max_points, seed=0)


@st.cache_data(show_spinner=False, max_entries=8, max_size=budget("em_restarts"))
def em_restarts(fingerprint, _X, scaling, k, covariance_type, init_params, n_starts, first_seed):
    """Cached restarts side by side; ``fingerprint`` stands for ``_X``."""
    with running.heavy():
        return restarts.run_restarts(
            _X, k, n_starts=n_starts, first_seed=first_seed, scaling=scaling,
            covariance_type=covariance_type, init_params=init_params,
            max_time=guarded.FIT_TIME_LIMIT)


# --- Choose k -----------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16, max_size=budget("model_sweep"))
def model_sweep(fingerprint, _X, scaling, k_max, types, n_init, seed, features=None):
    """Cached sweep and KMeans' curves, ``(selection, kmeans table)``; ``fingerprint`` stands
    for ``_X``.

    The progress bar lives inside, so it shows while the grid is fitted -- the
    KMeans fits counted too; on a cache hit Streamlit replays it, already emptied.
    """
    sweep_limit = choose_k.SWEEP_TIME_LIMIT  # seconds for the whole grid
    fit_limit = guarded.FIT_TIME_LIMIT       # seconds for one fit
    total = k_max * len(types) * n_init
    limit = f"(at most {sweep_limit / 60:.0f} minutes in all)"
    bar = st.progress(0.0, text=f"Fitting {total} mixtures and {k_max} KMeans… {limit}")

    def fitted(share, text):  # after each fit: the bar, then a short fit that waits goes first
        bar.progress(share, text=text)
        running.give_way()

    try:
        with running.heavy(long=True):
            sel = choose_k.model_sweep(
                _X, range(1, k_max + 1), types, scaling=scaling, n_init=n_init,
                random_state=seed, max_time=sweep_limit, fit_max_time=fit_limit,
                feature_names=features, progress=lambda done, of: fitted(
                    done / (of + k_max), f"Fitted {done} of {of} mixtures… {limit}"))
            km = choose_k.kmeans_sweep(
                _X, range(1, k_max + 1), scaling=scaling, random_state=seed,
                max_time=fit_limit, progress=lambda done, of: fitted(
                    (total + done) / (total + of),
                    f"Fitted {total} mixtures; KMeans for comparison, {done} of {of}…"))
        return sel, km
    finally:
        bar.empty()


# --- Segments -------------------------------------------------------------------------------------

def segment_summary(key, X, cmp, features):
    """Profiles of the chosen model's segments; ``key`` stands for the model and data."""
    return _segment_summary(key, cmp.order, X, cmp, features)


@st.cache_data(show_spinner=False, max_entries=12, max_size=budget("segment_summary"))
def _segment_summary(key, order, _X, _cmp, features):
    """Cached profiles; ``order`` (how the components are numbered) is part of the key."""
    return segments.describe_segments(_X, _cmp.proba, _cmp.means, features,
                                      weights=_cmp.gmm.weights_)


@st.cache_data(show_spinner=False, max_entries=12, max_size=budget("segment_stability"))
def segment_stability(key, _X, _cmp, scaling, init_params):
    """Cluster-wise bootstrap of the chosen model's segments; ``key`` stands for model and data."""
    with running.heavy():
        return stability.segment_stability(
            _X, _cmp.n_components, covariance_type=_cmp.gmm.covariance_type, scaling=scaling,
            labels=_cmp.gmm_labels, init_params=init_params, random_state=0)


@st.cache_data(show_spinner=False, max_entries=8, max_size=budget("stability_by_k"))
def stability_by_k(fingerprint, _X, scaling, k_max, covariance_type, seed):
    """Mean segment stability of each k (20 resamples each, one time budget for all)."""
    with running.heavy():
        return choose_k.stability_sweep(_X, range(2, k_max + 1),
                                        covariance_type=covariance_type, scaling=scaling,
                                        random_state=seed)


@st.cache_data(show_spinner=False, max_entries=12, max_size=budget("anomaly_scores"))
def anomaly_scores(key, _cmp, _X):
    """Anomaly score ``-log p(x)`` of every row under the chosen model."""
    return gmm_core.mixture.anomaly_score(_cmp.gmm, _cmp.scaler.transform(_X))
