"""The E-step fused over a block of rows, compiled by numba (imported only by ``_kernels``).

:mod:`gmm_core.mixture._blocked` states the blocked pass in numpy and stays the
reference; the kernels here compute the same numbers in one sweep over each block
of :data:`ROWS` rows, with nothing larger than a block ever allocated:

1. the block is copied transposed, features by rows (D, B), so that every inner
   loop runs over rows -- contiguous, and vectorised by LLVM whatever D is;
2. each component's weighted log-density ``const_k - ||(x - mu_k) L_k||^2 / 2``
   (``full``: the triangular product with the precision Cholesky factor, only
   its non-zero band; ``tied``: ``y = (x - c) L`` once, then
   ``||y - (mu_k - c) L||^2`` per component; ``diag``/``spherical``:
   ``sum_j ((x_j - mu_kj) p_kj)^2``);
3. log-sum-exp over components, the responsibilities, the log-likelihood;
4. the sufficient statistics about the one shift of
   :func:`~gmm_core.mixture.moment_shift` (``s2`` always three-dimensional here:
   (K, D, D) ``full``, (1, D, D) ``tied``, (K, 1, D) ``diag``).

``fastmath`` is limited to fused multiply-add (``contract``) everywhere but in
:func:`_dot`, the one reduction, which may also reassociate its sum so that it
vectorises: no kernel may rewrite ``(x - mu) * p`` as ``x * p - mu * p``, which
would lose the digits that centring on the means keeps.  ``exp`` is
:func:`_exp_block`, a vectorisable exp of non-positive arguments (about 1 ulp).

:func:`summary` is the pass after a fit: labels, log-likelihood and the
responsibilities' entropy (ICL's) at once, for a model-selection table's row.

Every kernel is ``nogil``: the caller's threads run them on every core.  They
trust their inputs (float64, C-contiguous, shapes as documented in ``_kernels``).
"""

import math

import numpy as np
from numba import njit

__all__ = ["ROWS", "FULL", "TIED", "DIAG", "stats", "outputs", "summary"]

ROWS = 256  # rows per block: a block's (D, B) and (K, B) buffers stay in L1/L2
FULL, TIED, DIAG = 0, 1, 2
LOG_RESP, LOG_PROB_NORM, LOG_DENSITY, LABELS = 0, 1, 2, 3

_STRICT = {"contract"}
_REDUCE = {"contract", "reassoc"}
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split in two: n * _LN2_HI is exact for |n| < 2**20
_LN2_LO = 1.9082149292705877e-10
_ROUND = 6755399441055744.0  # 1.5 * 2**52: (t + _ROUND) - _ROUND rounds t to an integer
_EXP_MIN = -708.0  # exp below this is taken as 0 (numpy would return a subnormal)


@njit(nogil=True, cache=True, fastmath=_REDUCE)
def _dot(a, i, c, j, n):
    """``sum_b a[i, b] * c[j, b]`` over the first ``n`` columns (vectorised reduction)."""
    s = 0.0
    for b in range(n):
        s += a[i, b] * c[j, b]
    return s


@njit(nogil=True, cache=True, fastmath=_REDUCE)
def _total(a, i, n):
    """``sum_b a[i, b]`` over the first ``n`` columns (vectorised reduction)."""
    s = 0.0
    for b in range(n):
        s += a[i, b]
    return s


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _exp_block(a, k, n, bits):
    """``a[k, :n] = exp(a[k, :n])`` for ``a <= 0``: Cody-Waite reduction, degree-13 Taylor."""
    for b in range(n):
        x = max(a[k, b], _EXP_MIN)
        m = (x * _LOG2E + _ROUND) - _ROUND
        bits[b] = (np.int64(m) + 1023) << 52  # 2**m
    scale = bits.view(np.float64)
    for b in range(n):
        x = a[k, b]
        keep = x >= _EXP_MIN
        x = max(x, _EXP_MIN)
        m = (x * _LOG2E + _ROUND) - _ROUND
        r = (x - m * _LN2_HI) - m * _LN2_LO
        p = 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        a[k, b] = p * scale[b] if keep else 0.0


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _load(X, row, n, xt):
    """Rows ``row .. row + n`` of ``X`` into ``xt`` (D, ROWS), transposed."""
    d = X.shape[1]
    for b in range(n):
        for j in range(d):
            xt[j, b] = X[row + b, j]


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _weighted_log_prob(kind, xt, n, means, mats, lo, hi, prec, centre, lin, const,
                       wlp, diff, y, maha):
    """``wlp[k, b]``: component k's weighted log-density at row b of the block."""
    d = xt.shape[0]
    n_comp = wlp.shape[0]
    if kind == TIED:  # diff = x - c and y = diff @ L, shared by every component
        for j in range(d):
            for b in range(n):
                diff[j, b] = xt[j, b] - centre[j]
        for e in range(d):
            for b in range(n):
                y[e, b] = 0.0
            for j in range(lo[e], hi[e]):
                u = mats[0, j, e]
                for b in range(n):
                    y[e, b] += u * diff[j, b]
    for k in range(n_comp):
        for b in range(n):
            maha[b] = 0.0
        if kind == FULL:
            for j in range(d):
                for b in range(n):
                    diff[j, b] = xt[j, b] - means[k, j]
            for e in range(d):  # column e of diff @ L_k, over its non-zero band of rows
                for b in range(n):
                    y[0, b] = 0.0
                for j in range(lo[e], hi[e]):
                    u = mats[k, j, e]
                    for b in range(n):
                        y[0, b] += u * diff[j, b]
                for b in range(n):
                    maha[b] += y[0, b] * y[0, b]
        elif kind == TIED:
            for e in range(d):
                m = lin[k, e]
                for b in range(n):
                    t = y[e, b] - m
                    maha[b] += t * t
        else:
            for j in range(d):
                m, p = means[k, j], prec[k, j]
                for b in range(n):
                    t = (xt[j, b] - m) * p
                    maha[b] += t * t
        c = const[k]
        for b in range(n):
            wlp[k, b] = c - 0.5 * maha[b]


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _normalise(wlp, n, top, total, bits, scratch, in_place):
    """Log-sum-exp over components: ``wlp -= top`` and ``total = sum_k exp(wlp)`` per row.

    ``in_place``: ``wlp`` itself becomes ``exp(wlp - top)`` (the E-step's
    unnormalised responsibilities); else it stays in log space and each
    exponential goes through ``scratch[0]``.
    """
    n_comp = wlp.shape[0]
    for b in range(n):
        top[b] = wlp[0, b]
    for k in range(1, n_comp):
        for b in range(n):
            top[b] = max(top[b], wlp[k, b])
    for b in range(n):
        total[b] = 0.0
    for k in range(n_comp):
        for b in range(n):
            wlp[k, b] -= top[b]
        if in_place:
            _exp_block(wlp, k, n, bits)
            for b in range(n):
                total[b] += wlp[k, b]
        else:
            for b in range(n):
                scratch[0, b] = wlp[k, b]
            _exp_block(scratch, 0, n, bits)
            for b in range(n):
                total[b] += scratch[0, b]


@njit(nogil=True, cache=True)
def _buffers(d, k):
    xt = np.zeros((d, ROWS))
    diff = np.zeros((d, ROWS))
    y = np.zeros((d, ROWS))
    wlp = np.zeros((k, ROWS))
    vec = np.zeros((4, ROWS))  # maha, top, total, weights
    bits = np.zeros(ROWS, dtype=np.int64)
    return xt, diff, y, wlp, vec, bits


@njit(nogil=True, cache=True, fastmath=_STRICT)
def stats(X, w, has_w, start, stop, kind, means, mats, lo, hi, prec, centre, lin, const,
          shift, nk, s1, s2, sums):
    """Sufficient statistics of rows ``start .. stop``, added into ``nk, s1, s2, sums``.

    ``sums`` is ``[total_weight, log_likelihood_sum]``.  ``full`` takes moments
    about ``means``; ``tied`` about ``centre`` (s2 pooled, ``s2[0]``); ``diag``
    about ``shift`` (K, D), its second moments in ``s2[:, 0, :]``.  Only the upper
    triangle of ``full`` / ``tied`` s2 is accumulated; :func:`_mirror` fills the rest.
    """
    d = X.shape[1]
    n_comp = means.shape[0]
    xt, diff, y, wlp, vec, bits = _buffers(d, n_comp)
    maha, top, total, wv = vec[0], vec[1], vec[2], vec[3:4]
    for row in range(start, stop, ROWS):
        n = min(ROWS, stop - row)
        _load(X, row, n, xt)
        _weighted_log_prob(kind, xt, n, means, mats, lo, hi, prec, centre, lin, const,
                           wlp, diff, y, maha)
        _normalise(wlp, n, top, total, bits, diff, True)
        for b in range(n):
            wb = w[row + b] if has_w else 1.0
            wv[0, b] = wb
            sums[0] += wb
            sums[1] += wb * (top[b] + math.log(total[b]))
            total[b] = wb / total[b]
        for k in range(n_comp):  # responsibilities times weights
            for b in range(n):
                wlp[k, b] *= total[b]
            nk[k] += _total(wlp, k, n)
        if kind == TIED:  # diff still holds x - c
            for k in range(n_comp):
                for j in range(d):
                    s1[k, j] += _dot(wlp, k, diff, j, n)
            for i in range(d):
                for b in range(n):
                    y[i, b] = wv[0, b] * diff[i, b]
            for i in range(d):
                for j in range(i, d):
                    s2[0, i, j] += _dot(y, i, diff, j, n)
            continue
        for k in range(n_comp):
            for j in range(d):
                m = shift[k, j]
                for b in range(n):
                    diff[j, b] = xt[j, b] - m
                    y[j, b] = wlp[k, b] * diff[j, b]
                s1[k, j] += _dot(wlp, k, diff, j, n)
            if kind == FULL:
                for i in range(d):
                    for j in range(i, d):
                        s2[k, i, j] += _dot(y, i, diff, j, n)
            else:
                for j in range(d):
                    s2[k, 0, j] += _dot(y, j, diff, j, n)


@njit(nogil=True, cache=True, fastmath=_STRICT)
def summary(X, start, stop, kind, means, mats, lo, hi, prec, centre, lin, const, labels, sums):
    """Rows ``start .. stop``: each row's label (as ``outputs``' ``LABELS``) into ``labels``,
    and ``sums += [sum of log p(x), sum of -r log r over rows and components]``, ``r`` the
    responsibilities (what a model-selection table needs of a fit, in one pass)."""
    d = X.shape[1]
    n_comp = means.shape[0]
    xt, diff, y, wlp, vec, bits = _buffers(d, n_comp)
    maha, top, total = vec[0], vec[1], vec[2]
    for row in range(start, stop, ROWS):
        n = min(ROWS, stop - row)
        _load(X, row, n, xt)
        _weighted_log_prob(kind, xt, n, means, mats, lo, hi, prec, centre, lin, const,
                           wlp, diff, y, maha)
        for b in range(n):
            best = 0
            for k in range(1, n_comp):
                if wlp[k, b] > wlp[best, b]:
                    best = k
            labels[row + b] = best
        _normalise(wlp, n, top, total, bits, diff, False)
        for b in range(n):
            total[b] = math.log(total[b])
            sums[0] += top[b] + total[b]
        for k in range(n_comp):  # log r into y[0], r into diff[0]
            for b in range(n):
                y[0, b] = wlp[k, b] - total[b]
                diff[0, b] = y[0, b]
            _exp_block(diff, 0, n, bits)
            for b in range(n):
                sums[1] -= diff[0, b] * y[0, b]


@njit(nogil=True, cache=True)
def mirror(s2):
    """Copy the upper triangle of each (D, D) matrix of ``s2`` to its lower one."""
    for k in range(s2.shape[0]):
        for i in range(s2.shape[1]):
            for j in range(i):
                s2[k, i, j] = s2[k, j, i]


@njit(nogil=True, cache=True, fastmath=_STRICT)
def outputs(X, start, stop, what, kind, means, mats, lo, hi, prec, centre, lin, const,
            out2, out1, labels):
    """Per-row outputs of rows ``start .. stop``: ``what`` picks which array is written.

    ``LOG_RESP`` / ``LOG_DENSITY``: ``out2`` (N, K); ``LOG_PROB_NORM``: ``out1`` (N,);
    ``LABELS``: ``labels`` (N,), the first most probable component as ``argmax``.
    """
    d = X.shape[1]
    n_comp = means.shape[0]
    xt, diff, y, wlp, vec, bits = _buffers(d, n_comp)
    maha, top, total = vec[0], vec[1], vec[2]
    for row in range(start, stop, ROWS):
        n = min(ROWS, stop - row)
        _load(X, row, n, xt)
        _weighted_log_prob(kind, xt, n, means, mats, lo, hi, prec, centre, lin, const,
                           wlp, diff, y, maha)
        if what == LOG_DENSITY:
            for b in range(n):
                for k in range(n_comp):
                    out2[row + b, k] = wlp[k, b]
            continue
        if what == LABELS:
            for b in range(n):
                best = 0
                for k in range(1, n_comp):
                    if wlp[k, b] > wlp[best, b]:
                        best = k
                labels[row + b] = best
            continue
        _normalise(wlp, n, top, total, bits, diff, False)
        for b in range(n):
            total[b] = math.log(total[b])
        if what == LOG_PROB_NORM:
            for b in range(n):
                out1[row + b] = top[b] + total[b]
            continue
        for b in range(n):
            for k in range(n_comp):
                out2[row + b, k] = wlp[k, b] - total[b]

