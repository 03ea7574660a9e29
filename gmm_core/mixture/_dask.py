"""The same EM on Dask, for data larger than one machine.

Each EM iteration of :class:`~gmm_core.GaussianMixture` is one pass over the
rows reduced to :class:`~gmm_core.mixture.SufficientStats` -- counts, first and
second moments and the log-likelihood -- which *add* across blocks of rows,
followed by an M-step (:func:`~gmm_core.mixture.params_from_stats`) that needs only
their sums.  So a fit over a ``dask.array.Array`` (or a dask DataFrame of
numeric columns) is:

* **E-step where the data are**: ``map_blocks`` summarises each chunk
  (the blocked kernels of :mod:`gmm_core.mixture._blocked`, compiled when numba is
  there, one call per chunk) on the worker that reads, holds or
  generates it, into one flat vector of its statistics;
* **a tree reduction**: those vectors are summed ``split_every`` at a time,
  so only the ``K * D**2``-sized totals reach the client, whatever the number
  of rows or chunks;
* **the M-step on the client**, and the loop around it -- lower bound, ``tol``,
  ``n_init`` with the best kept, ``max_iter``, ``max_time``, the convergence
  warning -- is the estimator's own: :class:`DaskRows` is the row source it
  is given instead of :class:`~gmm_core.mixture._sources.InMemoryRows`, with
  the same four methods (``summarize``, ``init_rows``, ``outputs`` and the
  shape), so there is one EM loop and one place that tells the two apart
  (:func:`~gmm_core.mixture._sources.row_source`).

Initialisation (``init_params``) runs in memory on a random sample of at
most ``init_sample_size`` rows, drawn once per fit; given ``weights_init``,
``means_init`` and ``precisions_init`` it is skipped, and from the same
initial parameters the fit equals the in-memory one up to the order of
floating-point sums (the tests hold them to 1e-10).  ``predict``,
``predict_proba`` and ``score_samples`` are lazy: one ``map_blocks`` over
the rows, computed when the caller asks.

``GaussianMixture.fit`` and friends send dask input here by themselves::

    import dask.array as da
    from gmm_core import GaussianMixture
    X = da.from_zarr("customers.zarr")               # or dd.read_parquet(...)[cols]
    gm = GaussianMixture(5, random_state=0).fit(X)   # one pass per iteration
    labels = gm.predict(X)                           # lazy; .compute() or .to_zarr()

The cluster is whichever Dask uses: a ``distributed.Client`` if one is
active, otherwise the local threaded scheduler.  Dask is imported inside the
functions here, never when ``gmm_core`` is imported.

**A worker that dies.**  Every task here is pure and reads what it needs
from the graph (the rows from their files or chunks, the parameters as a
literal); nothing is scattered or persisted between iterations.  So when a
worker dies -- killed, out of memory, its machine gone -- the scheduler runs
its lost tasks again on the others (a :func:`local_cluster`'s nanny also starts
a new worker), and the pass returns the very same sums: the reduction tree is
fixed by the graph, not by which worker ran what.  Only when the workers
running one task die more often than ``distributed.scheduler.allowed-failures``
(3) allows, or no worker is left for :data:`NO_WORKERS_TIMEOUT`, does the
computation fail; :func:`lost_work` says so in one line.

**Workers and glibc.**  Dask's nanny starts workers with
``MALLOC_TRIM_THRESHOLD_=65536``, which hands freed memory back to the OS at
once -- and makes the E-step, whose per-block temporaries are a few MB, about
five times slower (each one is mapped and zeroed anew).
:func:`local_cluster` starts workers with :data:`WORKER_MALLOC_ENV` instead
(at most 32 MB kept back per worker); for a cluster of your own, put the same
variables in ``distributed.nanny.pre-spawn-environ`` or the workers'
environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.errors import DataError
from gmm_core.mixture import _blocked, _missing
from gmm_core.mixture._params import SufficientStats, moment_shift
from gmm_core.mixture._validation import (
    COMPLEX_MESSAGE,
    as_float_matrix,
    check_shape,
    check_weight_shape,
    check_weight_total,
    check_weight_values,
    feature_names,
)

if TYPE_CHECKING:
    import dask.array as da
    import dask.dataframe as dd
    import distributed

    from gmm_core.mixture._estimator import GaussianMixture, Iteration

__all__ = ["INIT_SAMPLE_ROWS", "NO_WORKERS_TIMEOUT", "WORKER_MALLOC_ENV", "DaskRows",
           "as_dask_matrix", "local_cluster", "lost_work", "one_line_peer_losses", "summarize",
           "fit"]

INIT_SAMPLE_ROWS = 100_000  # rows drawn once per fit for init_params
LOOPBACK = "127.0.0.1"  # where local_cluster listens: this machine only
SPLIT_EVERY = 16  # chunk statistics summed per node of the reduction tree
#: How long a :func:`local_cluster`'s tasks wait with no worker running before they fail
#: (``distributed.scheduler.no-workers-timeout``; Dask's default is to wait for ever).
NO_WORKERS_TIMEOUT = "60s"
WORKER_MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(32 << 20),
                     "MALLOC_MMAP_THRESHOLD_": str(16 << 20)}


def local_cluster(n_workers: int | None = None, **kwargs: Any) -> distributed.LocalCluster:
    """A ``distributed.LocalCluster`` for EM: one single-threaded worker process per core.

    Workers start with :data:`WORKER_MALLOC_ENV` (see the module notes);
    ``kwargs`` go to ``LocalCluster`` (e.g. ``memory_limit="4GB"``).

    Everything listens on 127.0.0.1 only -- the scheduler, the workers and
    their nannies, and the dashboard (on a free port; ``cluster.dashboard_link``
    names it): a cluster that runs whatever it is sent must not be reachable
    from other machines.  Pass ``dashboard_address=None`` for no dashboard.

    A worker that dies is started again by its nanny and its lost tasks run
    again (see the module notes); should every worker be gone for
    :data:`NO_WORKERS_TIMEOUT`, the tasks fail rather than wait for ever
    (unless ``distributed.scheduler.no-workers-timeout`` is set already).
    """
    import os

    import dask
    from distributed import LocalCluster

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}))
    env.update(WORKER_MALLOC_ENV)
    timeout = dask.config.get("distributed.scheduler.no-workers-timeout", default=None)
    options = dict(n_workers=n_workers or len(os.sched_getaffinity(0)), threads_per_worker=1,
                   processes=True, host=LOOPBACK, dashboard_address=f"{LOOPBACK}:0")
    options.update(kwargs)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env,
                          "distributed.scheduler.no-workers-timeout":
                              timeout or NO_WORKERS_TIMEOUT}):
        return LocalCluster(**options)


def one_line_peer_losses(client: distributed.Client) -> None:
    """Have ``client``'s workers, and those that join later, note a dead peer in one line.

    A worker that was fetching a result from one that died logs "Worker stream
    died during communication" with the traceback of the closed socket, though
    nothing is wrong: the scheduler has the result computed again.  After this,
    that note keeps its first line and the error's text, and loses the traceback.
    The plugin travels by value, so workers need not import ``gmm_core``.
    """
    import logging

    from distributed import WorkerPlugin

    def shorten(record):
        if record.exc_info and str(record.msg).startswith("Worker stream died"):
            record.msg, record.args = f"{record.getMessage()} ({record.exc_info[1]})", ()
            record.exc_info = record.exc_text = None
        return True

    class OneLinePeerLosses(WorkerPlugin):
        name = "gmm-core-one-line-peer-losses"

        def setup(self, worker):
            logging.getLogger("distributed.worker").addFilter(shorten)

    client.register_plugin(OneLinePeerLosses())


def lost_work(exc: BaseException) -> str | None:
    """What Dask's failure ``exc`` means, in one line, if workers dying caused it; else None.

    Dask runs a dead worker's tasks again by itself; it gives up -- and
    ``compute`` raises -- when the workers running one task died more often
    than ``distributed.scheduler.allowed-failures`` allows
    (``KilledWorker``), or no worker ran for ``no-workers-timeout``.

    >>> from distributed.scheduler import NoWorkerError
    >>> print(lost_work(NoWorkerError("('read', 3)", 60.0)))
    A Dask worker died and its work could not be recomputed: no worker was running for \
60.00 s; run again (and if it happens again, see the workers' logs: out of memory?)
    >>> lost_work(ValueError("not a Dask failure")) is None
    True
    """
    import sys

    if "distributed" not in sys.modules:  # then exc cannot be one of its failures
        return None
    from dask.utils import format_time
    from distributed.scheduler import KilledWorker, NoValidWorkerError, NoWorkerError

    if isinstance(exc, KilledWorker):
        n = exc.allowed_failures + 1
        why = (f"{n} worker{'s' if n > 1 else ''} died while running one of its tasks (the "
               f"last at {exc.last_worker.address}), more than the scheduler allows "
               f"(distributed.scheduler.allowed-failures = {exc.allowed_failures})")
    elif isinstance(exc, NoWorkerError):
        why = f"no worker was running for {format_time(exc.timeout)}"
    elif isinstance(exc, NoValidWorkerError):
        why = f"no worker able to run its tasks was running for {format_time(exc.timeout)}"
    else:
        return None
    return (f"A Dask worker died and its work could not be recomputed: {why}; run again "
            "(and if it happens again, see the workers' logs: out of memory?)")


# ---------------------------------------------------------------- input
def as_dask_matrix(X: da.Array | dd.DataFrame, name: str = "X", *,
                   count_rows: bool = True) -> tuple[da.Array, list[str] | None]:
    """``X`` as a float64 dask array with one column chunk.

    Returns ``(array, feature_names)``; the names are those of a dask
    DataFrame's string columns, else ``None``.  With ``count_rows`` (for a
    fit) the row chunks are known: a DataFrame's partition lengths, or a
    dask array's unknown chunk sizes, are computed (one pass over the rows) so
    that rows can be counted and sampled; without, nothing is computed.

    Raises
    ------
    DataError
        A DataFrame column that is not numeric.
    ValueError, TypeError
        Anything else that is not a 2-D numeric dask array.
    """
    import dask.array as da

    names = None
    if hasattr(X, "columns") and hasattr(X, "to_delayed"):  # a dask DataFrame
        _check_numeric_columns(X)
        names = feature_names(X)
        X = _frame_to_array(X) if count_rows else X.to_dask_array()
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask array or a dask DataFrame of numeric "
                        f"columns; got {type(X).__module__}.{type(X).__name__}.")
    if X.dtype.kind == "c":
        raise ValueError(COMPLEX_MESSAGE)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers; got a dask array of dtype {X.dtype}.")
    if X.ndim != 2:
        check_shape(X.shape)
    if count_rows and any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    check_shape(X.shape)
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X, names


def _frame_to_array(df):
    """A dask DataFrame's values as a dask array with known chunks (one pass for lengths).

    Built from the optimised partitions (``to_delayed``) rather than
    ``to_dask_array``, whose keys change between graphs when Parquet
    partitions are fused -- the distributed scheduler warns of that.
    """
    import dask
    import dask.array as da

    parts = df.to_delayed()
    lengths = dask.compute(*[dask.delayed(len, pure=True)(p) for p in parts])
    values = dask.delayed(_partition_values, pure=True)
    n_cols = len(df.columns)
    blocks = [da.from_delayed(values(p), shape=(n, n_cols), dtype=np.float64)
              for p, n in zip(parts, lengths, strict=True)]
    return da.concatenate(blocks, axis=0) if blocks else da.empty((0, n_cols))


def _partition_values(part):
    return part.to_numpy(dtype=np.float64, na_value=np.nan)


def _series_to_array(series):
    """A dask Series as a 1-D dask array with known chunks."""
    return _frame_to_array(series.to_frame())[:, 0]


def _check_numeric_columns(df):
    from pandas.api.types import is_numeric_dtype

    for column, dtype in df.dtypes.items():
        if not is_numeric_dtype(dtype):
            raise DataError(
                f"Column {str(column)!r} is not numeric (its type is {dtype}); a Gaussian "
                "mixture needs numbers. Select numeric columns only, e.g. df[['income', "
                "'spend']].", column=str(column))


def _as_dask_weights(sample_weight, X):
    """``sample_weight`` as an (N, 1) float64 dask array chunked like ``X``'s rows."""
    if sample_weight is None:
        return None
    import dask.array as da

    if hasattr(sample_weight, "to_frame"):  # a dask Series
        sample_weight = _series_to_array(sample_weight)
    if not isinstance(sample_weight, da.Array):
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.ndim == 0:
            sample_weight = np.full(X.shape[0], float(sample_weight))
        sample_weight = da.from_array(sample_weight, chunks=(X.chunks[0],) if
                                      sample_weight.shape == (X.shape[0],) else "auto")
    if any(np.isnan(c) for c in sample_weight.chunks[0]):
        sample_weight = sample_weight.compute_chunk_sizes()
    check_weight_shape(sample_weight.shape, X.shape[0])
    return sample_weight.astype(np.float64).rechunk((X.chunks[0],))[:, None]


# ---------------------------------------------------------------- per chunk (workers)
def _row_blocks(n_rows, params):
    """The runs of rows a chunk is summarised in, each on the task's own thread.

    The compiled kernels take the whole chunk in one call (they block it
    themselves and hold no lock); numpy's path takes runs no longer than one of
    its cache-sized blocks, so that it neither starts threads nor limits BLAS's
    (a dask worker already runs one task per core).
    """
    if _blocked.is_compiled(params):
        return [(0, n_rows)]
    size = _blocked.default_block_size(params.n_components, params.n_features,
                                   params.covariance_type)
    return [(b, min(b + size, n_rows)) for b in range(0, n_rows, size)]


def _first_row(block_info):
    """Where a chunk starts in the whole array (0 when the chunk sizes are unknown)."""
    start = block_info[0]["array-location"][0][0] if block_info else 0
    return 0 if start is None or np.isnan(start) else int(start)


def _chunk_stats(x, w, params, nan_policy="raise", block_info=None):
    """One chunk's E-step as a (1, P) row: ``[nk, s1, s2, total_weight, ll_sum]``.

    Under ``nan_policy="marginalize"`` a chunk's rows are grouped by their
    missing cells and each pattern is summarised as in memory
    (:func:`gmm_core.mixture._missing.summarize`): one factorisation per
    pattern, component and chunk.
    """
    if x.shape[0] == 0:
        return np.zeros((1, _n_packed(params)))
    x = _chunk_matrix(x, block_info, nan_policy)
    if w is not None:
        w = w[:, 0]
        check_weight_values(w)
    if nan_policy == "marginalize":
        patterns = _missing.group_rows(x, first_row=_first_row(block_info))
        stats = _missing.summarize(x, params, w, patterns, n_threads=1)
    else:
        stats = sum(_blocked.summarize(x[a:b], params, None if w is None else w[a:b],
                                       n_threads=1)
                    for a, b in _row_blocks(x.shape[0], params))
    return np.concatenate([stats.nk, stats.s1.ravel(), stats.s2.ravel(),
                           [stats.total_weight, stats.log_likelihood_sum]])[None, :]


def _n_packed(params):
    k, d, ct = params.n_components, params.n_features, params.covariance_type
    s2 = {"full": k * d * d, "tied": d * d, "diag": k * d, "spherical": k * d}[ct]
    return k + k * d + s2 + 2


def _unpack(vec, params):
    """The summed (P,) vector back into :class:`~gmm_core.mixture.SufficientStats`."""
    k, d, ct = params.n_components, params.n_features, params.covariance_type
    s2_shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k, d)}[ct]
    nk, rest = vec[:k], vec[k:]
    s1, rest = rest[:k * d].reshape(k, d), rest[k * d:]
    n2 = int(np.prod(s2_shape))
    s2, rest = rest[:n2].reshape(s2_shape), rest[n2:]
    shift = moment_shift(ct, params.means, params.weights, params.precisions_cholesky)
    return SufficientStats(ct, shift, nk, s1, s2, float(rest[0]), float(rest[1]))


def _chunk_matrix(x, block_info, nan_policy):
    return as_float_matrix(x, first_row=_first_row(block_info),
                           allow_nan=nan_policy == "marginalize")


def _chunk_outputs(x, params, what, nan_policy="raise", block_info=None):
    """Labels, log densities, responsibilities or filled-in rows of one chunk's rows."""
    if x.shape[0]:
        x = _chunk_matrix(x, block_info, nan_policy)
    if x.shape[0] and nan_policy == "marginalize":
        patterns = _missing.group_rows(x, first_row=_first_row(block_info))
        if what == "impute":
            return _missing.impute(x, params, patterns)
        out = _missing.log_prob(x, params, patterns, what=what, n_threads=1)
        return np.exp(out) if what == "log_resp" else out
    if what == "impute":
        return np.array(x, dtype=np.float64)
    parts = [_blocked.log_prob_blocks(x[a:b], params, n_threads=1, what=what)
             for a, b in _row_blocks(x.shape[0], params)]
    if not parts:
        shape = (0, params.n_components) if what == "log_resp" else (0,)
        return np.empty(shape, dtype=np.int64 if what == "labels" else np.float64)
    out = np.concatenate(parts)
    return np.exp(out) if what == "log_resp" else out


# ---------------------------------------------------------------- EM
def summarize(X, params, sample_weight=None, *, split_every=SPLIT_EVERY, nan_policy="raise"):
    """One E-step pass over a dask array, reduced to sufficient statistics (computed).

    The cluster twin of :func:`gmm_core.mixture._blocked.summarize`: ``X`` is an (N, D)
    float64 dask array with one column chunk and ``sample_weight`` an (N, 1)
    one chunked like its rows (see :func:`as_dask_matrix`); each chunk is
    summarised where it lives and the results summed by a tree of
    ``split_every``-way sums, so the client receives one small vector.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> p = _blocked.m_step(X, "diag", resp=rng.dirichlet([1, 1], size=1000))
    >>> s = summarize(da.from_array(X, chunks=(300, 2)), p)
    >>> bool(np.allclose(s.s2, _blocked.summarize(X, p).s2, rtol=1e-12))
    True
    """
    import dask
    import dask.array as da

    packed = da.map_blocks(_chunk_stats, X, sample_weight, dask.delayed(params), nan_policy,
                           chunks=((1,) * X.numblocks[0], (_n_packed(params),)),
                           dtype=np.float64, token="gmm-e-step")
    total = packed.sum(axis=0, split_every=split_every).compute()
    return _unpack(total, params)


def _init_sample(X, sample_weight, rng, size, nan_policy="raise"):
    """At most ``size`` rows of ``X`` (and their weights), drawn uniformly, in memory.

    Under ``nan_policy="marginalize"`` missing cells take their column's mean in
    the sample (the start only, as in memory).
    """
    import dask

    n = X.shape[0]
    if n <= size:
        rows = slice(None)
    else:  # with replacement, then unique: no length-N permutation on the client
        rows = np.unique(rng.randint(0, n, size=size))
    xs, ws = dask.compute(X[rows], None if sample_weight is None
                          else sample_weight[rows, 0])
    xs = as_float_matrix(xs, allow_nan=nan_policy == "marginalize")
    if ws is not None and np.sum(ws) <= 0:  # every sampled row weighs nothing: use all
        ws = np.ones_like(ws)
    if nan_policy == "marginalize":
        xs = _missing.mean_filled(xs, ws)
    return xs, ws


class DaskRows:
    """The rows of a dask array or DataFrame, as a row source of the EM loop.

    The twin of :class:`~gmm_core.mixture._sources.InMemoryRows`: ``summarize``
    is one :func:`summarize` pass on the cluster, ``init_rows`` a sample of at
    most ``init_sample_size`` rows drawn once, ``outputs`` lazy dask arrays.
    ``for_fit`` counts the rows (one pass) so that they can be sampled;
    ``nan_policy`` is the estimator's.
    """

    dtype = np.float64  # dask data is fitted and returned in float64 whatever its dtype

    def __init__(self, X, sample_weight=None, *, for_fit=True,
                 init_sample_size=INIT_SAMPLE_ROWS, split_every=SPLIT_EVERY,
                 nan_policy="raise"):
        self.nan_policy = nan_policy
        self.X, self.feature_names = as_dask_matrix(X, count_rows=for_fit)
        self.n_samples, self.n_features = self.X.shape
        self.sample_weight = _as_dask_weights(sample_weight, self.X) if for_fit else None
        self.init_sample_size = int(init_sample_size)
        self.split_every = split_every
        self._sample = None

    def summarize(self, params):
        stats = summarize(self.X, params, self.sample_weight, split_every=self.split_every,
                          nan_policy=self.nan_policy)
        check_weight_total(stats.total_weight)
        return stats

    def init_rows(self, rng, n_components):
        """The rows (and weights) initialisation sees: one sample, drawn on first use."""
        if self._sample is None:
            self._sample = _init_sample(self.X, self.sample_weight, rng,
                                        max(self.init_sample_size, n_components),
                                        self.nan_policy)
        return self._sample

    def outputs(self, params, what):
        """Lazy ``"labels"``, ``"proba"`` or ``"log_prob_norm"`` of every row."""
        return _lazy_outputs(self.X, params, "log_resp" if what == "proba" else what,
                             self.nan_policy)

    def impute(self, params):
        """Lazy: the rows with each missing cell at its posterior mean."""
        return _lazy_outputs(self.X, params, "impute", "marginalize")


def fit(estimator: GaussianMixture, X: da.Array | dd.DataFrame,
        sample_weight: ArrayLike | da.Array | dd.Series | None = None, *,
        init_sample_size: int = INIT_SAMPLE_ROWS,
        on_iteration: Callable[[Iteration], object] | None = None,
        split_every: int = SPLIT_EVERY) -> GaussianMixture:
    """Fit ``estimator`` (a :class:`~gmm_core.GaussianMixture`) on a dask array or DataFrame.

    ``GaussianMixture.fit(X)`` does this for dask ``X`` by itself; call it
    directly for the options below.  Returns the estimator.

    Parameters
    ----------
    estimator : GaussianMixture
    X : dask.array.Array (N, D) or dask DataFrame of numeric columns
    sample_weight : dask array, dask Series or array-like (N,), optional
    init_sample_size : int, default=INIT_SAMPLE_ROWS
        Rows drawn (once) for ``init_params``.
    on_iteration : callable, optional
        Called with an :class:`~gmm_core.mixture.Iteration` after every EM iteration.
    split_every : int
        Fan-in of the tree that sums the chunks' statistics.
    """
    estimator._check_parameters()
    rows = DaskRows(X, sample_weight, init_sample_size=init_sample_size,
                    split_every=split_every, nan_policy=estimator.nan_policy)
    estimator._fit(rows, on_iteration=on_iteration)
    return estimator


def _lazy_outputs(X, params, what, nan_policy="raise"):
    import dask

    if what == "log_resp":
        kw = dict(chunks=(X.chunks[0], (params.n_components,)), dtype=np.float64)
    elif what == "impute":
        kw = dict(dtype=np.float64)
    else:
        kw = dict(drop_axis=1, dtype=np.int64 if what == "labels" else np.float64)
    return X.map_blocks(_chunk_outputs, dask.delayed(params), what, nan_policy,
                        token=f"gmm-{what.replace('_', '-')}", **kw)
