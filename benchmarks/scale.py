"""EM on Dask: rows per second per worker, and the Dask path against the in-memory one.

    python -m benchmarks.scale            # N = 10^7 on the workers, 10^6 both ways (~1 min)
    python -m benchmarks.scale --quick    # N = 10^6 and 10^5, under 30 s
    python -m benchmarks.scale --out docs/benchmark-scale.json

Both tables run a :class:`gmm_core.GaussianMixture` from **given initial
parameters** (``*_init``: no initialisation is timed) for a **fixed number of
iterations** (``tol=0``); a warm-up fit of one iteration comes first.

1. **Throughput on the workers** -- N rows of a K-component mixture are
   generated chunk by chunk *on the workers* of ``gmm_core.mixture.local_cluster()``
   (one single-threaded worker process per core; each chunk seeded by its block
   number) and held there (``persist``); then the timed fit, one pass over
   the chunks per iteration (:mod:`gmm_core.mixture._dask`).  ``rows/s/worker`` =
   N x iterations / seconds / workers.  The ``regenerated`` rows time the same
   fit when every pass generates its chunks again -- the out-of-core case, where
   each pass reads the data anew -- so they include the generator's cost.
2. **Dask against memory** at N rows held by the client: the in-memory fit
   (``fast.summarize`` on all cores, threads) against the Dask fit of the same
   array put on the same cluster; ``ratio`` = Dask seconds / in-memory seconds.
"""

import argparse
import json
import pathlib
import platform
import sys
import time
import warnings

import numpy as np

from benchmarks.em import _cores

FULL = dict(workers_n=10_000_000, compare_n=1_000_000, chunk=500_000, n_iter=5)
QUICK = dict(workers_n=1_000_000, compare_n=100_000, chunk=100_000, n_iter=3)
CONFIGS = [(4, 5, "full"), (4, 5, "diag")]  # (D, K, covariance type)


def mixture_block(block_id=None, n_rows=0, n_features=0, n_components=0, seed=0):
    """One chunk of a K-component Gaussian mixture, from its block number (on a worker)."""
    centers = np.random.default_rng(seed).normal(0.0, 5.0, (n_components, n_features))
    rng = np.random.default_rng([seed, block_id[0]])
    x = rng.standard_normal((n_rows, n_features))
    x += centers[rng.integers(0, n_components, n_rows)]
    return x


def generated(n, d, k, chunk, seed=0):
    import dask.array as da
    sizes = (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())
    return da.map_blocks(mixture_block, n_rows=chunk, n_features=d, n_components=k,
                         seed=seed, chunks=(sizes, (d,)), dtype=np.float64)


def starting_point(d, k, cov, seed=1):
    rng = np.random.RandomState(seed)
    means = rng.normal(0.0, 5.0, (k, d))
    prec = {"full": np.stack([np.eye(d) * 0.05] * k), "diag": np.full((k, d), 0.05),
            "tied": np.eye(d) * 0.05, "spherical": np.full(k, 0.05)}[cov]
    return dict(weights_init=np.full(k, 1.0 / k), means_init=means, precisions_init=prec)


def timed_fit(X, k, cov, n_iter, start):
    from gmm_core import GaussianMixture
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        GaussianMixture(k, covariance_type=cov, max_iter=1, tol=0, **start).fit(X)  # warm-up
        gm = GaussianMixture(k, covariance_type=cov, max_iter=n_iter, tol=0, **start)
        began = time.perf_counter()
        gm.fit(X)
        seconds = time.perf_counter() - began
    assert gm.n_iter_ == n_iter
    return seconds, gm


def bench_workers(client, n_workers, n, d, k, cov, chunk, n_iter):
    start = starting_point(d, k, cov)
    X = generated(n, d, k, chunk)
    held = X.persist()
    from distributed import wait
    wait(held)
    row = dict(n=n, d=d, k=k, cov=cov, n_iter=n_iter, workers=n_workers, chunk_rows=chunk)
    for name, data in (("held", held), ("regenerated", X)):
        seconds, _ = timed_fit(data, k, cov, n_iter, start)
        row[f"{name}_s_per_iter"] = seconds / n_iter
        row[f"{name}_rows_per_s_per_worker"] = n * n_iter / seconds / n_workers
    del held
    return row


def bench_compare(client, n, d, k, cov, chunk, n_iter):
    import dask.array as da
    from distributed import wait
    start = starting_point(d, k, cov)
    X = generated(n, d, k, chunk).compute()  # in the client's memory
    mem_s, mem = timed_fit(X, k, cov, n_iter, start)
    with warnings.catch_warnings():  # "large graph": the data go to the workers once, here
        warnings.simplefilter("ignore", UserWarning)
        Xd = da.from_array(X, chunks=(chunk, d)).persist()
        wait(Xd)
    dask_s, dsk = timed_fit(Xd, k, cov, n_iter, start)
    rel = float(np.max(np.abs(dsk.means_ - mem.means_) / np.abs(mem.means_)))
    return dict(n=n, d=d, k=k, cov=cov, n_iter=n_iter, memory_s_per_iter=mem_s / n_iter,
                dask_s_per_iter=dask_s / n_iter, ratio=dask_s / mem_s,
                memory_rows_per_s=n * n_iter / mem_s, dask_rows_per_s=n * n_iter / dask_s,
                means_max_rel_diff=rel)


def print_table(title, head, lines):
    print(title)
    print(head)
    print("-" * len(head))
    for line in lines:
        print(line)


def print_tables(workers_rows, compare_rows):
    print_table(
        "1. throughput on the workers (data generated there; s per EM iteration)",
        f"{'N':>10} {'D':>2} {'K':>2} {'cov':>5} {'workers':>7} | {'held s/it':>9} "
        f"{'rows/s/worker':>13} | {'regen s/it':>10} {'rows/s/worker':>13}",
        [f"{r['n']:>10} {r['d']:>2} {r['k']:>2} {r['cov']:>5} {r['workers']:>7} | "
         f"{r['held_s_per_iter']:>9.3f} {r['held_rows_per_s_per_worker']:>13,.0f} | "
         f"{r['regenerated_s_per_iter']:>10.3f} {r['regenerated_rows_per_s_per_worker']:>13,.0f}"
         for r in workers_rows])
    print()
    print_table(
        "2. Dask against memory (same data, same start; s per EM iteration)",
        f"{'N':>10} {'D':>2} {'K':>2} {'cov':>5} | {'memory':>8} {'dask':>8} "
        f"{'dask/memory':>11} | {'means rel diff':>14}",
        [f"{r['n']:>10} {r['d']:>2} {r['k']:>2} {r['cov']:>5} | "
         f"{r['memory_s_per_iter']:>8.3f} {r['dask_s_per_iter']:>8.3f} "
         f"{r['ratio']:>10.2f}x | {r['means_max_rel_diff']:>14.1e}" for r in compare_rows])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 10^6 and 10^5")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--out", default="benchmark-scale.json", help="JSON results file")
    args = parser.parse_args(argv)
    from distributed import Client

    from gmm_core.mixture import local_cluster

    plan = QUICK if args.quick else FULL
    n_workers = args.workers or _cores()
    began = time.perf_counter()
    with local_cluster(n_workers) as cluster, Client(cluster) as client:
        workers_rows, compare_rows = [], []
        for d, k, cov in CONFIGS:
            workers_rows.append(bench_workers(client, n_workers, plan["workers_n"], d, k, cov,
                                              plan["chunk"], plan["n_iter"]))
            print(f"  done workers N={plan['workers_n']} {cov}", file=sys.stderr, flush=True)
            compare_rows.append(bench_compare(client, plan["compare_n"], d, k, cov,
                                              min(plan["chunk"], plan["compare_n"] // 4),
                                              plan["n_iter"]))
            print(f"  done compare N={plan['compare_n']} {cov}", file=sys.stderr, flush=True)
    print_tables(workers_rows, compare_rows)
    import dask
    machine = dict(python=platform.python_version(), cores=_cores(), numpy=np.__version__,
                   dask=dask.__version__, platform=platform.platform())
    seconds = time.perf_counter() - began
    pathlib.Path(args.out).write_text(json.dumps(
        dict(machine=machine, quick=args.quick, seconds=seconds, workers=workers_rows,
             compare=compare_rows), indent=2))
    print(f"\nwrote {args.out} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
