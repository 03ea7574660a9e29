"""The hot path of EM: one pass over the rows per iteration, in blocks, on every core.

:mod:`gmm_core.em` states the maths plainly (whole arrays, a loop over
components) and is the reference the tests hold this module to.  Here the
same E-step and sufficient statistics are computed

* **block by block** -- rows are taken a few thousand at a time so that every
  temporary (the rows centred on each mean, their whitened form, the
  responsibilities) stays in the CPU cache and memory does not grow with N;
* **in one pass** -- each block's rows, once centred on the current means,
  give both the E-step (Mahalanobis distances, responsibilities,
  log-likelihood) and the M-step's moments about those same means;
* **with batched BLAS** -- all components' products are one ``matmul`` call
  per block rather than a Python loop over components;
* **on several cores** -- worker threads take contiguous runs of blocks
  (numpy releases the GIL in its kernels) with BLAS held to one thread inside
  them, and their statistics are summed in a fixed order, so a fit is
  reproducible for a given thread count.

Functions here trust their inputs (float64, C-contiguous, validated).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
from scipy.special import logsumexp

from gmm_core import em

try:  # ships with scikit-learn; without it BLAS keeps its own thread count
    from threadpoolctl import ThreadpoolController
    threadpool_limits = True
except ImportError:  # pragma: no cover
    threadpool_limits = None

__all__ = ["summarize", "log_prob_blocks", "predict_blocks", "default_block_size",
           "default_n_threads"]

_FULL_FLOATS = 1 << 17  # floats in one (B, K, D) temporary of a full-covariance block
_FLAT_FLOATS = 1 << 18  # floats in a block's (B, K + D) temporaries for the other types
MIN_ROWS_PER_THREAD = 8192  # below this a worker thread costs more than it saves


def default_block_size(n_components, n_features, covariance_type="full"):
    """Rows per block: big enough to amortise Python's per-call cost, small enough for cache.

    ``full`` holds (rows, K, D) temporaries: about 128k floats (1 MiB) each.
    The other types hold only (rows, D) and (rows, K) ones.
    """
    if covariance_type == "full":
        return int(np.clip(_FULL_FLOATS // max(1, n_components * n_features), 256, 16384))
    return int(np.clip(_FLAT_FLOATS // max(1, n_components + n_features), 1024, 32768))


def default_n_threads():
    """Worker threads: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class _Prepared:
    """Per-iteration constants shared by all blocks.

    ``full`` centres each block on every component's mean (a (B, K, D) array
    that serves the E-step and the moments alike).  The other types expand the
    quadratic form into matrix products about one shared centre ``c`` (the
    weighted mean of the means), which costs no (B, K, D) array at all:
    ``||(x - mu_k) * p_k||^2 = (xc^2) @ p_k^2 - 2 xc @ (muc_k * p_k^2) + ||muc_k * p_k||^2``
    with ``xc = x - c``, ``muc = mu - c``; the moments are then taken about ``c``.
    """

    def __init__(self, params):
        self.params = params
        ct = self.covariance_type = params.covariance_type
        self.means = np.ascontiguousarray(params.means)
        pc = params.precisions_cholesky
        d = params.n_features
        self.pc = pc
        log_det = em._log_det_cholesky(pc, ct, d)
        self.const = np.log(params.weights) + log_det - 0.5 * d * np.log(2 * np.pi)
        if ct == "full":
            self.shift = self.means
            return
        self.c = params.weights @ params.means
        muc = self.means - self.c
        if ct == "tied":
            self.shift = self.c
            self.muc_pc = muc @ pc  # (K, D)
            self.quad_const = np.einsum("kd,kd->k", self.muc_pc, self.muc_pc)
            return
        prec = pc ** 2 if ct == "diag" else np.repeat((pc ** 2)[:, None], d, axis=1)
        self.shift = np.repeat(self.c[None], len(self.means), axis=0)
        self.prec_t = np.ascontiguousarray(prec.T)  # (D, K)
        self.lin_t = np.ascontiguousarray((muc * prec).T)  # (D, K)
        self.quad_const = np.einsum("kd,kd->k", muc * muc, prec)


def _block_wlp(xb, prep):
    """Weighted log-probabilities (B, K) of one block, and what the moments need."""
    ct = prep.covariance_type
    if ct == "full":
        centred = xb[:, None, :] - prep.means[None]  # (B, K, D)
        y = np.matmul(centred.transpose(1, 0, 2), prep.pc)  # (K, B, D)
        maha = np.einsum("kbd,kbd->bk", y, y)
        return prep.const - 0.5 * maha, centred
    xc = xb - prep.c
    if ct == "tied":
        y = xc @ prep.pc
        maha = (np.einsum("bd,bd->b", y, y)[:, None] - 2.0 * (y @ prep.muc_pc.T)
                + prep.quad_const)
    else:
        maha = (xc * xc) @ prep.prec_t - 2.0 * (xc @ prep.lin_t) + prep.quad_const
    return prep.const - 0.5 * maha, xc


def _block_stats(xb, wb, prep):
    """E-step of one block reduced to (nk, s1, s2, total_weight, ll_sum)."""
    ct = prep.covariance_type
    wlp, centred = _block_wlp(xb, prep)
    lpn = logsumexp(wlp, axis=1)
    resp = np.exp(wlp - lpn[:, None])
    if wb is not None:
        resp *= wb[:, None]
        ll_sum, total = float(wb @ lpn), float(wb.sum())
    else:
        ll_sum, total = float(lpn.sum()), float(xb.shape[0])
    nk = resp.sum(axis=0)
    if ct == "full":
        z = centred * resp[:, :, None]  # (B, K, D)
        s1 = z.sum(axis=0)
        s2 = np.matmul(z.transpose(1, 2, 0), centred.transpose(1, 0, 2))  # (K, D, D)
        return nk, s1, s2, total, ll_sum
    xc = centred
    s1 = resp.T @ xc
    if ct == "tied":
        wxc = xc if wb is None else xc * wb[:, None]
        s2 = wxc.T @ xc
    else:
        s2 = resp.T @ (xc * xc)
    return nk, s1, s2, total, ll_sum


def _ranges(n_samples, block_size, n_threads):
    """Contiguous runs of whole blocks, one per thread."""
    n_blocks = -(-n_samples // block_size)
    n_threads = max(1, min(n_threads, n_blocks))
    cuts = np.linspace(0, n_blocks, n_threads + 1).round().astype(int) * block_size
    return [(int(a), int(min(b, n_samples))) for a, b in zip(cuts[:-1], cuts[1:])]


_POOL = {}
_POOL_LOCK = threading.Lock()


def _pool(n_threads):
    """A process-wide pool of worker threads, made on first use."""
    with _POOL_LOCK:
        if n_threads not in _POOL:
            _POOL[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix="gmm-em")
        return _POOL[n_threads]


_BLAS = {}
_PARALLEL_LOCK = threading.Lock()  # one parallel pass at a time: BLAS limits are global


def _blas_limit():
    if threadpool_limits is None:  # pragma: no cover
        return nullcontext()
    if "controller" not in _BLAS:
        _BLAS["controller"] = ThreadpoolController()
    return _BLAS["controller"].limit(limits=1, user_api="blas")


def _run(work, n_samples, block_size, n_threads):
    """Apply ``work(start, stop)`` to each thread's run of rows; results in order.

    Small inputs (under ``MIN_ROWS_PER_THREAD`` rows a thread) stay on the
    calling thread, where starting workers would cost more than it saves.
    """
    n_threads = min(n_threads, max(1, n_samples // MIN_ROWS_PER_THREAD))
    ranges = _ranges(n_samples, block_size, n_threads)
    if len(ranges) == 1 and n_samples <= block_size:  # one small block: BLAS as it is
        return [work(*ranges[0])]
    with _PARALLEL_LOCK, _blas_limit():  # small per-block products: one BLAS thread each
        if len(ranges) == 1:
            return [work(*ranges[0])]
        return list(_pool(len(ranges)).map(lambda r: work(*r), ranges))


def summarize(X, params, sample_weight=None, *, block_size=None, n_threads=None):
    """One pass of EM over ``X``: sufficient statistics about the current means.

    Equal, up to rounding, to :func:`gmm_core.em.summarize` (the reference).

    Parameters
    ----------
    X : ndarray (N, D), float64
    params : GMMParams
    sample_weight : ndarray (N,), optional
    block_size : int, optional
        Rows per block (default :func:`default_block_size`).
    n_threads : int, optional
        Worker threads (default :func:`default_n_threads`).

    Examples
    --------
    >>> import numpy as np
    >>> from gmm_core import em
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> p = em.m_step(X, rng.dirichlet([1, 1], size=1000), "full")
    >>> fast = summarize(X, p, block_size=100, n_threads=2)
    >>> ref = em.summarize(X, p)
    >>> bool(np.allclose(fast.s2, ref.s2, rtol=1e-12))
    True
    """
    prep = _Prepared(params)
    n_samples = X.shape[0]
    block_size = block_size or default_block_size(params.n_components, params.n_features,
                                                  params.covariance_type)
    n_threads = n_threads or default_n_threads()

    def work(start, stop):
        acc = None
        for b in range(start, stop, block_size):
            e = min(b + block_size, stop)
            part = _block_stats(X[b:e], None if sample_weight is None
                                else sample_weight[b:e], prep)
            acc = list(part) if acc is None else [a + p for a, p in zip(acc, part)]
        return acc

    parts = _run(work, n_samples, block_size, n_threads)
    nk, s1, s2, total, ll = parts[0]
    for p in parts[1:]:
        nk, s1, s2, total, ll = nk + p[0], s1 + p[1], s2 + p[2], total + p[3], ll + p[4]
    return em.SufficientStats(params.covariance_type, prep.shift, nk, s1, s2, total, ll)


def log_prob_blocks(X, params, *, block_size=None, n_threads=None, what="log_resp"):
    """Blockwise E-step outputs for every row.

    ``what`` is ``"log_resp"`` (N, K) log responsibilities, ``"log_prob_norm"``
    (N,) log densities, or ``"labels"`` (N,) most probable components -- the last
    two never hold an (N, K) array.
    """
    prep = _Prepared(params)
    n_samples, k = X.shape[0], params.n_components
    block_size = block_size or default_block_size(k, params.n_features,
                                                  params.covariance_type)
    n_threads = n_threads or default_n_threads()
    shape = (n_samples, k) if what == "log_resp" else (n_samples,)
    out = np.empty(shape, dtype=np.int64 if what == "labels" else np.float64)

    def work(start, stop):
        for b in range(start, stop, block_size):
            e = min(b + block_size, stop)
            wlp, _ = _block_wlp(X[b:e], prep)
            if what == "labels":
                out[b:e] = wlp.argmax(axis=1)
                continue
            lpn = logsumexp(wlp, axis=1)
            if what == "log_prob_norm":
                out[b:e] = lpn
            else:
                with np.errstate(under="ignore"):
                    out[b:e] = wlp - lpn[:, None]

    _run(work, n_samples, block_size, n_threads)
    return out


def predict_blocks(X, params, **kw):
    """Most probable component of every row, without an (N, K) array."""
    return log_prob_blocks(X, params, what="labels", **kw)


def m_step(X, covariance_type, reg_covar=1e-6, sample_weight=None, *, resp=None,
           labels=None, n_components=None, block_size=None):
    """Textbook two-pass M-step, block by block, from soft ``resp`` or hard ``labels``.

    Used once per fit, after initialisation, when there are no previous means
    to take moments about; ``labels`` (with ``n_components``) avoids building a
    one-hot (N, K) matrix.  Equal, up to rounding, to :func:`gmm_core.em.m_step`.
    """
    n_samples, n_features = X.shape
    k = resp.shape[1] if resp is not None else int(n_components)
    block_size = block_size or default_block_size(k, n_features)

    def blocks():
        for b in range(0, n_samples, block_size):
            e = min(b + block_size, n_samples)
            if resp is not None:
                rb = resp[b:e]
            else:
                rb = np.zeros((e - b, k))
                rb[np.arange(e - b), labels[b:e]] = 1.0
            yield X[b:e], rb, None if sample_weight is None else sample_weight[b:e]

    nk, sx = np.zeros(k), np.zeros((k, n_features))
    for xb, rb, wb in blocks():
        rw = rb if wb is None else rb * wb[:, None]
        nk += rw.sum(axis=0)
        sx += rw.T @ xb
    means = sx / (nk + 10 * np.finfo(float).eps)[:, None]
    if covariance_type == "tied":
        shift = ((nk + 10 * np.finfo(float).eps) / (nk.sum() + k * 10 * np.finfo(float).eps)
                 ) @ means
    else:
        shift = means
    stats = sum(em._stats_from_resp(xb, rb, covariance_type, shift, wb)
                for xb, rb, wb in blocks())
    if covariance_type != "tied":
        # moments about the means themselves: S1 is zero up to rounding
        stats = em.SufficientStats(covariance_type, means, stats.nk, np.zeros_like(stats.s1),
                                   stats.s2, stats.total_weight, 0.0)
    return em.params_from_stats(stats, reg_covar)
