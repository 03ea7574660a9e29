"""Which engine runs the blocked E-step: numba's compiled kernels, or numpy's reference.

:mod:`gmm_core.mixture._blocked` is the documented numpy implementation of one EM
pass; :mod:`gmm_core.mixture._compiled` computes the same statistics and outputs
fused over each block of rows, compiled by numba, without the GIL.  This module
chooses between them (and, for rows with gaps, between numpy's pattern-by-pattern
pass of :mod:`gmm_core.mixture._missing` and :mod:`gmm_core.mixture._compiled_gaps`)
and translates the numpy path's per-iteration constants
(``_blocked._Prepared``) into the compiled kernels' arrays -- the maths is not
repeated here.

* **When**: numba importable, and the environment variable
  ``GMM_EXPLORER_KERNEL`` not set to ``numpy`` (it is read at every pass, so a
  test or a user can force the reference at any time).  ``full`` covariances with
  ``D >= BLAS_MIN_FEATURES`` features keep numpy's batched ``dgemm`` path, which is
  faster there than the compiled triangular loops (one thread, K = 10, D = 16:
  2.2 against 3.1 microseconds a row; at D = 10 the compiled loops take half
  numpy's time).
* **Compiled once, ever**: the kernels are cached on disk (``cache=True``); when
  the package directory is read-only the cache goes to
  ``$XDG_CACHE_HOME/gmm-explorer/numba`` (``NUMBA_CACHE_DIR``, unless already
  set).  :func:`gmm_core.mixture._blocked.warm_up` loads or compiles them in a
  background thread at app start; until it is done, passes run numpy's path, so
  no fit ever waits for a compilation (without a warm-up, the first pass of a
  process loads or compiles them itself).
* **k-means too**: :func:`kmeans_kernels` gives :mod:`gmm_core.mixture._compiled_kmeans`
  (Lloyd's pass of the k-means starts, the silhouette's distance sums) under the
  same rules, to :mod:`gmm_core.mixture._kmeans`.

>>> import numpy as np
>>> from gmm_core.mixture import _blocked
>>> X = np.random.RandomState(0).normal(size=(500, 3))
>>> p = _blocked.m_step(X, "diag", labels=np.arange(500) % 2, n_components=2)
>>> ref = _blocked.summarize(X, p, engine="numpy")
>>> bool(np.allclose(_blocked.summarize(X, p).s2, ref.s2, rtol=1e-10))
True
"""

import hashlib
import importlib
import os
import pathlib
import sys
import threading

import numpy as np

from gmm_core.mixture._params import moment_shift

__all__ = ["ENV", "BLAS_MIN_FEATURES", "CACHE_STAMP", "drop_stale_cache", "Plan", "GapPlan",
           "compiled", "kmeans_kernels", "engine", "plan", "gap_plan", "claim_warm_up",
           "warm_up_done"]

ENV = "GMM_EXPLORER_KERNEL"
#: ``full`` covariances with this many features or more run numpy's batched dgemm path.
BLAS_MIN_FEATURES = 16

_LOCK = threading.Lock()
_STATE = {}


def _cache_dir():
    """Where numba keeps compiled kernels when the package directory is read-only."""
    here = pathlib.Path(__file__).parent
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(here / "__pycache__", os.W_OK) or (
            not (here / "__pycache__").exists() and os.access(here, os.W_OK)):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gmm-explorer", "numba")


#: Beside numba's cache files: the digest of the compiled sources they were made from.
CACHE_STAMP = "gmm-kernels.sha256"


def drop_stale_cache(package: pathlib.Path) -> bool:
    """Drop numba's cached kernels of ``package``'s ``_compiled*.py`` when any of them changed.

    numba checks a cached kernel against its own file only, not against the
    kernels it calls from another file (:mod:`~gmm_core.mixture._compiled_gaps`
    calls :mod:`~gmm_core.mixture._compiled`'s): after an update of
    ``_compiled.py`` alone, the cached gap pass would still run the old block
    kernels.  So one digest of all the compiled sources is kept beside the cache
    (in ``package/__pycache__``, :data:`CACHE_STAMP`); when it differs, every
    cached ``_compiled*`` kernel is deleted and compiled afresh.  Returns whether
    it deleted.  A read-only or missing cache folder is left alone.
    """
    folder = package / "__pycache__"
    sources = sorted(package.glob("_compiled*.py"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in sources))
    stamp = folder / CACHE_STAMP
    try:
        if stamp.read_text() == digest.hexdigest():
            return False
    except OSError:
        pass
    try:
        stale = sorted(folder.glob("_compiled*.nb[ic]"))
        for path in stale:
            path.unlink(missing_ok=True)
        if folder.is_dir():
            stamp.write_text(digest.hexdigest())
    except OSError:
        return False
    return bool(stale)


def _load(key, name):
    """Import the compiled module ``name`` once (``None`` when numba cannot be imported)."""
    if key not in _STATE:
        with _LOCK:
            if key not in _STATE:
                where = _cache_dir()
                if where is not None and "numba" not in sys.modules:
                    os.environ["NUMBA_CACHE_DIR"] = where
                if not os.environ.get("NUMBA_CACHE_DIR") and not _STATE.get("checked"):
                    drop_stale_cache(pathlib.Path(__file__).parent)  # the in-tree cache
                    _STATE["checked"] = True
                try:
                    module = importlib.import_module(f"gmm_core.mixture.{name}")
                except ImportError:  # numba missing or broken: numpy's path
                    module = None
                _STATE[key] = module
    return _STATE[key]


def compiled():
    """The compiled kernels' module, or ``None`` when numba cannot be imported."""
    return _load("module", "_compiled")


def _gap_kernels():
    """The compiled kernels of rows with gaps (:mod:`~gmm_core.mixture._compiled_gaps`)."""
    return _load("gaps", "_compiled_gaps") if compiled() is not None else None


def kmeans_kernels(engine_name=None):
    """The compiled k-means kernels (:mod:`~gmm_core.mixture._compiled_kmeans`), or ``None``
    when the next k-means pass runs numpy's code: numba missing, ``GMM_EXPLORER_KERNEL=numpy``,
    or (``engine_name`` not given) the background warm-up still loading them."""
    if engine_name is None and _STATE.get("warming"):
        return None
    if (engine_name or engine()) != "numba":
        return None
    return _load("kmeans_module", "_compiled_kmeans")


def engine():
    """``"numba"`` or ``"numpy"``: what the next pass runs on."""
    if os.environ.get(ENV, "").strip().lower() == "numpy":
        return "numpy"
    return "numba" if compiled() is not None else "numpy"


def _band(mats):
    """For each column e, the rows ``lo[e] .. hi[e]`` holding every non-zero of the factors."""
    nz = np.any(mats != 0.0, axis=0)
    d = nz.shape[0]
    lo, hi = np.zeros(d, dtype=np.int64), np.zeros(d, dtype=np.int64)
    for e in range(d):
        rows = np.flatnonzero(nz[:, e])
        if rows.size:
            lo[e], hi[e] = rows[0], rows[-1] + 1
    return lo, hi


def _ro(a, dtype=np.float64):
    """A read-only C-contiguous view (a copy only if needed): one compiled signature for all."""
    view = np.ascontiguousarray(a, dtype=dtype).view()
    view.flags.writeable = False
    return view


def _output_arrays(module, what, out, args):
    """The compiled ``outputs``' arguments after the rows: ``what``'s code, the plan's
    ``args``, and ``out`` in the slot ``what`` writes (placeholders in the other two)."""
    code = {"log_resp": module.LOG_RESP, "log_prob_norm": module.LOG_PROB_NORM,
            "log_density": module.LOG_DENSITY, "labels": module.LABELS}[what]
    out2 = out if out.ndim == 2 else np.zeros((1, 1))
    out1 = out if out.ndim == 1 and what != "labels" else np.zeros(1)
    labels = out if what == "labels" else np.zeros(1, dtype=np.int64)
    return (code, *args, out2, out1, labels)


class Plan:
    """One pass's constants as the compiled kernels take them (from a ``_Prepared``)."""

    def __init__(self, prep, module):
        self.module, self.prep = module, prep
        ct, kernel = prep.covariance_type, prep.kernel
        k, d = prep.means.shape
        self.means = prep.means
        self.const = np.ascontiguousarray(prep.base_const, dtype=np.float64)
        empty2 = np.zeros((1, 1))
        self.mats, self.prec, self.lin = np.zeros((1, 1, 1)), empty2, empty2
        self.centre = np.zeros(1)
        # moments about the one shift: the means (full), or per component (diag, spherical)
        self.shift = np.ascontiguousarray(prep.shift) if np.ndim(prep.shift) == 2 else empty2
        if kernel == "full":  # also tied/diag/spherical with means too far apart
            self.kind = module.FULL
            self.mats = np.ascontiguousarray(prep.pc)
            self.s2_shape = (k, d, d)
        elif kernel == "tied":
            self.kind = module.TIED
            self.mats = np.ascontiguousarray(prep.pc[None])
            self.centre, self.lin = np.ascontiguousarray(prep.c), np.ascontiguousarray(prep.lin)
            self.s2_shape = (1, d, d)
        else:
            self.kind = module.DIAG
            pc = prep.pc
            self.prec = np.ascontiguousarray(pc if ct == "diag" else np.repeat(pc[:, None], d, 1))
            self.s2_shape = (k, 1, d)
        self.lo, self.hi = _band(self.mats)
        self.args = (self.kind, *map(_ro, (self.means, self.mats)), _ro(self.lo, np.int64),
                     _ro(self.hi, np.int64),
                     *map(_ro, (self.prec, self.centre, self.lin, self.const)))

    def stats(self, X, sample_weight, start, stop):
        """``(nk, s1, s2, total_weight, ll_sum)`` of rows ``start .. stop``, as ``_blocked``'s."""
        k, d = self.means.shape
        nk, s1 = np.zeros(k), np.zeros((k, d))
        s2, sums = np.zeros(self.s2_shape), np.zeros(2)
        w = np.zeros(0) if sample_weight is None else sample_weight
        self.module.stats(_ro(X), _ro(w), sample_weight is not None, start, stop, *self.args,
                          _ro(self.shift), nk, s1, s2, sums)
        ct = self.prep.covariance_type
        if self.kind == self.module.DIAG:
            s2 = s2[:, 0, :]
        else:
            self.module.mirror(s2)
            if self.kind == self.module.TIED:
                s2 = s2[0]
            elif ct == "tied":  # far apart: pooled over components, each about its mean
                s2 = s2.sum(axis=0)
            elif ct != "full":
                s2 = np.diagonal(s2, axis1=1, axis2=2).copy()
        return nk, s1, s2, float(sums[0]), float(sums[1])

    def outputs(self, X, start, stop, what, out):
        """Write ``what`` (``_blocked.log_prob_blocks``' names) of rows ``start .. stop``."""
        m = self.module
        m.outputs(_ro(X), start, stop, *_output_arrays(m, what, out, self.args))

    def summary(self, X, start, stop, labels):
        """Labels of rows ``start .. stop`` into ``labels``; returns their ``(ll_sum, entropy)``."""
        sums = np.zeros(2)
        self.module.summary(_ro(X), start, stop, *self.args, labels, sums)
        return float(sums[0]), float(sums[1])


def plan(prep, engine_name=None):
    """The compiled plan for ``prep``, or ``None`` when numpy's path runs this pass.

    While a background warm-up is loading or compiling the kernels, passes that
    did not ask for an engine run numpy's path rather than wait for it.
    """
    if engine_name is None and _STATE.get("warming"):
        return None
    if (engine_name or engine()) != "numba":
        return None
    module = compiled()
    if module is None:
        return None
    if prep.kernel == "full" and prep.means.shape[1] >= BLAS_MIN_FEATURES:
        return None
    return Plan(prep, module)


class GapPlan:
    """One pass over rows with gaps as :mod:`gmm_core.mixture._compiled_gaps` takes it.

    Built from the full mixture's parameters: the kernels restrict it to each
    pattern's columns themselves.  ``with_weights=False`` leaves the log weights
    out (the components' own densities).
    """

    def __init__(self, params, module, *, with_weights=True):
        self.module = module
        ct = self.covariance_type = params.covariance_type
        k, d = params.means.shape
        self.shift = moment_shift(ct, params.means, params.weights, params.precisions_cholesky)
        with np.errstate(divide="ignore"):  # a weight of 0 (given as weights_init)
            log_w = np.log(params.weights) if with_weights else np.zeros(k)
        covs, var, prec = np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros((1, 1))
        if ct == "full":
            kind, covs, self.s2_shape = module.FULL, params.covariances, (k, d, d)
        elif ct == "tied":
            kind, covs, self.s2_shape = module.TIED, params.covariances[None], (1, d, d)
        else:
            kind, self.s2_shape = module.DIAG, (k, 1, d)
            var, prec = params.covariances, params.precisions_cholesky
            if ct == "spherical":
                var, prec = (np.repeat(a[:, None], d, axis=1) for a in (var, prec))
        self.n_components, self.n_features = k, d
        self.args = (kind, *map(_ro, (log_w, params.means, covs, var, prec,
                                      np.broadcast_to(self.shift, (k, d)))),
                     ct == "tied" and self.shift.ndim == 2)

    @staticmethod
    def _grouping(order, bounds, observed):
        return _ro(order, order.dtype), _ro(bounds, np.int64), _ro(observed, np.bool_)

    def stats(self, X, sample_weight, order, bounds, observed, start, stop):
        """``(nk, s1, s2, total_weight, ll_sum)`` of grouped positions ``start .. stop``.

        ``None`` when a pattern's ``Sigma_oo`` does not factor.
        """
        k, d = self.n_components, self.n_features
        nk, s1, s2, sums = np.zeros(k), np.zeros((k, d)), np.zeros(self.s2_shape), np.zeros(2)
        fail = np.zeros(1, dtype=np.int64)
        w = np.zeros(0) if sample_weight is None else sample_weight
        self.module.stats(_ro(X), _ro(w), sample_weight is not None,
                          *self._grouping(order, bounds, observed), start, stop, *self.args,
                          nk, s1, s2, sums, fail)
        if fail[0]:
            return None
        s2 = {"full": s2, "tied": s2[0]}.get(self.covariance_type, s2[:, 0, :])
        return nk, s1, s2, float(sums[0]), float(sums[1])

    def outputs(self, X, order, bounds, observed, start, stop, what, out):
        """Write ``what`` of grouped positions ``start .. stop`` at their rows; False on failure."""
        m = self.module
        fail = np.zeros(1, dtype=np.int64)
        m.outputs(_ro(X), *self._grouping(order, bounds, observed), start, stop,
                  *_output_arrays(m, what, out, self.args), fail)
        return not fail[0]


def gap_plan(params, engine_name=None, *, with_weights=True):
    """The compiled plan of a pass over rows with gaps, or ``None`` for numpy's path.

    As :func:`plan` chooses for complete rows (numpy's path while a background
    warm-up runs), but whatever the number of features: numpy's pass over rows
    with gaps pays Python's cost per pattern, and patterns multiply with D
    (200,000 rows, K = 10, ``full``, 10 % missing, two threads: D = 16, 5,227
    patterns, 1.80 s a pass against 0.25 s compiled; D = 24, 27,547 patterns,
    11.6 s against 1.7 s).
    """
    if engine_name is None and _STATE.get("warming"):
        return None
    if (engine_name or engine()) != "numba" or (gaps := _gap_kernels()) is None:
        return None
    return GapPlan(params, gaps, with_weights=with_weights)


def claim_warm_up(background):
    """True the first time it is called in a process (the one warm-up), False after.

    A ``background`` warm-up is marked as running until :func:`warm_up_done`.
    """
    with _LOCK:
        first = not _STATE.get("warm")
        _STATE["warm"] = True
        if first and background:
            _STATE["warming"] = True
    return first


def warm_up_done():
    """The background warm-up has ended: passes choose their engine again."""
    _STATE["warming"] = False
