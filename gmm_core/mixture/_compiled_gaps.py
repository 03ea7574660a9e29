"""The pass over rows with gaps, compiled by numba (imported only by ``_kernels``).

:mod:`gmm_core.mixture._missing` states this pass in numpy, pattern by pattern,
and stays the reference: restrict the mixture to a pattern's observed columns
(:func:`~gmm_core.mixture._missing.marginal`), summarise the pattern's rows with
the ordinary E-step on those columns, *lift* the statistics to all ``D``
features (:func:`~gmm_core.mixture._missing.lift`).  The kernels here do the same
for every pattern of a worker's run of the grouped rows in one call, without
the GIL, and allocate nothing that grows with N:

1. per pattern and component, the Cholesky factor of ``Sigma_oo`` by the
   textbook loops, its inverse transposed (the upper precision factor ``P``,
   ``Sigma_oo^-1 = P P^T``), ``Q = Sigma_mo P``, the gain ``B = Q P^T`` and the
   conditional covariance ``C = Sigma_mm - Q Q^T`` (``diag``/``spherical``: the
   observed precisions and the missing variances; ``tied``: one of each);
2. the pattern's rows, :data:`~gmm_core.mixture._compiled.ROWS` at a time,
   gathered transposed through the grouped row order, go through the complete
   pass's own block kernels (``_weighted_log_prob``, ``_normalise``) on the
   observed columns;
3. the observed block's moments are taken about the full mixture's
   :func:`~gmm_core.mixture.moment_shift` restricted to the observed columns, so
   that lifting them needs no change of shift on the observed side:
   ``x_hat - shift = A (x_o - shift_o) + e`` with ``A = [I; B]`` and ``e`` zero
   on the observed columns (and zero everywhere for ``full``, whose shift is the
   means), whence ``S1 = A S1o + N e`` and
   ``S2 = A S2o A^T + v e^T + e v^T + N e e^T + N C``, ``v = A S1o``;
4. the lifted statistics are added to the worker's running sums when its run of
   a pattern ends.

A ``Sigma_oo`` that does not factor (not positive definite in floating point)
sets ``fail[0]`` and stops the kernel: the caller then runs numpy's path, which
names the component in its error.  The kernels trust their inputs (float64 and
C-contiguous; shapes as :mod:`gmm_core.mixture._kernels`'s ``GapPlan`` builds).
"""

import math

import numpy as np
from numba import njit

from gmm_core.mixture._compiled import (
    _STRICT,
    DIAG,
    FULL,
    LABELS,
    LOG_DENSITY,
    LOG_PROB_NORM,
    LOG_RESP,
    ROWS,
    TIED,
    _buffers,
    _dot,
    _normalise,
    _total,
    _weighted_log_prob,
)

__all__ = ["FULL", "TIED", "DIAG", "LOG_RESP", "LOG_PROB_NORM", "LOG_DENSITY", "LABELS",
           "stats", "outputs"]  # the codes, as ``_kernels`` reads them here

_LOG_2PI = math.log(2.0 * math.pi)


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _factor(cov, o, m, pc, gain, cond):
    """One component's marginal on columns ``o``: ``pc``, ``gain``, ``cond``; log det of ``pc``.

    Returns NaN when ``cov[o, o]`` is not positive definite.
    """
    do, dm = len(o), len(m)
    low = np.zeros((do, do))  # Sigma_oo = low @ low.T
    for i in range(do):
        for j in range(i + 1):
            s = cov[o[i], o[j]]
            for t in range(j):
                s -= low[i, t] * low[j, t]
            if i == j:
                if not s > 0.0:
                    return math.nan
                low[i, i] = math.sqrt(s)
            else:
                low[i, j] = s / low[j, j]
    log_det = 0.0
    for c in range(do):  # pc = inv(low).T, upper triangular, column by column of inv(low)
        for i in range(c, do):
            s = 1.0 if i == c else 0.0
            for t in range(c, i):
                s -= low[i, t] * pc[c, t]
            pc[c, i] = s / low[i, i]
        log_det -= math.log(low[c, c])
    if dm == 0:
        return log_det
    q = np.zeros((dm, do))  # Q = Sigma_mo @ pc
    for a in range(dm):
        for e in range(do):
            s = 0.0
            for j in range(e + 1):
                s += cov[m[a], o[j]] * pc[j, e]
            q[a, e] = s
    for a in range(dm):
        for i in range(do):  # B = Q @ pc.T = Sigma_mo Sigma_oo^-1
            s = 0.0
            for e in range(i, do):
                s += q[a, e] * pc[i, e]
            gain[a, i] = s
        for b in range(dm):  # C = Sigma_mm - Q Q^T
            s = cov[m[a], m[b]]
            for e in range(do):
                s -= q[a, e] * q[b, e]
            cond[a, b] = s
    return log_det


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _pattern(observed_row, kind, log_w, means, covs, var, prec, shift, far, fail):
    """The mixture on one pattern's observed columns, as the block kernels take it.

    Returns ``(o, m, eval_kind, means_o, mats, lo, hi, prec_o, centre, lin, const,
    shift_o, gain, cond)``; ``fail[0] = 1`` (and junk) when a ``Sigma_oo`` does not factor.
    """
    d = len(observed_row)
    do = 0
    for j in range(d):
        if observed_row[j]:
            do += 1
    o = np.empty(do, dtype=np.int64)
    m = np.empty(d - do, dtype=np.int64)
    a = b = 0
    for j in range(d):
        if observed_row[j]:
            o[a] = j
            a += 1
        else:
            m[b] = j
            b += 1
    dm = d - do
    k = means.shape[0]
    means_o = np.empty((k, do))
    shift_o = np.empty((k, do))
    for c in range(k):
        for j in range(do):
            means_o[c, j] = means[c, o[j]]
            shift_o[c, j] = shift[c, o[j]]
    const = np.empty(k)
    lo = np.zeros(do, dtype=np.int64)
    hi = np.empty(do, dtype=np.int64)
    for e in range(do):  # pc is upper triangular: column e has rows 0 .. e
        hi[e] = e + 1
    centre = np.zeros(do)
    lin = np.zeros((1, 1))
    prec_o = np.zeros((1, 1))
    if kind == DIAG:
        mats = np.zeros((1, 1, 1))
        gain = np.zeros((1, 1, 1))
        cond = np.empty((k, 1, dm))
        prec_o = np.empty((k, do))
        for c in range(k):
            s = 0.0
            for j in range(do):
                prec_o[c, j] = prec[c, o[j]]
                s += math.log(prec_o[c, j])
            const[c] = log_w[c] + s - 0.5 * do * _LOG_2PI
            for j in range(dm):
                cond[c, 0, j] = var[c, m[j]]
        return (o, m, DIAG, means_o, mats, lo, hi, prec_o, centre, lin, const, shift_o,
                gain, cond)
    n_mat = covs.shape[0]  # K (full) or 1 (tied)
    factors = np.zeros((n_mat, do, do))
    gain = np.zeros((n_mat, dm, do))
    cond = np.zeros((n_mat, dm, dm))
    log_det = np.empty(n_mat)
    for c in range(n_mat):
        log_det[c] = _factor(covs[c], o, m, factors[c], gain[c], cond[c])
        if math.isnan(log_det[c]):
            fail[0] = 1
    for c in range(k):
        const[c] = log_w[c] + log_det[c if n_mat > 1 else 0] - 0.5 * do * _LOG_2PI
    if kind == FULL:
        return (o, m, FULL, means_o, factors, lo, hi, prec_o, centre, lin, const, shift_o,
                gain, cond)
    if far:  # tied, means far apart: each component about its own mean
        mats = np.empty((k, do, do))
        for c in range(k):
            mats[c] = factors[0]
        return (o, m, FULL, means_o, mats, lo, hi, prec_o, centre, lin, const, shift_o,
                gain, cond)
    for j in range(do):  # tied about the one centre (the shift): y = (x - c) P
        centre[j] = shift_o[0, j]
    lin = np.zeros((k, do))  # (mu_k - c) P
    for c in range(k):
        for e in range(do):
            s = 0.0
            for j in range(e + 1):
                s += (means_o[c, j] - centre[j]) * factors[0, j, e]
            lin[c, e] = s
    return (o, m, TIED, means_o, factors, lo, hi, prec_o, centre, lin, const, shift_o,
            gain, cond)


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _gather(X, order, row, n, o, xt):
    """Rows ``order[row .. row + n]`` of ``X``, columns ``o``, into ``xt`` (Do, ROWS)."""
    for b in range(n):
        r = order[row + b]
        for j in range(len(o)):
            xt[j, b] = X[r, o[j]]


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _lift(kind, o, m, means, shift, gain, cond, nk_p, s1o, s2o, nk, s1, s2):
    """Add one pattern's observed-block moments, lifted to all D features, to ``nk, s1, s2``.

    ``s1o`` (K, Do) and ``s2o`` are about ``shift`` on the observed columns;
    ``s2o`` is (K, Do, Do) ``full``, (1, Do, Do) ``tied`` (pooled), (K, 1, Do) ``diag``,
    upper triangles only for the first two.
    """
    k, d = means.shape
    do, dm = len(o), len(m)
    e = np.zeros(d)  # x_hat - shift = A (x_o - shift_o) + e, e zero on the observed columns
    v = np.zeros(d)  # A s1o_k
    if kind == DIAG:
        for c in range(k):
            n = nk_p[c]
            nk[c] += n
            for j in range(do):
                s1[c, o[j]] += s1o[c, j]
                s2[c, 0, o[j]] += s2o[c, 0, j]
            for j in range(dm):
                t = means[c, m[j]] - shift[c, m[j]]
                s1[c, m[j]] += n * t
                s2[c, 0, m[j]] += n * (t * t + cond[c, 0, j])
        return
    for g in range(s2o.shape[0]):
        for i in range(do):
            for j in range(i):
                s2o[g, i, j] = s2o[g, j, i]
    tied = kind == TIED
    total = 0.0
    for c in range(k):
        total += nk_p[c]
    for g in range(s2o.shape[0]):  # A S2o A^T (+ N C), per component or pooled
        n = total if tied else nk_p[g]
        B = gain[0] if tied else gain[g]
        C = cond[0] if tied else cond[g]
        S = s2o[g]
        out = s2[g]
        for i in range(do):
            for j in range(do):
                out[o[i], o[j]] += S[i, j]
        bs = np.zeros((dm, do))  # B S2o
        for a in range(dm):
            for j in range(do):
                t = 0.0
                for i in range(do):
                    t += B[a, i] * S[i, j]
                bs[a, j] = t
        for a in range(dm):
            for j in range(do):
                out[m[a], o[j]] += bs[a, j]
                out[o[j], m[a]] += bs[a, j]
            for b in range(dm):
                t = 0.0
                for j in range(do):
                    t += bs[a, j] * B[b, j]
                out[m[a], m[b]] += t + n * C[a, b]
    for c in range(k):  # S1 = v + N e, and the terms in e
        n = nk_p[c]
        nk[c] += n
        B = gain[0] if tied else gain[c]
        out = s2[0] if tied else s2[c]
        for j in range(do):
            v[o[j]] = s1o[c, j]
        nonzero = False
        for a in range(dm):
            t = 0.0
            u = means[c, m[a]] - shift[c, m[a]]
            for j in range(do):
                t += B[a, j] * s1o[c, j]
                u += B[a, j] * (shift[c, o[j]] - means[c, o[j]])
            v[m[a]] = t
            e[m[a]] = u
            nonzero = nonzero or u != 0.0
        for i in range(d):
            s1[c, i] += v[i] + n * e[i]
        if nonzero:  # never for full, whose shift is the means
            for i in range(d):
                for j in range(d):
                    out[i, j] += v[i] * e[j] + e[i] * v[j] + n * e[i] * e[j]


@njit(nogil=True, cache=True, fastmath=_STRICT)
def _first_pattern(bounds, start):
    """The pattern holding position ``start`` of the grouped order."""
    p = 0
    while bounds[p + 1] <= start:
        p += 1
    return p


@njit(nogil=True, cache=True, fastmath=_STRICT)
def stats(X, w, has_w, order, bounds, observed, start, stop, kind, log_w, means, covs, var,
          prec, shift, far, nk, s1, s2, sums, fail):
    """Expected statistics of grouped positions ``start .. stop``, added into ``nk, s1, s2, sums``.

    ``order`` lists the rows pattern after pattern, pattern ``p`` at positions
    ``bounds[p] .. bounds[p + 1]`` with observed columns ``observed[p]``.  ``kind``
    is ``FULL`` (``covs`` (K, D, D)), ``TIED`` (``covs`` (1, D, D)) or ``DIAG``
    (``var`` and ``prec`` (K, D), spherical repeated over the features); ``shift``
    is the full mixture's moment shift as (K, D), ``far`` for ``tied`` when it is
    the means.  ``s2``: (K, D, D), (1, D, D) or (K, 1, D); ``sums`` is
    ``[total_weight, log_likelihood_sum]``.
    """
    k, d = means.shape
    p = _first_pattern(bounds, start)
    while p < len(bounds) - 1 and bounds[p] < stop:
        lo_row, hi_row = max(start, bounds[p]), min(stop, bounds[p + 1])
        (o, m, ev, means_o, mats, lo, hi, prec_o, centre, lin, const, shift_o, gain,
         cond) = _pattern(observed[p], kind, log_w, means, covs, var, prec, shift, far, fail)
        if fail[0]:
            return
        do = len(o)
        xt, diff, y, wlp, vec, bits = _buffers(do, k)
        top, total, wv = vec[1], vec[2], vec[3:4]
        nk_p = np.zeros(k)
        s1o = np.zeros((k, do))
        pooled = kind == TIED
        s2o = np.zeros((1, do, do) if pooled else ((k, 1, do) if kind == DIAG else (k, do, do)))
        for row in range(lo_row, hi_row, ROWS):
            n = min(ROWS, hi_row - row)
            _gather(X, order, row, n, o, xt)
            _weighted_log_prob(ev, xt, n, means_o, mats, lo, hi, prec_o, centre, lin, const,
                               wlp, diff, y, vec[0])
            _normalise(wlp, n, top, total, bits, diff, True)
            for b in range(n):
                wb = w[order[row + b]] if has_w else 1.0
                wv[0, b] = wb
                sums[0] += wb
                sums[1] += wb * (top[b] + math.log(total[b]))
                total[b] = wb / total[b]
            for c in range(k):  # responsibilities times weights
                for b in range(n):
                    wlp[c, b] *= total[b]
                nk_p[c] += _total(wlp, c, n)
            if ev == TIED:  # diff holds x_o - c
                for c in range(k):
                    for j in range(do):
                        s1o[c, j] += _dot(wlp, c, diff, j, n)
                for i in range(do):
                    for b in range(n):
                        y[i, b] = wv[0, b] * diff[i, b]
                for i in range(do):
                    for j in range(i, do):
                        s2o[0, i, j] += _dot(y, i, diff, j, n)
                continue
            for c in range(k):
                g = 0 if pooled else c
                for j in range(do):
                    t = shift_o[c, j]
                    for b in range(n):
                        diff[j, b] = xt[j, b] - t
                        y[j, b] = wlp[c, b] * diff[j, b]
                    s1o[c, j] += _dot(wlp, c, diff, j, n)
                if kind == DIAG:
                    for j in range(do):
                        s2o[c, 0, j] += _dot(y, j, diff, j, n)
                else:
                    for i in range(do):
                        for j in range(i, do):
                            s2o[g, i, j] += _dot(y, i, diff, j, n)
        _lift(kind, o, m, means, shift, gain, cond, nk_p, s1o, s2o, nk, s1, s2)
        p += 1


@njit(nogil=True, cache=True, fastmath=_STRICT)
def outputs(X, order, bounds, observed, start, stop, what, kind, log_w, means, covs, var, prec,
            shift, far, out2, out1, labels, fail):
    """Per-row outputs of grouped positions ``start .. stop``, written at each row's index.

    ``what`` and the outputs as in :func:`gmm_core.mixture._compiled.outputs`; the
    mixture as in :func:`stats` (``log_w`` zeros for ``LOG_DENSITY``).
    """
    k = means.shape[0]
    p = _first_pattern(bounds, start)
    while p < len(bounds) - 1 and bounds[p] < stop:
        lo_row, hi_row = max(start, bounds[p]), min(stop, bounds[p + 1])
        (o, m, ev, means_o, mats, lo, hi, prec_o, centre, lin, const, shift_o, gain,
         cond) = _pattern(observed[p], kind, log_w, means, covs, var, prec, shift, far, fail)
        if fail[0]:
            return
        xt, diff, y, wlp, vec, bits = _buffers(len(o), k)
        top, total = vec[1], vec[2]
        for row in range(lo_row, hi_row, ROWS):
            n = min(ROWS, hi_row - row)
            _gather(X, order, row, n, o, xt)
            _weighted_log_prob(ev, xt, n, means_o, mats, lo, hi, prec_o, centre, lin, const,
                               wlp, diff, y, vec[0])
            if what == LOG_DENSITY:
                for b in range(n):
                    r = order[row + b]
                    for c in range(k):
                        out2[r, c] = wlp[c, b]
                continue
            if what == LABELS:
                for b in range(n):
                    best = 0
                    for c in range(1, k):
                        if wlp[c, b] > wlp[best, b]:
                            best = c
                    labels[order[row + b]] = best
                continue
            _normalise(wlp, n, top, total, bits, diff, False)
            for b in range(n):
                total[b] = math.log(total[b])
            if what == LOG_PROB_NORM:
                for b in range(n):
                    out1[order[row + b]] = top[b] + total[b]
                continue
            for b in range(n):
                r = order[row + b]
                for c in range(k):
                    out2[r, c] = wlp[c, b] - total[b]
        p += 1
