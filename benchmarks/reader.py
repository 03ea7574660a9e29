"""Reading uploads: read_table's time on hostile and ordinary CSV files of growing size.

    python -m benchmarks.reader            # 0.25 to 8 MB, best of 3 (about 15 s)
    python -m benchmarks.reader --quick    # 0.25 to 2 MB, one run each (a few seconds)
    python -m benchmarks.reader --out results.json

Two kinds of file, each at every size:

* ``hostile`` -- a text column of cells as long as a file can hold (131,072
  characters: csv's field size limit) that are digit runs, alternately followed
  by a letter and not (a 131,072-digit number), plus a cell "é" so that pandas
  matches the column with Python's ``re`` rather than pyarrow's RE2; two numeric
  columns keep the file readable.  A number pattern that backtracks (issue 23)
  costs time quadratic in the cell length here: minutes per cell.
* ``ordinary`` -- rows of a city name (some non-ASCII, so the same engine) and
  three numbers with a few decimals.

``seconds`` is the best of ``repeats`` calls of ``read_table`` on the bytes
(already in memory); ``MB/s`` = size / seconds.  Linear time shows as a steady
MB/s across sizes.  The run fails (exit status 1) if a 1 MB hostile file takes
2 s or more.
"""

import argparse
import json
import platform
import sys
import time

import numpy as np
import pandas as pd

from benchmarks.em import _cores
from gmm_core import DataError, read_table

FULL_SIZES_MB = (0.25, 0.5, 1, 2, 4, 8)
QUICK_SIZES_MB = (0.25, 0.5, 1, 2)
LONGEST_CELL = 131_072
LIMIT_1MB_SECONDS = 2.0


def hostile_file(size_mb):
    """Rows whose first cell is a maximal digit run, until the file has ``size_mb`` MB."""
    target = int(size_mb * 2**20)
    lines, size, i = ["name,x,y", "é,0,1"], 0, 0
    while size < target:
        cell = "9" * (LONGEST_CELL - 1) + "x" if i % 2 == 0 else "9" * LONGEST_CELL
        lines.append(f"{cell},{i + 1},{(7 * i) % 11}")
        size += len(lines[-1]) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


def ordinary_file(size_mb):
    """City name and three numbers a row, about ``size_mb`` MB of them."""
    sample = _ordinary_rows(1000)
    return _ordinary_rows(int(1000 * size_mb * 2**20 / len(sample)))


def _ordinary_rows(n):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "city": rng.choice(["Zürich", "Genève", "Bern", "Basel", "Lugano"], n),
        "x": rng.normal(10, 3, n).round(4),
        "y": rng.normal(-5, 100, n).round(3),
        "z": rng.normal(1e4, 1e3, n).round(2),
    })
    return frame.to_csv(index=False).encode()


def time_read(data, repeats):
    """Best of ``repeats`` reads: (seconds, outcome)."""
    best, outcome = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            result = read_table(data, "bench.csv")
            outcome = f"read {result.features.shape[0]} x {result.features.shape[1]}"
        except DataError as exc:
            outcome = f"DataError: {str(exc)[:60]}"
        best = min(best, time.perf_counter() - start)
    return best, outcome


def print_table(rows):
    head = f"{'file':>9} {'MB':>6} {'seconds':>8} {'MB/s':>7}  outcome"
    print(head)
    print("-" * (len(head) + 20))
    for r in rows:
        print(f"{r['file']:>9} {r['mb']:>6.2f} {r['seconds']:>8.3f} {r['mb_per_s']:>7.1f}  "
              f"{r['outcome']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 2 MB, one run each")
    parser.add_argument("--out", default=None, help="also write the results to this JSON file")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES_MB if args.quick else FULL_SIZES_MB
    repeats = args.repeats or (1 if args.quick else 3)
    started = time.perf_counter()
    read_table(b"a,b\n1,2\n3,4\n5,7\n")  # warm-up: imports
    rows = []
    for kind, make in (("hostile", hostile_file), ("ordinary", ordinary_file)):
        for size in sizes:
            data = make(size)
            seconds, outcome = time_read(data, repeats)
            mb = len(data) / 2**20
            rows.append(dict(file=kind, mb=mb, seconds=seconds, mb_per_s=mb / seconds,
                             outcome=outcome))
    print_table(rows)
    one_mb = [r for r in rows if r["file"] == "hostile" and round(r["mb"]) == 1]
    worst = max(r["seconds"] for r in one_mb)
    ok = worst < LIMIT_1MB_SECONDS
    print(f"\n1 MB hostile file: {worst:.3f} s (limit {LIMIT_1MB_SECONDS:g} s): "
          f"{'ok' if ok else 'TOO SLOW'}")
    if args.out:
        result = dict(machine=dict(python=platform.python_version(), cores=_cores(),
                                   pandas=pd.__version__, platform=platform.platform()),
                      quick=args.quick, repeats=repeats,
                      seconds=time.perf_counter() - started, rows=rows)
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
        print(f"wrote {args.out} in {result['seconds']:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
