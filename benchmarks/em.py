"""EM speed and memory: gmm_core against scikit-learn and against the machine, in the same run.

    python -m benchmarks.em                 # issue 21's grid: N = 10^6, K = 10, full and diag
                                            # at D = 2, 10, 50, and N = 10^3..10^5 (~20 min)
    python -m benchmarks.em --ten-million   # and N = 10^7 at D = 10 (full and diag; ours only)
    python -m benchmarks.em --quick         # a small grid, under 2 minutes
    python -m benchmarks.em --engine numpy  # gmm_core's numpy path (GMM_EXPLORER_KERNEL=numpy)
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
* ``RSS MB`` -- the same fit's peak resident memory beyond what the process held
  before it (``/proc/self/clear_refs`` then ``VmHWM``): it also sees what
  tracemalloc cannot, such as numba's per-thread block buffers;
* ratios -- scikit-learn / gmm_core, so above 1 means gmm_core is better;
* ``x limit`` -- gmm_core's seconds per iteration as a multiple of the machine's
  lower bound for one iteration (:func:`hardware_limit`): the largest of the
  iteration's flops at the peak GEMM rate, its ``K * N`` exponentials at the
  exp rate and its bytes (X read once) at the copy bandwidth, each rate measured
  on every core in the same run (:func:`measure_machine`).  The letter says which
  of the three bounds (F flops, E exp, B bytes).

A last table times the default ``fit()`` end to end (each side's own default
initialisation, ``tol=1e-3``) and reports the final mean log-likelihood of both
so speed is not bought with quality.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np

#: (N, D, K, covariance type): issue 21's targets at a million rows, then smaller N
#: (gmm_core must never be slower than scikit-learn at any N >= 10^3).
FULL_GRID = ([(1_000_000, d, 10, cov) for cov in ("full", "diag") for d in (2, 10, 50)]
             + [(n, d, 10, cov) for n in (1_000, 10_000, 100_000) for d in (2, 10)
                for cov in ("full", "diag")])
TEN_MILLION = [(10_000_000, 10, 10, "full"), (10_000_000, 10, 10, "diag")]
QUICK_GRID = [(n, d, 10, cov) for n in (10_000, 100_000) for d in (2, 10)
              for cov in ("full", "diag")]


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


def _status_kb(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def child_memory(side, n, d, k, cov, n_iter):
    """In a fresh process: peak bytes allocated beyond X during one fit, and peak RSS beyond."""
    X = make_data(n, d, k)
    est = estimator(side, k, cov, max_iter=n_iter, tol=0, **init_params(X, k, cov))
    with warnings.catch_warnings():  # imports, compiled kernels and BLAS threads loaded first
        warnings.simplefilter("ignore")
        estimator(side, k, cov, max_iter=1, tol=0, **init_params(X, k, cov)).fit(X[:2000])
    with open("/proc/self/clear_refs", "w") as fh:  # VmHWM := VmRSS
        fh.write("5")
    rss_before = _status_kb("VmRSS")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, (_status_kb("VmHWM") - rss_before) * 1024


def measure_memory(side, n, d, k, cov, n_iter):
    out = subprocess.run([sys.executable, "-m", "benchmarks.em", "--child", side, str(n),
                          str(d), str(k), cov, str(n_iter)], capture_output=True, text=True,
                         check=True)
    traced, rss = out.stdout.strip().splitlines()[-1].split()
    return int(traced), int(rss)


# ------------------------------------------------------------------ the machine's limit
def _on_every_core(fn, arrays):
    """Seconds for ``fn(a)`` over every array at once, one thread per core (numpy frees the GIL)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(arrays)) as pool:
        list(pool.map(fn, arrays))  # warm
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            list(pool.map(fn, arrays))
            best = min(best, time.perf_counter() - start)
    return best


def measure_machine(size=2048, n_exp=1 << 23, n_copy=1 << 25):
    """Peak GEMM flop/s (numpy matmul, BLAS's threads), exp/s and copy bytes/s on every core."""
    cores = _cores()
    a = np.random.RandomState(0).standard_normal((size, size))
    b = a.T.copy()
    a @ b
    gemm = min(_time(lambda: a @ b) for _ in range(5))
    xs = [-np.random.RandomState(i).random_sample(n_exp // cores) * 50 for i in range(cores)]
    outs = [np.empty_like(x) for x in xs]
    exp_s = _on_every_core(lambda i: np.exp(xs[i], out=outs[i]), list(range(cores)))
    big = [np.ones(n_copy // cores) for _ in range(cores)]
    dst = [np.empty_like(x) for x in big]
    copy_s = _on_every_core(lambda i: np.copyto(dst[i], big[i]), list(range(cores)))
    return dict(gemm_flops=2 * size ** 3 / gemm, exp_per_s=n_exp / exp_s,
                copy_bytes_per_s=2 * 8 * n_copy / copy_s, cores=cores)


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def iteration_work(n, d, k, cov):
    """The least work one EM iteration needs: (flops, exponentials, bytes).

    ``full``: the triangular product ``(x - mu_k) L_k`` for the E-step and the
    symmetric rank update ``sum r (x - mu_k)(x - mu_k)^T`` for the M-step, each
    ``K N D (D + 1) / 2`` multiply-adds; ``diag``: ``[x^2, x]`` times a (2D, K)
    matrix for the E-step and its transpose for the moments, ``2 K N D``
    multiply-adds each; both: ``K N`` exponentials and X read once.
    """
    madds = k * n * d * (d + 1) if cov == "full" else 4 * k * n * d
    return 2.0 * madds, float(k * n), 8.0 * n * d


def hardware_limit(n, d, k, cov, machine):
    """Seconds per iteration the machine cannot beat, and which bound sets it."""
    flops, exps, nbytes = iteration_work(n, d, k, cov)
    bounds = {"F": flops / machine["gemm_flops"], "E": exps / machine["exp_per_s"],
              "B": nbytes / machine["copy_bytes_per_s"]}
    which = max(bounds, key=bounds.get)
    return bounds[which], which


def iters_for(n, d, k):
    work = n * k * d * max(d, 4)
    return 2 if work >= 1e9 else 3 if work >= 1e8 else 5


def bench_config(n, d, k, cov, repeats, machine, sides=("sklearn", "gmm_core")):
    X = make_data(n, d, k)
    n_iter = iters_for(n, d, k)
    row = dict(n=n, d=d, k=k, cov=cov, n_iter=n_iter)
    for name in ("s_per_iter", "mb_extra", "rss_mb"):
        row[f"sklearn_{name}"] = float("nan")  # unless measured below
    for side in sides:
        run_fit(side, X[:2000], k, cov, 1)  # warm-up: imports, BLAS threads, compiled kernels
        times = [run_fit(side, X, k, cov, n_iter) / n_iter for _ in range(repeats)]
        row[f"{side}_s_per_iter"] = statistics.median(times)
        traced, rss = measure_memory(side, n, d, k, cov, 1)  # one iteration's peak: the same
        row[f"{side}_mb_extra"], row[f"{side}_rss_mb"] = traced / 2**20, rss / 2**20
    row["speedup"] = row["sklearn_s_per_iter"] / row["gmm_core_s_per_iter"]
    row["memory_ratio"] = row["sklearn_mb_extra"] / max(row["gmm_core_mb_extra"], 1e-9)
    row["limit_s_per_iter"], row["limit_bound"] = hardware_limit(n, d, k, cov, machine)
    row["x_limit"] = row["gmm_core_s_per_iter"] / row["limit_s_per_iter"]
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


def print_machine(machine, engine):
    print(f"machine ({machine['cores']} cores, measured in this run): GEMM "
          f"{machine['gemm_flops'] / 1e9:.1f} GFLOP/s, exp {machine['exp_per_s'] / 1e9:.2f} G/s, "
          f"copy {machine['copy_bytes_per_s'] / 1e9:.1f} GB/s; gmm_core engine: {engine}")


def print_table(rows, default_rows):
    head = (f"{'N':>9} {'D':>3} {'K':>3} {'cov':>5} | {'sk s/it':>9} {'ours s/it':>9} "
            f"{'speedup':>7} | {'limit s':>8} {'x limit':>8} | {'sk MB':>8} {'ours MB':>8} "
            f"{'mem ratio':>9} | {'sk RSS':>7} {'our RSS':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['n']:>9} {r['d']:>3} {r['k']:>3} {r['cov']:>5} | "
              f"{r['sklearn_s_per_iter']:>9.4f} {r['gmm_core_s_per_iter']:>9.4f} "
              f"{r['speedup']:>6.2f}x | {r['limit_s_per_iter']:>8.4f} "
              f"{r['x_limit']:>6.1f}x{r['limit_bound']} | {r['sklearn_mb_extra']:>8.1f} "
              f"{r['gmm_core_mb_extra']:>8.1f} {r['memory_ratio']:>8.1f}x | "
              f"{r['sklearn_rss_mb']:>7.1f} {r['gmm_core_rss_mb']:>7.1f}")
    if not default_rows:
        return
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
    parser.add_argument("--ten-million", action="store_true",
                        help="add N = 10^7 at D = 10, full and diag (gmm_core only, unless "
                             "--sklearn-ten-million: scikit-learn takes minutes per iteration)")
    parser.add_argument("--sklearn-ten-million", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-default-fit", action="store_true",
                        help="skip the end-to-end default fit() table")
    parser.add_argument("--engine", choices=("numba", "numpy"), default=None,
                        help="gmm_core's engine (default: numba when installed)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed fits per configuration (default 3, and 1 at N >= 10^6)")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:  # children inherit it
        os.environ["GMM_EXPLORER_KERNEL"] = args.engine
    if args.child:
        side, n, d, k, cov, n_iter = args.child
        print(*child_memory(side, int(n), int(d), int(k), cov, int(n_iter)))
        return 0
    from gmm_core.mixture._kernels import engine
    grid = QUICK_GRID if args.quick else FULL_GRID + (TEN_MILLION if args.ten_million else [])
    started = time.perf_counter()
    machine = measure_machine()
    print_machine(machine, engine())
    rows = []
    for n, d, k, cov in grid:
        repeats = args.repeats or (2 if args.quick else 1 if n >= 1_000_000 else 3)
        sides = (("gmm_core",) if n >= 10_000_000 and not args.sklearn_ten_million
                 else ("sklearn", "gmm_core"))
        rows.append(bench_config(n, d, k, cov, repeats, machine, sides))
        print(f"  done N={n} D={d} K={k} {cov}: {rows[-1]['speedup']:.2f}x, "
              f"{rows[-1]['x_limit']:.1f}x limit", file=sys.stderr, flush=True)
    default_n = 20_000 if args.quick else 1_000_000
    default_rows = ([] if args.no_default_fit else
                    [bench_default_fit(default_n, 10, 10, 1 if args.quick else 2)])
    print_machine(machine, engine())
    print_table(rows, default_rows)
    result = dict(machine=dict(python=platform.python_version(),
                               numpy=np.__version__, platform=platform.platform(), **machine),
                  engine=engine(), quick=args.quick, seconds=time.perf_counter() - started,
                  configs=rows, default_fit=default_rows)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"\nwrote {args.out} in {result['seconds']:.0f} s")
    return 0


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
