"""The first fit of a fresh process: does compiling the EM kernels ever reach a user?

    python -m benchmarks.cold_start              # 200,000 customers, K = 5, full
    python -m benchmarks.cold_start --rows 50000

Each scenario is a fresh Python process that imports gmm_core and fits
``GaussianMixture(5, random_state=0)`` on the customers demo's two features (the
size of a Compare fit), then fits again:

* ``numpy`` -- ``GMM_EXPLORER_KERNEL=numpy``: the engine before issue 21;
* ``empty cache`` -- numba with an empty ``NUMBA_CACHE_DIR`` (a fresh install):
  the first pass compiles the kernels;
* ``warm cache`` -- the same directory afterwards: the kernels are loaded;
* ``... + warm_up()`` -- the app's start: :func:`gmm_core.mixture.warm_up` runs
  in the background and the fit starts at once (passes take numpy's path until
  it is done); ``warm-up s`` is how long the background thread took.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, sys, time
start = time.perf_counter()
import numpy as np
import gmm_core
from gmm_core.mixture import warm_up
imported = time.perf_counter() - start
rows, warm = int(sys.argv[1]), sys.argv[2] == "1"
X = gmm_core.make_customers(rows, random_state=1).frame[
    ["Annual income (k$)", "Spending score (1-100)"]].to_numpy(dtype=float)
thread = warm_up() if warm else None
t0 = time.perf_counter()
gmm_core.GaussianMixture(5, random_state=0).fit(X)
first = time.perf_counter() - t0
if thread is not None:
    thread.join()
warmed = time.perf_counter() - t0 if thread is not None else None
t0 = time.perf_counter()
gmm_core.GaussianMixture(5, random_state=0).fit(X)
second = time.perf_counter() - t0
print(json.dumps(dict(import_s=imported, first_fit_s=first, second_fit_s=second,
                      warm_up_s=warmed)))
"""


def run(rows, env_extra, warm):
    env = {k: v for k, v in os.environ.items() if k != "GMM_EXPLORER_KERNEL"}
    env.update(env_extra)
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", CHILD, str(rows), "1" if warm else "0"],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as empty2:
        results["numpy"] = run(args.rows, {"GMM_EXPLORER_KERNEL": "numpy"}, False)
        results["empty cache"] = run(args.rows, {"NUMBA_CACHE_DIR": empty}, False)
        results["warm cache"] = run(args.rows, {"NUMBA_CACHE_DIR": empty}, False)
        results["empty cache + warm_up()"] = run(args.rows, {"NUMBA_CACHE_DIR": empty2}, True)
        results["warm cache + warm_up()"] = run(args.rows, {"NUMBA_CACHE_DIR": empty2}, True)
    print(f"first fit of a fresh process, {args.rows:,} rows, K = 5, full (seconds):")
    print(f"{'scenario':<26} {'import':>7} {'1st fit':>8} {'2nd fit':>8} {'warm-up':>8}")
    for name, r in results.items():
        warm = "" if r["warm_up_s"] is None else f"{r['warm_up_s']:.2f}"
        print(f"{name:<26} {r['import_s']:>7.2f} {r['first_fit_s']:>8.2f} "
              f"{r['second_fit_s']:>8.2f} {warm:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
