"""Rows with gaps: EM over each row's observed columns (``nan_policy="marginalize"``).

A Gaussian mixture needs no filled-in numbers for a row with missing cells
(NaN).  Split a row into its observed part ``x_o`` and its missing part
``x_m``; under component ``k``

* the row's likelihood is its **marginal** density over the observed columns,
  ``N(x_o | mu_o, Sigma_oo)`` -- the mean and covariance restricted to them --
  so the E-step is the ordinary one on a smaller mixture;
* the missing part is Gaussian given the observed one, with mean
  ``E[x_m | x_o] = mu_m + B (x_o - mu_o)``, ``B = Sigma_mo Sigma_oo^-1`` (the
  *gain*), and covariance ``C = Sigma_mm - B Sigma_om``;
* the M-step takes the complete-data sufficient statistics in expectation:
  ``x_m`` replaced by ``E[x_m | x_o]`` in the first and second moments, and
  ``C`` added to the second moment's missing block.  That is exact EM for
  the observed-data likelihood, so the log-likelihood still never decreases.

For ``diag`` and ``spherical`` the features are independent within a
component, so the gain is zero, ``E[x_m | x_o] = mu_m`` and ``C`` holds the
component's variances; ``tied`` has one gain and one ``C`` for all
components.  The same expected moments then give the right M-step of every
covariance type through the one :func:`~gmm_core.mixture.params_from_stats`.

**How it runs.**  Rows are grouped once by their pattern of missing cells
(:func:`group_rows`).  Each iteration, per pattern, the mixture is
restricted to the observed columns (:func:`marginal`: one batched Cholesky
factorisation per component), the pattern's rows go through the ordinary
blocked E-step (:func:`gmm_core.mixture._blocked.summarize`) on those
columns, and the statistics it returns -- moments of ``x_o`` -- are
*lifted* to all ``D`` features (:func:`lift`): ``E[x | x_o]`` is linear in
``x_o``, so its moments are linear maps of the moments of ``x_o`` and no
row is touched twice.  Complete rows are a pattern like the others and go
through the same kernels with the full parameters, unchanged; with no NaN at
all the pass *is* the plain one.  Worker threads take contiguous runs of
the grouped rows (a pattern may be cut between two), each gathers a chunk of
rows at a time and keeps one running sum, so memory per iteration does not
grow with N; the grouping keeps one int32 row index per row.

That numpy pass is the reference and the fallback.  When the compiled
kernels run (:func:`gmm_core.mixture._kernels.gap_plan`), each worker instead makes one call of
:mod:`gmm_core.mixture._compiled_gaps`, which does all three steps for every
pattern of its run -- the marginal's factorisation, the rows gathered block
by block, the lift -- without returning to Python.

Rows with every cell missing carry no information and are refused.  The
functions here trust their inputs (float64 rows, NaN only where missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmm_core.errors import DataError
from gmm_core.mixture import _blocked, _kernels
from gmm_core.mixture._params import GMMParams, SufficientStats, moment_shift

__all__ = ["Patterns", "Marginal", "group_rows", "marginal", "lift", "summarize", "log_prob",
           "log_densities", "responsibilities", "impute", "mean_filled"]

CHUNK_ROWS = 1 << 14  # rows of one pattern gathered at a time (about 1 MB whatever N)
_GROUP_ROWS = 1 << 16  # rows whose NaN mask is packed at a time when grouping


@dataclass(frozen=True, eq=False)
class Patterns:
    """Rows grouped by which of their cells are missing.

    Attributes
    ----------
    observed : ndarray (P, D) of bool
        Each pattern's observed columns.
    order : ndarray (N,) of int or None
        Row indices, pattern after pattern (by row within one); ``None`` when
        no cell is missing (one pattern, the rows as they are).
    bounds : ndarray (P + 1,)
        Pattern ``p`` holds ``order[bounds[p]:bounds[p + 1]]``.
    """

    observed: np.ndarray
    order: np.ndarray
    bounds: np.ndarray

    @property
    def n_patterns(self):
        return len(self.observed)

    @property
    def complete(self):
        """True when no cell is missing."""
        return self.order is None

    def rows(self, p):
        """The row indices of pattern ``p``."""
        return self.order[self.bounds[p]:self.bounds[p + 1]]

    def chunks(self, p):
        """Pattern ``p``'s rows, at most :data:`CHUNK_ROWS` at a time."""
        rows = self.rows(p)
        return [rows[a:a + CHUNK_ROWS] for a in range(0, len(rows), CHUNK_ROWS)]


def group_rows(X, *, first_row=0):
    """Group the rows of ``X`` by missingness pattern (NaN cells).

    ``first_row`` numbers a chunk's rows as rows of a larger array, for the
    message.

    Raises
    ------
    DataError
        When a row has every cell missing; the message names such rows
        (1-based).

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, np.nan]])
    >>> g = group_rows(X)
    >>> g.observed
    array([[ True,  True],
           [ True, False]])
    >>> [g.rows(p).tolist() for p in range(g.n_patterns)]
    [[1], [0, 2]]
    """
    n, d = X.shape
    with np.errstate(invalid="ignore", over="ignore"):
        if not np.isnan(np.sum(X)):  # no NaN (values are finite and below 1e150)
            return Patterns(np.ones((1, d), dtype=bool), None, np.array([0, n]))
    # Two passes a block at a time (count, then place), so that nothing but the
    # (N,) index itself grows with N.
    counts = {}
    for _, _, runs in _block_patterns(X):
        for key, a, b in runs:
            counts[key] = counts.get(key, 0) + b - a
    keys = sorted(counts)
    bounds = np.concatenate([[0], np.cumsum([counts[key] for key in keys])])
    observed = np.array([np.unpackbits(np.frombuffer(key, dtype=np.uint8))[:d] == 0
                         for key in keys])
    if not observed.any(axis=1).all():
        _refuse_empty_rows(np.flatnonzero(np.isnan(X).all(axis=1)) + first_row)
    index = np.empty(n, dtype=np.int32 if n < 2 ** 31 else np.int64)
    fill = dict(zip(keys, bounds[:-1].tolist(), strict=True))
    for first, order, runs in _block_patterns(X):
        for key, a, b in runs:
            index[fill[key]:fill[key] + b - a] = order[a:b] + first
            fill[key] += b - a
    return Patterns(observed, index, bounds)


def _block_patterns(X):
    """Per block of rows: its first row, rows sorted by pattern, and each pattern's run.

    Yields ``(first, order, runs)`` with ``runs`` a list of ``(key, start, stop)``:
    the block's rows ``order[start:stop]`` (counted from ``first``) share the
    pattern ``key``, the bytes of their packed NaN mask.
    """
    width = -(-X.shape[1] // 8)
    for first in range(0, X.shape[0], _GROUP_ROWS):
        packed = np.ascontiguousarray(np.packbits(np.isnan(X[first:first + _GROUP_ROWS]),
                                                  axis=1))
        if width <= 8:  # the bytes read as one unsigned integer sort the same, and faster
            dtype = {1: np.uint8, 2: np.uint16}.get(width, np.uint32 if width <= 4 else np.uint64)
            keys = np.zeros(len(packed), dtype=dtype)
            for i in range(width):
                keys |= packed[:, i].astype(dtype) << dtype(8 * (width - 1 - i))
        else:
            keys = packed.view(f"V{width}")[:, 0]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
        stops = np.append(starts[1:], len(keys))
        yield first, order, [(packed[order[a]].tobytes(), int(a), int(b))
                             for a, b in zip(starts, stops, strict=True)]


def _refuse_empty_rows(rows):
    shown = ", ".join(str(int(r) + 1) for r in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    raise DataError(
        f"{len(rows)} row(s) have every value missing (row {shown}{more}, counting from 1): a "
        "row needs at least one observed value to be fitted or assigned. Drop those rows "
        "first (e.g. X[~np.isnan(X).all(axis=1)]).", row=int(rows[0]) + 1)


# ---------------------------------------------------------------- one pattern's mixture
@dataclass(frozen=True, eq=False)
class Marginal:
    """The mixture restricted to one pattern's observed columns, and the missing ones given them.

    Attributes
    ----------
    params : GMMParams
        Weights, ``mu_o`` and ``Sigma_oo``: the mixture over the observed columns.
    observed, missing : ndarray of int
        Column indices.
    gain : ndarray or None
        ``B = Sigma_mo Sigma_oo^-1``: (K, Dm, Do) ``full``, (Dm, Do) ``tied``;
        ``None`` for ``diag`` and ``spherical`` (independent features).
    cond_cov : ndarray
        ``C = Sigma_mm - B Sigma_om``: (K, Dm, Dm) ``full``, (Dm, Dm) ``tied``,
        (K, Dm) variances for ``diag`` and ``spherical``.
    """

    params: GMMParams
    observed: np.ndarray
    missing: np.ndarray
    gain: np.ndarray
    cond_cov: np.ndarray


def marginal(params, observed):
    """:class:`Marginal` of ``params`` for the columns ``observed`` (a (D,) bool mask).

    One batched factorisation of the components' ``Sigma_oo``.

    >>> p = GMMParams.from_covariances(np.array([1.0]), np.array([[0.0, 1.0]]),
    ...                                np.array([[[2.0, 1.0], [1.0, 2.0]]]), "full")
    >>> m = marginal(p, np.array([True, False]))
    >>> m.params.covariances, m.gain, m.cond_cov
    (array([[[2.]]]), array([[[0.5]]]), array([[[1.5]]]))
    """
    ct = params.covariance_type
    o, m = np.flatnonzero(observed), np.flatnonzero(~np.asarray(observed))
    cov, means = params.covariances, params.means
    if ct == "full":
        sub = GMMParams.from_covariances(params.weights, means[:, o], cov[:, o[:, None], o], ct)
        cov_mo = cov[:, m[:, None], o]
        gain = (cov_mo @ sub.precisions_cholesky) @ np.swapaxes(sub.precisions_cholesky, 1, 2)
        cond = cov[:, m[:, None], m] - gain @ np.swapaxes(cov_mo, 1, 2)
    elif ct == "tied":
        sub = GMMParams.from_covariances(params.weights, means[:, o], cov[o[:, None], o], ct)
        cov_mo = cov[m[:, None], o]
        gain = (cov_mo @ sub.precisions_cholesky) @ sub.precisions_cholesky.T
        cond = cov[m[:, None], m] - gain @ cov_mo.T
    elif ct == "diag":
        sub = GMMParams(params.weights, means[:, o], cov[:, o], params.precisions_cholesky[:, o],
                        ct)
        gain, cond = None, cov[:, m]
    else:
        sub = GMMParams(params.weights, means[:, o], cov, params.precisions_cholesky, ct)
        gain, cond = None, np.repeat(cov[:, None], len(m), axis=1)
    return Marginal(sub, o, m, gain, cond)


def conditional_means(marg, means, x_o):
    """``E[x_m | x_o, k] = mu_km + B_k (x_o - mu_ko)`` for every component, (..., K, Dm).

    ``x_o`` is (..., K, Do) or broadcasts to it; ``means`` are the full (K, D) means.
    """
    mu_m = means[:, marg.missing]
    if marg.gain is None:
        return np.broadcast_to(mu_m, np.broadcast_shapes(np.shape(x_o)[:-1], mu_m.shape[:1])
                               + mu_m.shape[1:])
    centred = x_o - means[:, marg.observed]
    if marg.gain.ndim == 2:  # tied: one gain
        return mu_m + centred @ marg.gain.T
    return mu_m + np.einsum("...ko,kmo->...km", centred, marg.gain)


def lift(stats, params, marg, shift):
    """A pattern's statistics over its observed columns, lifted to all D features.

    ``stats`` are :class:`~gmm_core.mixture.SufficientStats` of the pattern's
    rows under ``marg.params`` (moments of ``x_o``).  Returned: the expected
    complete-data statistics about ``shift`` (the full mixture's
    :func:`~gmm_core.mixture.moment_shift`), which add to the other patterns'.

    With ``u = x_o - s_k`` (``s`` the shift ``stats`` used), the filled-in row
    is ``x_hat - shift_k = A_k u + e_k`` with ``A_k = [I; B_k]`` (observed rows,
    missing rows) and ``e_k`` a constant, so
    ``S1_k = A_k S1o_k + N_k e_k`` and
    ``S2_k = A_k S2o_k A_k^T + v_k e_k^T + e_k v_k^T + N_k e_k e_k^T + N_k C_k``
    with ``v_k = A_k S1o_k`` (``C_k`` in the missing block; only the diagonal
    for ``diag`` and ``spherical``; summed over components for ``tied``).
    """
    ct = params.covariance_type
    k, d = params.n_components, params.n_features
    o, m = marg.observed, marg.missing
    nk = stats.nk
    s_o = stats.shift if stats.shift.ndim == 2 else np.tile(stats.shift, (k, 1))
    full_shift = shift if shift.ndim == 2 else np.tile(shift, (k, 1))
    e = np.empty((k, d))
    e[:, o] = s_o - full_shift[:, o]
    e[:, m] = conditional_means(marg, params.means, s_o) - full_shift[:, m]
    if marg.gain is None:  # diag, spherical: A = [I; 0], moments are variances
        v = np.zeros((k, d))
        v[:, o] = stats.s1
        s2 = np.zeros((k, d))
        s2[:, o] = stats.s2
        s2 += 2 * v * e + nk[:, None] * e * e
        s2[:, m] += nk[:, None] * marg.cond_cov
        return SufficientStats(ct, shift, nk, v + nk[:, None] * e, s2, stats.total_weight,
                               stats.log_likelihood_sum)
    gain = marg.gain if ct == "full" else np.broadcast_to(marg.gain, (k,) + marg.gain.shape)
    a = np.zeros((k, d, len(o)))
    a[:, o, np.arange(len(o))] = 1.0
    a[:, m] = gain
    v = (a @ stats.s1[:, :, None])[:, :, 0]
    s2 = a @ stats.s2 @ np.swapaxes(a, 1, 2) if ct == "full" else a[0] @ stats.s2 @ a[0].T
    if e.any():  # zero for full, whose shifts are the means on both sides
        cross = v[:, :, None] * e[:, None, :]
        moved = cross + np.swapaxes(cross, 1, 2) + nk[:, None, None] * e[:, :, None] * e[:, None, :]
        s2 += moved if ct == "full" else moved.sum(axis=0)
    if ct == "full":
        s2[:, m[:, None], m] += nk[:, None, None] * marg.cond_cov
    else:  # tied: one A, S2o pooled over components
        s2[m[:, None], m] += nk.sum() * marg.cond_cov
    return SufficientStats(ct, shift, nk, v + nk[:, None] * e, s2, stats.total_weight,
                           stats.log_likelihood_sum)


# ---------------------------------------------------------------- passes over the rows
def _pattern_rows(X, rows, marg):
    """The observed cells of rows ``rows`` of one pattern, (n, Do) contiguous (all if no marg)."""
    block = np.take(X, rows, axis=0)
    return block if marg is None else np.ascontiguousarray(block[:, marg.observed])


def _each_run(X, params, patterns, task, n_threads):
    """``task(marg, sub, blocks)`` on every pattern's rows, on every core; the results summed.

    The positions of ``patterns.order`` are cut into contiguous runs, one per
    worker thread (the blocked kernels' :func:`~gmm_core.mixture._blocked._run`).
    Within its run a worker calls ``task`` once per pattern with ``sub``, the
    parameters to evaluate the rows under (``params`` for the complete pattern,
    else ``marg.params``), and ``blocks``, an iterator of ``(rows, x)``: the
    row indices and observed cells of at most one kernel block, gathered
    :data:`CHUNK_ROWS` rows at a time -- so every kernel call stays on its worker
    thread and memory does not grow with N.  Each worker adds up what ``task``
    returns; returned: the workers' sums in order, so the total is reproducible
    for a given thread count.  A worker computes a pattern's marginal when it
    reaches it and drops it after: one factorisation per pattern and component
    (two for a pattern that the boundary between two runs cuts), and memory
    that does not grow with the number of patterns either.
    """
    bounds = patterns.bounds
    sizes = {n: _blocked.default_block_size(params.n_components, n, params.covariance_type)
             for n in np.unique(patterns.observed.sum(axis=1)).tolist()}

    def blocks(marg, size, lo, hi):
        for a in range(lo, hi, CHUNK_ROWS):
            rows = patterns.order[a:min(a + CHUNK_ROWS, hi)]
            x = _pattern_rows(X, rows, marg)
            for b in range(0, len(rows), size):
                yield rows[b:b + size], x[b:b + size]

    def work(start, stop):
        total = None
        for p in range(int(np.searchsorted(bounds, start, side="right")) - 1,
                       patterns.n_patterns):
            if bounds[p] >= stop:
                break
            obs = patterns.observed[p]
            marg = None if obs.all() else marginal(params, obs)
            sub = params if marg is None else marg.params
            got = task(marg, sub, blocks(marg, sizes[sub.n_features], max(start, bounds[p]),
                                         min(stop, bounds[p + 1])))
            total = got if total is None else total + got
        return total

    return _blocked._run(work, int(bounds[-1]), CHUNK_ROWS,
                         n_threads or _blocked.default_n_threads())


def summarize(X, params, sample_weight=None, patterns=None, *, n_threads=None, engine=None):
    """One EM pass over rows with gaps: the expected sufficient statistics.

    ``patterns`` is :func:`group_rows` of ``X`` (computed when not given).  With
    no missing cell this is :func:`gmm_core.mixture._blocked.summarize` itself.
    Each worker lifts a pattern's statistics once its run of the pattern is
    summed (:func:`lift` is linear, so lifting parts and adding them is lifting
    the sum).  ``engine`` as for :func:`gmm_core.mixture._blocked.summarize`: by
    default the compiled kernels of :mod:`gmm_core.mixture._compiled_gaps` run
    the whole pass, one call per worker; ``"numpy"`` runs the code here.
    """
    patterns = group_rows(X) if patterns is None else patterns
    if patterns.complete:
        return _blocked.summarize(X, params, sample_weight, n_threads=n_threads, engine=engine)
    plan = _kernels.gap_plan(params, engine)
    if plan is not None:
        got = _compiled_run(X, patterns, n_threads, lambda a, b: plan.stats(
            X, sample_weight, patterns.order, patterns.bounds, patterns.observed, a, b))
        if got is not None:
            nk, s1, s2, total, ll = (sum(part) for part in zip(*got, strict=True))
            return SufficientStats(params.covariance_type, plan.shift, nk, s1, s2, total, ll)
        # a Sigma_oo that does not factor in the loops: numpy's path names the component
    shift = moment_shift(params.covariance_type, params.means, params.weights,
                         params.precisions_cholesky)

    def task(marg, sub, blocks):
        stats = sum(_blocked.summarize(x, sub, None if sample_weight is None
                                       else sample_weight[rows], block_size=len(x), n_threads=1,
                                       engine=engine)
                    for rows, x in blocks)  # one kernel block per call, on this thread
        return stats if marg is None else lift(stats, params, marg, shift)

    return sum(_each_run(X, params, patterns, task, n_threads))


def _compiled_run(X, patterns, n_threads, work):
    """``work(start, stop)`` over the workers' runs of the grouped rows; ``None`` if one failed."""
    parts = _blocked._run(work, int(patterns.bounds[-1]), CHUNK_ROWS,
                          n_threads or _blocked.default_n_threads(), blas=False)
    return None if any(part is None or part is False for part in parts) else parts


def log_prob(X, params, patterns=None, *, what="log_resp", n_threads=None, engine=None):
    """:func:`gmm_core.mixture._blocked.log_prob_blocks` of rows with gaps (observed columns)."""
    patterns = group_rows(X) if patterns is None else patterns
    if patterns.complete:
        return _blocked.log_prob_blocks(X, params, what=what, n_threads=n_threads, engine=engine)
    n, k = X.shape[0], params.n_components
    shape = (n, k) if what in ("log_resp", "log_density") else (n,)
    out = np.empty(shape, dtype=np.int64 if what == "labels" else np.float64)
    plan = _kernels.gap_plan(params, engine, with_weights=what != "log_density")
    if plan is not None and _compiled_run(X, patterns, n_threads, lambda a, b: plan.outputs(
            X, patterns.order, patterns.bounds, patterns.observed, a, b, what, out)):
        return out

    def task(marg, sub, blocks):
        for rows, x in blocks:
            out[rows] = _blocked.log_prob_blocks(x, sub, what=what, block_size=len(x),
                                                 n_threads=1, engine=engine)

    _each_run(X, params, patterns, task, n_threads)
    return out


def log_densities(X: np.ndarray, params: GMMParams, *, n_threads: int | None = None) -> np.ndarray:
    """``log N(x_i | mu_k, Sigma_k)`` of every row under every component, (N, K), gaps allowed.

    :func:`gmm_core.mixture._blocked.log_densities` (the engine's one
    log-density) for complete rows; a row with missing values (NaN) gets the
    density of its observed columns, ``log N(x_o | mu_ko, Sigma_k,oo)``.

    >>> from scipy.stats import multivariate_normal
    >>> cov = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> p = GMMParams.from_covariances(np.array([1.0]), np.zeros((1, 2)), cov[None], "full")
    >>> got = log_densities(np.array([[np.nan, 0.5]]), p)[0, 0]
    >>> bool(np.isclose(got, multivariate_normal(0.0, 2.0).logpdf(0.5)))
    True
    """
    return log_prob(X, params, what="log_density", n_threads=n_threads)


def responsibilities(X: np.ndarray, params: GMMParams, *,
                     n_threads: int | None = None) -> np.ndarray:
    """The E-step's ``p(k | x_i)`` of every row, (N, K); a row with gaps by its observed columns."""
    return np.exp(log_prob(X, params, what="log_resp", n_threads=n_threads))


def impute(X, params, patterns=None):
    """``X`` with each missing cell replaced by its posterior mean under the mixture.

    For a row with observed part ``x_o`` the filled-in value of its missing
    part is ``E[x_m | x_o] = sum_k p(k | x_o) E[x_m | x_o, k]``: the
    components' conditional means weighted by the row's responsibilities
    (computed from its observed cells).  Observed cells are returned as given.
    """
    patterns = group_rows(X) if patterns is None else patterns
    out = np.array(X, dtype=np.float64)
    if patterns.complete:
        return out
    for p in range(patterns.n_patterns):
        if patterns.observed[p].all():
            continue
        marg = marginal(params, patterns.observed[p])
        for rows in patterns.chunks(p):
            x_o = _pattern_rows(X, rows, marg)
            resp = np.exp(_blocked.log_prob_blocks(x_o, marg.params, what="log_resp"))
            cond = conditional_means(marg, params.means, x_o[:, None, :])  # (n, K, Dm)
            out[rows[:, None], marg.missing] = np.einsum("nk,nkm->nm", resp, cond)
    return out


def mean_filled(X, sample_weight=None):
    """``X`` with each missing cell set to its column's (weighted) observed mean.

    Where EM *starts* under ``nan_policy="marginalize"`` (k-means needs
    complete rows); the fit itself never uses these values.
    """
    observed = ~np.isnan(X)
    w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    weight = w @ observed
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (w @ np.where(observed, X, 0.0)) / weight
    means = np.where(weight > 0, means, 0.0)  # a column seen only in weightless rows
    return np.where(observed, X, means)
