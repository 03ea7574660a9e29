"""EM speed and memory: gmm_core against scikit-learn, in the same run.

    python -m benchmarks.em            # the full grid (about 20 minutes on 2 cores)
    python -m benchmarks.em --quick    # a small grid, under 2 minutes
    python -m benchmarks.em --out results.json

For every configuration (N rows, D features, K components, covariance type)
both estimators start from **identical initial parameters** (weights, means,
precisions given as ``*_init``, so neither runs its own initialisation) and
run the **same number of iterations** (``tol=0``):

* ``s/iter`` -- seconds per EM iteration: the median over ``repeats`` runs of
  (fit of ``n`` iterations) / ``n``; each fit also validates X and runs one final
  E-step, identically on both sides;
* ``MB extra`` -- peak memory allocated beyond the data during one such fit,
  measured for each side in its own fresh subprocess with ``tracemalloc``
  (numpy reports its buffers to it);
* ratios -- scikit-learn / gmm_core, so above 1 means gmm_core is better.

A last table times the default ``fit()`` end to end (each side's own default
initialisation, ``tol=1e-3``) and reports the final mean log-likelihood of both
so speed is not bought with quality.
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np

FULL_GRID = dict(n=(10_000, 100_000, 1_000_000), d=(2, 10, 50), k=(3, 10),
                 cov=("full", "diag"))
QUICK_GRID = dict(n=(10_000, 100_000), d=(2, 10), k=(10,), cov=("full", "diag"))


def make_data(n, d, k, seed=0):
    """k Gaussian blobs with random covariances in d dimensions (deterministic)."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 5, (k, d))
    labels = rng.randint(0, k, n)
    X = np.empty((n, d))
    for j in range(k):
        rows = labels == j
        a = rng.normal(size=(d, d)) / np.sqrt(d)
        X[rows] = centers[j] + rng.standard_normal((rows.sum(), d)) @ a
    return X


def init_params(X, k, cov):
    rng = np.random.RandomState(1)
    d = X.shape[1]
    means = X[rng.choice(len(X), k, replace=False)]
    s = 1.0 / np.var(X[:10_000], axis=0).mean()
    prec = {"full": np.stack([np.eye(d) * s] * k), "diag": np.full((k, d), s),
            "tied": np.eye(d) * s, "spherical": np.full(k, s)}[cov]
    return dict(weights_init=np.full(k, 1.0 / k), means_init=means, precisions_init=prec)


def estimator(side, k, cov, **kw):
    if side == "sklearn":
        from sklearn.mixture import GaussianMixture
    else:
        from gmm_core import GaussianMixture
    return GaussianMixture(k, covariance_type=cov, **kw)


def run_fit(side, X, k, cov, n_iter):
    est = estimator(side, k, cov, max_iter=n_iter, tol=0, **init_params(X, k, cov))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est.fit(X)
        return time.perf_counter() - start


def child_memory(side, n, d, k, cov, n_iter):
    """In a fresh process: peak bytes allocated beyond X during one fit."""
    X = make_data(n, d, k)
    est = estimator(side, k, cov, max_iter=n_iter, tol=0, **init_params(X, k, cov))
    # est is built (so its module is imported) before tracing starts
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def measure_memory(side, n, d, k, cov, n_iter):
    out = subprocess.run([sys.executable, "-m", "benchmarks.em", "--child", side, str(n),
                          str(d), str(k), cov, str(n_iter)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip().splitlines()[-1])


def iters_for(n, d, k):
    work = n * k * d * max(d, 4)
    return 2 if work >= 1e9 else 3 if work >= 1e8 else 5


def bench_config(n, d, k, cov, repeats):
    X = make_data(n, d, k)
    n_iter = iters_for(n, d, k)
    row = dict(n=n, d=d, k=k, cov=cov, n_iter=n_iter)
    for side in ("sklearn", "gmm_core"):
        run_fit(side, X[:2000], k, cov, 1)  # warm-up: imports, BLAS threads
        times = [run_fit(side, X, k, cov, n_iter) / n_iter for _ in range(repeats)]
        row[f"{side}_s_per_iter"] = statistics.median(times)
        row[f"{side}_mb_extra"] = measure_memory(side, n, d, k, cov, n_iter) / 2**20
    row["speedup"] = row["sklearn_s_per_iter"] / row["gmm_core_s_per_iter"]
    row["memory_ratio"] = row["sklearn_mb_extra"] / max(row["gmm_core_mb_extra"], 1e-9)
    return row


def bench_default_fit(n, d, k, repeats):
    X = make_data(n, d, k, seed=3)
    row = dict(n=n, d=d, k=k, cov="full")
    for side in ("sklearn", "gmm_core"):
        times, lls = [], []
        for r in range(repeats):
            est = estimator(side, k, "full", random_state=r)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                est.fit(X)
                times.append(time.perf_counter() - start)
            lls.append(est.score(X))
        row[f"{side}_seconds"] = statistics.median(times)
        row[f"{side}_loglik"] = float(np.mean(lls))
        row[f"{side}_n_iter"] = int(est.n_iter_)
    row["speedup"] = row["sklearn_seconds"] / row["gmm_core_seconds"]
    return row


def print_table(rows, default_rows):
    head = (f"{'N':>9} {'D':>3} {'K':>3} {'cov':>5} | {'sk s/it':>9} {'ours s/it':>9} "
            f"{'speedup':>7} | {'sk MB':>8} {'ours MB':>8} {'mem ratio':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['n']:>9} {r['d']:>3} {r['k']:>3} {r['cov']:>5} | "
              f"{r['sklearn_s_per_iter']:>9.4f} {r['gmm_core_s_per_iter']:>9.4f} "
              f"{r['speedup']:>6.2f}x | {r['sklearn_mb_extra']:>8.1f} "
              f"{r['gmm_core_mb_extra']:>8.1f} {r['memory_ratio']:>8.1f}x")
    print()
    print("default fit() end to end (own initialisation, tol=1e-3):")
    for r in default_rows:
        print(f"  N={r['n']} D={r['d']} K={r['k']}: scikit-learn {r['sklearn_seconds']:.2f} s "
              f"({r['sklearn_n_iter']} it, loglik {r['sklearn_loglik']:.4f}), gmm_core "
              f"{r['gmm_core_seconds']:.2f} s ({r['gmm_core_n_iter']} it, loglik "
              f"{r['gmm_core_loglik']:.4f}): {r['speedup']:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small grid, under 2 minutes")
    parser.add_argument("--out", default="benchmark-em.json", help="JSON results file")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, n, d, k, cov, n_iter = args.child
        print(child_memory(side, int(n), int(d), int(k), cov, int(n_iter)))
        return 0
    grid = QUICK_GRID if args.quick else FULL_GRID
    repeats = args.repeats or (2 if args.quick else 3)
    started = time.perf_counter()
    rows = []
    for n in grid["n"]:
        for d in grid["d"]:
            for k in grid["k"]:
                for cov in grid["cov"]:
                    rows.append(bench_config(n, d, k, cov, repeats))
                    print(f"  done N={n} D={d} K={k} {cov}: {rows[-1]['speedup']:.2f}x",
                          file=sys.stderr, flush=True)
    default_n = 20_000 if args.quick else 1_000_000
    default_rows = [bench_default_fit(default_n, 10, 10, 1 if args.quick else 2)]
    print_table(rows, default_rows)
    result = dict(machine=dict(python=platform.python_version(), cores=_cores(),
                               numpy=np.__version__, platform=platform.platform()),
                  quick=args.quick, seconds=time.perf_counter() - started,
                  configs=rows, default_fit=default_rows)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"\nwrote {args.out} in {result['seconds']:.0f} s")
    return 0


def _cores():
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
