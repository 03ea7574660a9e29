"""The hot path of EM: one pass over the rows per iteration, in blocks, on every core.

:mod:`gmm_core.mixture._reference` states the maths plainly (whole arrays, a
loop over components) and is the reference the tests hold this module to.  Here the
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

This numpy code is the documented reference of the fast path and its fallback:
when numba is importable, :func:`summarize` and :func:`log_prob_blocks` hand each
thread's run of rows to the compiled kernels of :mod:`gmm_core.mixture._compiled`
(chosen by :mod:`gmm_core.mixture._kernels`, from this module's ``_Prepared``
constants), which compute the same numbers fused over each block;
``engine="numpy"`` or ``GMM_EXPLORER_KERNEL=numpy`` runs the code here.

Functions here trust their inputs (float64, C-contiguous, validated).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from gmm_core.mixture import _kernels, _share
from gmm_core.mixture._params import (
    GMMParams,
    SufficientStats,
    _log_det_cholesky,
    _stats_from_labels,
    _stats_from_resp,
    moment_shift,
    params_from_stats,
    precision_cholesky,
)
from gmm_core.mixture._typing import CovarianceType

try:  # ships with scikit-learn; without it BLAS keeps its own thread count
    from threadpoolctl import ThreadpoolController
    threadpool_limits = True
except ImportError:  # pragma: no cover
    threadpool_limits = None

__all__ = ["summarize", "log_prob_blocks", "posterior_summary", "predict_blocks", "log_densities",
           "responsibilities", "m_step", "default_block_size", "default_n_threads", "is_compiled",
           "warm_up"]

_FULL_FLOATS = 1 << 18  # floats in one (B, K, D) temporary of a full-covariance block
_FLAT_FLOATS = 1 << 18  # floats in a block's (B, K + D) temporaries for the other types
MIN_ROWS_PER_THREAD = 8192  # below this a worker thread costs more than it saves


def default_block_size(n_components, n_features, covariance_type="full"):
    """Rows per block: big enough to amortise Python's per-call cost, small enough for cache.

    ``full`` holds (rows, K, D) temporaries: about 256k floats (2 MiB) each.
    The other types hold only (rows, D) and (rows, K) ones.
    """
    if covariance_type == "full":
        return int(np.clip(_FULL_FLOATS // max(1, n_components * n_features), 256, 16384))
    return int(np.clip(_FLAT_FLOATS // max(1, n_components + n_features), 1024, 32768))


def default_n_threads():
    """Worker threads: the cores this process may use, or its caller's share of them."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = max(1, os.cpu_count() or 1)
    return _share.threads(cores)


SMALL_D = 4  # full covariance up to this many features: elementwise kernels, no BLAS


class _Prepared:
    """Per-iteration constants shared by all blocks.

    Blocks are laid out **components by rows**, (K, B), rows innermost, so
    that every elementwise pass and every reduction over components runs along
    long contiguous rows whatever K and D are.

    ``full`` centres each block on every component's mean before anything is
    squared (the moments are then taken about the means themselves, as
    accurate as the two-pass formula however far the clusters lie from zero).
    The other types expand the quadratic form about one shared centre ``c``
    (the weighted mean of the means, :func:`~gmm_core.mixture._params.moment_shift`)
    into one matrix product:
    ``-||(x - mu_k) * p_k||^2 / 2 = [xc^2, xc] @ [-p_k^2 / 2, muc_k p_k^2] - ||muc_k p_k||^2 / 2``
    with ``xc = x - c`` and ``muc = mu - c``, whose features ``[xc^2, xc]`` also
    give the moments about ``c`` in one more product.
    """

    def __init__(self, params, *, with_weights=True):
        self.params = params
        ct = self.covariance_type = params.covariance_type
        self.means = np.ascontiguousarray(params.means)
        pc = params.precisions_cholesky
        d = params.n_features
        self.pc = pc
        log_det = _log_det_cholesky(pc, ct, d)
        if with_weights:  # log weights + log densities; without: the densities alone
            with np.errstate(divide="ignore"):  # a weight of 0 (given as weights_init)
                log_det = np.log(params.weights) + log_det
        const = np.broadcast_to(log_det - 0.5 * d * np.log(2 * np.pi), (params.n_components,))
        self.base_const = const  # log(weight) + log-density at the mean, per component
        self.shift = moment_shift(ct, self.means, params.weights, pc)
        # Means too far apart to expand about their centre: evaluate each component about
        # its own mean with the full kernel, on the equivalent full precision factors.
        self.kernel = ct
        if ct != "full" and (self.shift.ndim == 2 if ct == "tied"
                             else not np.all(self.shift == self.shift[0])):
            self.kernel = "full"
            k = params.n_components
            pc = {"tied": lambda: np.repeat(pc[None], k, axis=0),
                  "diag": lambda: pc[:, :, None] * np.eye(d),
                  "spherical": lambda: pc[:, None, None] * np.eye(d)}[ct]()
            self.pc = pc
        if self.kernel == "full":
            self.const = const[:, None]
            self.means_t = np.ascontiguousarray(self.means.T)[:, :, None]  # (D, K, 1)
            self.pc_de = np.ascontiguousarray(pc.transpose(1, 2, 0))[..., None]  # (D, D, K, 1)
            return
        self.c = self.shift if ct == "tied" else self.shift[0]
        muc = self.means - self.c
        if ct == "tied":
            self.pc_t = np.ascontiguousarray(pc.T)
            muc_pc = muc @ pc  # (K, D)
            self.lin = muc_pc  # (K, D)
            self.const = (const - 0.5 * np.einsum("kd,kd->k", muc_pc, muc_pc))[:, None]
            return
        prec = pc ** 2 if ct == "diag" else np.repeat((pc ** 2)[:, None], d, axis=1)
        self.weights_t = np.ascontiguousarray(np.hstack([-0.5 * prec, muc * prec]))  # (K, 2D)
        self.const = (const - 0.5 * np.einsum("kd,kd->k", muc * muc, prec))[:, None]


def _normalise(wlp):
    """Log-sum-exp over components, in place: (K, B) log-probs -> responsibilities.

    Returns ``(resp, log_prob_norm)``; ``resp`` is ``wlp``'s buffer.
    """
    top = wlp.max(axis=0)
    wlp -= top
    np.exp(wlp, out=wlp)
    total = wlp.sum(axis=0)
    wlp /= total
    return wlp, top + np.log(total)


def _block_wlp(xb, prep):
    """Weighted log-probabilities (K, B) of one block, and what the moments need."""
    ct = prep.kernel
    if ct == "full":
        d = xb.shape[1]
        if d <= SMALL_D:  # (D, K, B): rows innermost, each product elementwise
            centred = xb.T[:, None, :] - prep.means_t
            maha = None
            for e in range(d):
                y = prep.pc_de[0, e] * centred[0]
                for i in range(1, d):
                    y += prep.pc_de[i, e] * centred[i]
                maha = y * y if maha is None else maha + y * y
        else:  # (K, B, D + 1): one batched BLAS product; the column of ones gives S1
            centred = np.empty((prep.means.shape[0], xb.shape[0], d + 1))
            centred[..., d] = 1.0
            np.subtract(xb[None, :, :], prep.means[:, None, :], out=centred[..., :d])
            y = np.matmul(centred[..., :d], prep.pc)
            maha = np.einsum("kbd,kbd->kb", y, y)
        maha *= -0.5
        maha += prep.const
        return maha, centred
    if ct == "tied":
        xc = xb - prep.c
        y = xc @ prep.pc  # (B, D)
        wlp = prep.lin @ y.T  # (K, B)
        wlp -= 0.5 * np.einsum("bd,bd->b", y, y)
        wlp += prep.const
        return wlp, xc
    d = xb.shape[1]
    feats = np.empty((xb.shape[0], 2 * d))  # [xc^2, xc], written in place
    np.subtract(xb, prep.c, out=feats[:, d:])
    np.multiply(feats[:, d:], feats[:, d:], out=feats[:, :d])
    wlp = prep.weights_t @ feats.T
    wlp += prep.const
    return wlp, feats


def _block_stats(xb, wb, prep):
    """E-step of one block reduced to (nk, s1, s2, total_weight, ll_sum)."""
    ct = prep.kernel
    wlp, centred = _block_wlp(xb, prep)
    resp, lpn = _normalise(wlp)  # (K, B)
    if wb is not None:
        resp *= wb
        ll_sum, total = float(wb @ lpn), float(wb.sum())
    else:
        ll_sum, total = float(lpn.sum()), float(xb.shape[0])
    nk = resp.sum(axis=1)
    d = xb.shape[1]
    if ct == "full":
        if d <= SMALL_D:  # centred is (D, K, B)
            z = resp[None] * centred
            s1 = z.sum(axis=2).T
            s2 = np.empty((resp.shape[0], d, d))
            for i in range(d):
                for j in range(i, d):
                    s2[:, i, j] = s2[:, j, i] = np.einsum("kb,kb->k", z[i], centred[j])
        else:  # centred is (K, B, D + 1), its last column ones
            z = centred[..., :d] * resp[:, :, None]
            moments = np.matmul(z.transpose(0, 2, 1), centred)  # (K, D, D + 1)
            s1, s2 = moments[..., d], moments[..., :d]
        if prep.covariance_type == "tied":  # pooled over components, each about its mean
            s2 = s2.sum(axis=0)
        elif prep.covariance_type != "full":  # diag, spherical: the variances
            s2 = np.diagonal(s2, axis1=1, axis2=2).copy()
        return nk, s1, s2, total, ll_sum
    if ct == "tied":
        xc = centred
        s1 = resp @ xc
        wxc = xc if wb is None else xc * wb[:, None]
        s2 = wxc.T @ xc
        return nk, s1, s2, total, ll_sum
    moments = resp @ centred  # (K, 2D): [sum r xc^2, sum r xc]
    return nk, moments[:, d:], moments[:, :d], total, ll_sum


def _ranges(n_samples, block_size, n_threads):
    """Contiguous runs of whole blocks, one per thread."""
    n_blocks = -(-n_samples // block_size)
    n_threads = max(1, min(n_threads, n_blocks))
    cuts = np.linspace(0, n_blocks, n_threads + 1).round().astype(int) * block_size
    return [(int(a), int(min(b, n_samples))) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


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


def _run(work, n_samples, block_size, n_threads, *, blas=True):
    """Apply ``work(start, stop)`` to each thread's run of rows; results in order.

    Small inputs (under ``MIN_ROWS_PER_THREAD`` rows a thread) stay on the
    calling thread, where starting workers would cost more than it saves.
    ``blas=False`` (the compiled kernels, which call no BLAS) neither limits
    BLAS's threads nor waits for another pass to finish.
    """
    n_threads = min(n_threads, max(1, n_samples // MIN_ROWS_PER_THREAD))
    ranges = _ranges(n_samples, block_size, n_threads)
    if len(ranges) == 1 and (n_samples <= block_size or not blas):  # BLAS as it is
        return [work(*ranges[0])]
    if not blas:
        return list(_pool(len(ranges)).map(lambda r: work(*r), ranges))
    with _PARALLEL_LOCK, _blas_limit():  # small per-block products: one BLAS thread each
        if len(ranges) == 1:
            return [work(*ranges[0])]
        return list(_pool(len(ranges)).map(lambda r: work(*r), ranges))


def is_compiled(params: GMMParams, engine: str | None = None) -> bool:
    """Whether a pass under ``params`` runs the compiled kernels (else numpy's code here)."""
    return _kernels.plan(_Prepared(params), engine) is not None


def _pass_setup(params, block_size, n_threads):
    """A pass's per-iteration constants, and its block size and threads (defaults filled)."""
    return (_Prepared(params),
            block_size or default_block_size(params.n_components, params.n_features,
                                             params.covariance_type),
            n_threads or default_n_threads())


def summarize(X: np.ndarray, params: GMMParams, sample_weight: np.ndarray | None = None, *,
              block_size: int | None = None, n_threads: int | None = None,
              engine: str | None = None) -> SufficientStats:
    """One pass of EM over ``X``: sufficient statistics about the current means.

    Equal, up to rounding, to :func:`gmm_core.mixture._reference.summarize`.

    Parameters
    ----------
    X : ndarray (N, D), float64
    params : GMMParams
    sample_weight : ndarray (N,), optional
    block_size : int, optional
        Rows per block (default :func:`default_block_size`).
    n_threads : int, optional
        Worker threads (default :func:`default_n_threads`).
    engine : {"numba", "numpy"}, optional
        ``"numpy"`` runs the numpy code of this module; by default the compiled
        kernels run the pass when they can (:func:`gmm_core.mixture._kernels.plan`).

    Examples
    --------
    >>> import numpy as np
    >>> from gmm_core.mixture import _reference
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> p = m_step(X, "full", resp=rng.dirichlet([1, 1], size=1000))
    >>> fast = summarize(X, p, block_size=100, n_threads=2)
    >>> ref = _reference.summarize(X, p)
    >>> bool(np.allclose(fast.s2, ref.s2, rtol=1e-12))
    True
    """
    prep, block_size, n_threads = _pass_setup(params, block_size, n_threads)
    n_samples = X.shape[0]

    compiled = _kernels.plan(prep, engine)
    if compiled is not None:  # the same statistics, fused and compiled
        X = np.ascontiguousarray(X)

        def work(start, stop):
            return compiled.stats(X, sample_weight, start, stop)

        return _sum_parts(_run(work, n_samples, block_size, n_threads, blas=False), params,
                          prep)

    def work(start, stop):
        acc = None
        for b in range(start, stop, block_size):
            e = min(b + block_size, stop)
            part = _block_stats(X[b:e], None if sample_weight is None
                                else sample_weight[b:e], prep)
            acc = list(part) if acc is None else [a + p for a, p in zip(acc, part, strict=True)]
        return acc

    return _sum_parts(_run(work, n_samples, block_size, n_threads), params, prep)


def _sum_parts(parts, params, prep):
    """The threads' ``(nk, s1, s2, total, ll)`` summed in order, as statistics."""
    nk, s1, s2, total, ll = parts[0]
    for p in parts[1:]:
        nk, s1, s2, total, ll = nk + p[0], s1 + p[1], s2 + p[2], total + p[3], ll + p[4]
    return SufficientStats(params.covariance_type, prep.shift, nk, s1, s2, total, ll)


def log_prob_blocks(X, params, *, block_size=None, n_threads=None, what="log_resp",
                    engine=None):
    """Blockwise E-step outputs for every row.

    ``what`` is ``"log_resp"`` (N, K) log responsibilities, ``"log_prob_norm"``
    (N,) log densities of the mixture, ``"log_density"`` (N, K) each component's
    log density ``log N(x_i | mu_k, Sigma_k)`` (weights left out), or ``"labels"``
    (N,) most probable components -- ``"log_prob_norm"`` and ``"labels"`` never
    hold an (N, K) array.  ``engine`` as for :func:`summarize`.
    """
    prep = _Prepared(params, with_weights=what != "log_density")
    n_samples, k = X.shape[0], params.n_components
    block_size = block_size or default_block_size(k, params.n_features,
                                                  params.covariance_type)
    n_threads = n_threads or default_n_threads()
    shape = (n_samples, k) if what in ("log_resp", "log_density") else (n_samples,)
    out = np.empty(shape, dtype=np.int64 if what == "labels" else np.float64)
    compiled = _kernels.plan(prep, engine)
    if compiled is not None:
        X = np.ascontiguousarray(X)
        _run(lambda start, stop: compiled.outputs(X, start, stop, what, out), n_samples,
             block_size, n_threads, blas=False)
        return out

    def work(start, stop):
        for b in range(start, stop, block_size):
            e = min(b + block_size, stop)
            wlp, _ = _block_wlp(X[b:e], prep)
            if what == "labels":
                out[b:e] = wlp.argmax(axis=0)
                continue
            if what == "log_density":
                out[b:e] = wlp.T
                continue
            top = wlp.max(axis=0)
            wlp -= top
            log_total = np.log(np.exp(wlp).sum(axis=0))
            if what == "log_prob_norm":
                out[b:e] = top + log_total
            else:  # (wlp - top) - log_total: exact however large |top| is
                with np.errstate(under="ignore"):
                    out[b:e] = (wlp - log_total).T

    _run(work, n_samples, block_size, n_threads)
    return out


def posterior_summary(X: np.ndarray, params: GMMParams, *, block_size: int | None = None,
                      n_threads: int | None = None,
                      engine: str | None = None) -> tuple[float, float, np.ndarray]:
    """``(log_likelihood_sum, entropy, labels)`` of ``X`` under ``params``, in one pass.

    ``log_likelihood_sum`` is ``sum_i log p(x_i)`` (``N`` times the mean that
    ``score`` gives), ``entropy`` is ``-sum_i sum_k r_ik log r_ik`` of the
    responsibilities (ICL's), ``labels`` the rows' most probable components
    (:func:`predict_blocks`'): what a fitted model's row of a model-selection
    table needs, without an (N, K) array.  ``engine`` as for :func:`summarize`.

    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> p = m_step(X, "diag", labels=np.arange(200) % 2, n_components=2)
    >>> ll, entropy, labels = posterior_summary(X, p)
    >>> resp = responsibilities(X, p)
    >>> bool(np.isclose(entropy, -np.sum(resp * np.log(resp))))
    True
    """
    prep, block_size, n_threads = _pass_setup(params, block_size, n_threads)
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.int64)
    compiled = _kernels.plan(prep, engine)
    if compiled is not None:
        X = np.ascontiguousarray(X)
        parts = _run(lambda start, stop: compiled.summary(X, start, stop, labels), n_samples,
                     block_size, n_threads, blas=False)
    else:
        tiny = np.finfo(float).tiny

        def work(start, stop):
            ll = entropy = 0.0
            for b in range(start, stop, block_size):
                e = min(b + block_size, stop)
                wlp, _ = _block_wlp(X[b:e], prep)
                labels[b:e] = wlp.argmax(axis=0)
                top = wlp.max(axis=0)
                wlp -= top
                log_total = np.log(np.exp(wlp).sum(axis=0))
                ll += float(np.sum(top + log_total))
                with np.errstate(under="ignore"):
                    resp = np.exp(wlp - log_total)
                entropy -= float(np.sum(resp * np.log(np.maximum(resp, tiny))))
            return ll, entropy

        parts = _run(work, n_samples, block_size, n_threads)
    ll, entropy = parts[0]
    for part in parts[1:]:
        ll, entropy = ll + part[0], entropy + part[1]
    return ll, entropy, labels


def predict_blocks(X, params, **kw):
    """Most probable component of every row, without an (N, K) array."""
    return log_prob_blocks(X, params, what="labels", **kw)


def log_densities(X, params, **kw):
    """``log N(x_i | mu_k, Sigma_k)`` of every row under every component, (N, K).

    The engine's one log-density: the E-step adds ``log(weights)`` to it and
    normalises over components.

    >>> from scipy.stats import multivariate_normal
    >>> from gmm_core.mixture._params import GMMParams
    >>> p = GMMParams.from_covariances(np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None], "full")
    >>> x = np.array([[0.5, -1.0]])
    >>> bool(np.isclose(log_densities(x, p)[0, 0], multivariate_normal(np.zeros(2)).logpdf(x[0])))
    True
    """
    return log_prob_blocks(X, params, what="log_density", **kw)


def responsibilities(X, params, **kw):
    """The E-step's responsibilities ``p(k | x_i)`` of every row, (N, K); rows sum to one."""
    return np.exp(log_prob_blocks(X, params, what="log_resp", **kw))


def m_step(X: np.ndarray, covariance_type: CovarianceType, reg_covar: float = 1e-6,
           sample_weight: np.ndarray | None = None, *, resp: np.ndarray | None = None,
           labels: np.ndarray | None = None, n_components: int | None = None,
           block_size: int | None = None) -> GMMParams:
    """Textbook two-pass M-step, block by block, from soft ``resp`` or hard ``labels``.

    Used once per fit, after initialisation, when there are no previous means
    to take moments about; ``labels`` (with ``n_components``) avoids building a
    one-hot (N, K) matrix.  Equal, up to rounding, to
    :func:`gmm_core.mixture._reference.m_step`.
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

    if resp is None:  # hard labels: each component's own rows, no (N, K) one-hot
        return params_from_stats(_stats_from_labels(X, np.asarray(labels), k, covariance_type,
                                                    sample_weight), reg_covar)
    nk, sx = np.zeros(k), np.zeros((k, n_features))
    for xb, rb, wb in blocks():
        rw = rb if wb is None else rb * wb[:, None]
        nk += rw.sum(axis=0)
        sx += rw.T @ xb
    nk = nk + 10 * np.finfo(float).eps
    means = sx / nk[:, None]
    shift = moment_shift(covariance_type, means, nk / nk.sum())
    stats = sum(_stats_from_resp(xb, rb, covariance_type, shift, wb) for xb, rb, wb in blocks())
    return params_from_stats(stats, reg_covar)


def warm_up(*, background: bool = True) -> threading.Thread | None:
    """Load (or, the first time ever, compile) the compiled kernels; once per process.

    With ``background`` the work runs in a daemon thread, returned at once (the
    app calls this at start); until it ends, passes run numpy's path, so no
    user's fit waits for it.  ``None`` when it has already been done or started,
    or ran in the foreground.  Under numpy's
    path (:func:`gmm_core.mixture._kernels.engine`) there is nothing to warm.
    """
    if not _kernels.claim_warm_up(background):
        return None
    if not background:
        _warm()
        return None
    thread = threading.Thread(target=_warm, name="gmm-warm-up", daemon=True)
    thread.start()
    return thread


def _warm():
    """One small pass of every kind and output through the compiled kernels (k-means' too)."""
    try:
        if _kernels.engine() == "numba":
            _warm_passes()
    finally:  # from here on (even if compiling failed) passes choose their engine again
        _kernels.warm_up_done()


def _warm_passes():
    X = np.random.RandomState(0).normal(size=(64, 2))
    means = np.array([[0.0, 0.0], [1.0, 1.0]])
    covs = {"full": np.stack([np.eye(2)] * 2), "tied": np.eye(2), "diag": np.ones((2, 2)),
            "spherical": np.ones(2)}
    for ct, cov in covs.items():
        p = GMMParams(np.array([0.5, 0.5]), means, cov, precision_cholesky(cov, ct), ct)
        for w in (None, np.ones(len(X))):
            summarize(X, p, w, n_threads=1, engine="numba")
        for what in ("log_resp", "log_prob_norm", "log_density", "labels"):
            log_prob_blocks(X, p, what=what, n_threads=1, engine="numba")
        posterior_summary(X, p, n_threads=1, engine="numba")
        _warm_gaps(X, p)
    kmeans = _kernels.kmeans_kernels("numba")  # k-means starts and the silhouette
    if kmeans is not None:
        kmeans.warm(_kernels._ro)


def _warm_gaps(X, params):
    """The kernels of rows with gaps (``_missing``'s compiled pass), on two patterns."""
    grouping = (np.arange(len(X), dtype=np.int32), np.array([0, len(X) // 2, len(X)]),
                np.array([[True, True], [True, False]]))
    gaps = _kernels.gap_plan(params, "numba")
    if gaps is None:
        return
    for w in (None, np.ones(len(X))):
        gaps.stats(X, w, *grouping, 0, len(X))
    for what in ("log_resp", "log_prob_norm", "log_density", "labels"):
        out = np.empty((len(X), 2) if what in ("log_resp", "log_density") else len(X),
                       dtype=np.int64 if what == "labels" else np.float64)
        gaps.outputs(X, *grouping, 0, len(X), what, out)
