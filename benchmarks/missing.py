"""EM with missing values (``nan_policy="marginalize"``): how accurate, how fast, how much memory.

    python -m benchmarks.missing                 # both tables, N = 200,000 (a few minutes)
    python -m benchmarks.missing --n 1000000     # the speed row at 1e6 rows
    python -m benchmarks.missing --accuracy-only
    python -m benchmarks.missing --out results.json

**Accuracy.**  Rows are drawn from a known mixture (3 components with
correlated full covariances in 4 dimensions), then 10 %, 30 % and 50 % of the
cells are removed completely at random (rows left with no value are dropped
for every method).  Three ways to fit the same full-covariance mixture:

* ``marginalize`` -- ``GaussianMixture(nan_policy="marginalize")`` on the rows as they are;
* ``listwise`` -- only the rows with no missing cell;
* ``mean fill`` -- every missing cell set to its column's mean.

Components are matched to the truth by the Hungarian method on the means;
the table gives the mean over components of ``||mu_hat - mu||`` and of
``||Sigma_hat - Sigma||_F / ||Sigma||_F``, averaged over three data sets.
``tests/mixture/test_missing.py`` asserts that ``marginalize`` is the most
accurate of the three at every fraction with this same function.

**Speed and memory.**  N rows x 10 features, K = 10, full covariance, 10 % of
cells removed at random.  From the same initial parameters (given as
``*_init``) and the same number of iterations (``tol=0``) it times a fit of
the rows with gaps (``marginalize``) and a plain fit of the same rows before
the cells were removed; ``s/iter`` is the fit's time over its iterations
(the fit also groups the rows once and runs one final E-step), the median of
runs that alternate between the two sides, in wall time and in CPU time of
all the process's threads (steadier on a shared machine).  ``MB extra``
is the peak memory allocated beyond the data during one fit, in a fresh
subprocess with ``tracemalloc``, at N and at N / 4: flat in N means the two
agree.
"""

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

from benchmarks.em import init_params, make_data

FRACTIONS = (0.1, 0.3, 0.5)
METHODS = ("marginalize", "listwise", "mean fill")


# ---------------------------------------------------------------- accuracy
def true_mixture(d=4):
    """Three well-separated components with correlated covariances (deterministic)."""
    rng = np.random.RandomState(42)
    means = np.array([[0.0] * d, [6.0] + [0.0] * (d - 1), [3.0, 6.0] + [2.0] * (d - 2)])
    covs = []
    for _ in range(3):
        a = rng.normal(size=(d, d))
        cov = a @ a.T / d + 0.5 * np.eye(d)
        covs.append(cov)
    return np.array([0.5, 0.3, 0.2]), means, np.array(covs)


def draw(n, seed, fraction, d=4):
    """Complete rows of the true mixture and a copy with ``fraction`` of cells set to NaN."""
    weights, means, covs = true_mixture(d)
    rng = np.random.RandomState(seed)
    counts = rng.multinomial(n, weights)
    X = np.vstack([rng.multivariate_normal(m, c, int(c_n)) for m, c, c_n
                   in zip(means, covs, counts, strict=True)])
    X = X[rng.permutation(n)]
    gaps = X.copy()
    gaps[rng.uniform(size=X.shape) < fraction] = np.nan
    return X, gaps[~np.isnan(gaps).all(axis=1)]


def fit_with(method, X, seed):
    from gmm_core import GaussianMixture

    options = dict(covariance_type="full", n_init=2, random_state=seed, max_iter=1000, tol=1e-6)
    if method == "marginalize":
        return GaussianMixture(3, nan_policy="marginalize", **options).fit(X)
    if method == "listwise":
        return GaussianMixture(3, **options).fit(X[~np.isnan(X).any(axis=1)])
    filled = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    return GaussianMixture(3, **options).fit(filled)


def errors_against_truth(model):
    """(mean error, relative covariance error), components matched on their means."""
    _, means, covs = true_mixture(model.means_.shape[1])
    cost = ((model.means_[:, None, :] - means[None]) ** 2).sum(axis=2)
    fitted, true = linear_sum_assignment(cost)
    mean_err = np.linalg.norm(model.means_[fitted] - means[true], axis=1).mean()
    cov_err = (np.linalg.norm(model.covariances_[fitted] - covs[true], axis=(1, 2))
               / np.linalg.norm(covs[true], axis=(1, 2))).mean()
    return float(mean_err), float(cov_err)


def parameter_errors(fraction, *, n=3000, seeds=(0, 1, 2)):
    """``{method: (mean error, covariance error)}`` averaged over ``seeds`` data sets."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in METHODS:
            errs = [errors_against_truth(fit_with(method, draw(n, s, fraction)[1], s))
                    for s in seeds]
            out[method] = tuple(float(np.mean(e)) for e in zip(*errs, strict=True))
    return out


def accuracy_table(n):
    rows = []
    for fraction in FRACTIONS:
        errs = parameter_errors(fraction, n=n)
        rows.append(dict(fraction=fraction, **{f"{m} mean": errs[m][0] for m in METHODS},
                         **{f"{m} cov": errs[m][1] for m in METHODS}))
    head = (f"{'missing':>8} | " + " ".join(f"{m + ' mean':>17}" for m in METHODS) + " | "
            + " ".join(f"{m + ' cov':>16}" for m in METHODS))
    print(f"parameter errors against the truth, N = {n} rows x 4 features, K = 3 full:")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['fraction']:>7.0%} | " + " ".join(f"{r[m + ' mean']:>17.4f}" for m in METHODS)
              + " | " + " ".join(f"{r[m + ' cov']:>16.4f}" for m in METHODS))
    return rows


# ---------------------------------------------------------------- speed and memory
def speed_data(n, d=10, k=10, fraction=0.1):
    X = make_data(n, d, k)
    gaps = X.copy()
    gaps[np.random.RandomState(7).uniform(size=X.shape) < fraction] = np.nan
    return X, gaps[~np.isnan(gaps).all(axis=1)], X[~np.isnan(gaps).all(axis=1)]


def timed_fit(X, k, policy, n_iter, start):
    """``(wall seconds, CPU seconds of every thread)`` of one fit."""
    from gmm_core import GaussianMixture

    est = GaussianMixture(k, covariance_type="full", max_iter=n_iter, tol=0, nan_policy=policy,
                          **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(X)
        return time.perf_counter() - t0, time.process_time() - c0


def child_memory(policy, n, n_iter):
    """In a fresh process: peak bytes allocated beyond the data during one fit."""
    _, gaps, complete = speed_data(n)
    X = gaps if policy == "marginalize" else complete
    start = init_params(complete, 10, "full")
    from gmm_core import GaussianMixture  # noqa: F401 (imported before tracing)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    timed_fit(X, 10, policy, n_iter, start)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def measure_memory(policy, n, n_iter):
    out = subprocess.run([sys.executable, "-m", "benchmarks.missing", "--child", policy, str(n),
                          str(n_iter)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 2 ** 20


def speed_row(n, n_iter=5, repeats=3):
    _, gaps, complete = speed_data(n)
    start = init_params(complete, 10, "full")
    timed_fit(complete[:2000], 10, "raise", 1, start)  # warm-up
    row = dict(n=len(gaps), d=10, k=10, missing=float(np.isnan(gaps).mean()), n_iter=n_iter)
    times = {"raise": [], "marginalize": []}
    for _ in range(repeats):  # interleaved, so that a busy spell hits both sides
        for policy, X in (("raise", complete), ("marginalize", gaps)):
            times[policy].append(np.array(timed_fit(X, 10, policy, n_iter, start)) / n_iter)
    for policy, got in times.items():
        row[f"{policy}_s_per_iter"] = float(np.median([t[0] for t in got]))
        row[f"{policy}_cpu_s_per_iter"] = float(np.median([t[1] for t in got]))
    row["time_ratio"] = float(np.median([m[0] / r[0] for m, r in zip(times["marginalize"],
                                                                      times["raise"],
                                                                      strict=True)]))
    row["cpu_ratio"] = float(np.median([m[1] / r[1] for m, r in zip(times["marginalize"],
                                                                    times["raise"], strict=True)]))
    for policy in times:
        row[f"{policy}_mb"] = measure_memory(policy, n, n_iter)
        row[f"{policy}_mb_quarter"] = measure_memory(policy, n // 4, n_iter)
    from gmm_core.mixture._missing import group_rows
    row["patterns"] = group_rows(gaps).n_patterns
    print(f"\nN = {row['n']} x 10, K = 10, full, {row['missing']:.1%} of cells missing "
          f"({row['patterns']} patterns), {n_iter} iterations, median of {repeats}:")
    for policy, name in (("raise", "complete-data EM"), ("marginalize", "marginalize")):
        print(f"  {name:<17} {row[policy + '_s_per_iter']:.3f} s/iter (CPU "
              f"{row[policy + '_cpu_s_per_iter']:.3f} s/iter)   MB extra {row[policy + '_mb']:.1f} "
              f"(N/4: {row[policy + '_mb_quarter']:.1f})")
    print(f"  marginalize / complete: {row['time_ratio']:.2f}x wall time, {row['cpu_ratio']:.2f}x "
          "CPU time")
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="rows of the speed row")
    parser.add_argument("--accuracy-n", type=int, default=3000, help="rows of each data set")
    parser.add_argument("--accuracy-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--out", default=None, help="JSON results file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        policy, n, n_iter = args.child
        print(child_memory(policy, int(n), int(n_iter)))
        return 0
    result = {}
    if not args.speed_only:
        result["accuracy"] = accuracy_table(args.accuracy_n)
    if not args.accuracy_only:
        result["speed"] = speed_row(args.n)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
