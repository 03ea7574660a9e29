"""``python -m gmm_core``: fit and assign segments on the full data, on Dask.

An analyst explores a sample in the app, exports the model (JSON), then runs
the same model -- or the same fit -- over the full table from a shell or a
batch job::

    python -m gmm_core fit 'data/*.parquet' --columns income,spend --k 5 --out model.json
    python -m gmm_core fit 'data/*.parquet' --column 'spend, EUR' --column=-delta --k 5
    python -m gmm_core assign model.json 'data/*.parquet' --out segments/

``fit`` reads the columns (Parquet or CSV, local paths, globs or URLs that fsspec knows),
computes the scaling statistics over all rows, fits the Gaussian mixture by EM on the scaled
data (:mod:`gmm_core.mixture._dask`: one pass over the rows per iteration, initialised on a
sample) and writes the model file the app exports (:mod:`gmm_core.outputs.model_file`).
``assign`` loads a model and writes, partition by partition, Parquet files with the input
columns plus ``label`` (component index), ``segment`` (its name) and one
``probability_<segment name>`` column per segment; rows with a missing feature get no label
and NaN probabilities.

Both start a local Dask cluster (one single-threaded worker per core, listening on 127.0.0.1
only) unless ``--scheduler ADDRESS`` names a running one (:mod:`gmm_core._cli_cluster`).
Progress, and the warnings of the fit and of Dask, go to standard error (``--quiet``: errors
only); bad input -- a path that matches nothing, a column that is missing or not numeric, a
model file that is not one -- ends with a one-line message and exit status 2.  A worker that
dies mid-run costs only time: Dask runs its lost tasks again on the others and the local
cluster starts a new one, and the fit ends with the same model; when Dask gives up (the same
task's workers died four times, or no worker of the local cluster ran for a minute) the run
ends with a one-line message and exit status 3.  Needs ``pip install -r requirements-scale.txt``.

Neither command destroys what it did not write: :mod:`gmm_core._cli_files` holds the rules
(``--out`` never meets an input; ``--overwrite`` removes only what a manifest lists; the model
file appears whole or not at all).
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from gmm_core._cli_cluster import _client, _log, _progress, _quiet
from gmm_core._cli_files import (
    MANIFEST,
    CliError,
    _check_loadable_names,
    _check_out_apart,
    _first_line,
    _local_path,
    _plan_out_folder,
    _write_manifest,
    _write_new_file,
)
from gmm_core.errors import DataError
from gmm_core.mixture import INIT_METHODS
from gmm_core.mixture._dask import lost_work
from gmm_core.mixture._typing import CovarianceType, Scaling
from gmm_core.outputs.model_file import MAX_COMPONENTS, MAX_FEATURES, ModelFileError, SegmentModel

__all__ = ["main", "fit_command", "assign_command", "read_table"]

EXIT_BAD_INPUT = 2
EXIT_WORK_LOST = 3  # Dask gave up recomputing what dead workers held
PARQUET = (".parquet", ".pq", ".parq")
CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".tsv", ".txt")


# ---------------------------------------------------------------- commands for people
def fit_command(features: Iterable[str], n_components: int, *,
                covariance_type: CovarianceType = "full", scaling: Scaling = "standard",
                data: str = "data/*.parquet", out: str = "model.json",
                random_state: int | None = None, n_init: int = 1) -> str:
    """The ``fit`` command line that repeats a fit over the full data.

    Any column name survives the shell and the parser: when one would not
    survive ``--columns a,b`` (a comma, spaces at its ends, a leading dash),
    every column is given as its own ``--column=NAME``.

    >>> print(fit_command(["income", "spend rate"], 5, random_state=0))
    python -m gmm_core fit 'data/*.parquet' --columns 'income,spend rate' --k 5 \
--covariance-type full --scaling standard --random-state 0 --out model.json
    >>> print(fit_command(["spend, EUR", "-delta"], 2))
    python -m gmm_core fit 'data/*.parquet' '--column=spend, EUR' --column=-delta --k 2 \
--covariance-type full --scaling standard --out model.json
    """
    features = [str(f) for f in features]  # does each survive "--columns a,b" as it is?
    if all(f and "," not in f and f == f.strip() and not f.startswith("-") for f in features):
        columns = ["--columns", shlex.quote(",".join(features))]
    else:
        columns = [shlex.quote(f"--column={f}") for f in features]
    parts = ["python -m gmm_core fit", shlex.quote(data), *columns,
             "--k", str(int(n_components)),
             "--covariance-type", covariance_type, "--scaling", scaling]
    if n_init != 1:
        parts += ["--n-init", str(int(n_init))]
    if random_state is not None:
        parts += ["--random-state", str(int(random_state))]
    return " ".join(parts + ["--out", shlex.quote(out)])


def assign_command(model_path: str = "model.json", data: str = "data/*.parquet",
                   out: str = "segments/") -> str:
    """The ``assign`` command line that gives every row of the full data its segment.

    >>> print(assign_command("segments model.json"))
    python -m gmm_core assign 'segments model.json' 'data/*.parquet' --out segments/
    """
    return (f"python -m gmm_core assign {shlex.quote(model_path)} {shlex.quote(data)} "
            f"--out {shlex.quote(out)}")


# ---------------------------------------------------------------- input
def _expand(paths):
    """Local globs expanded (a pattern that matches nothing is an error); URLs kept."""
    files = []
    for p in paths:
        if "://" in p:
            files.append(p)
            continue
        matches = sorted(glob.glob(os.path.expanduser(p)))
        if not matches:
            raise CliError(f"No file matches {p!r}. Check the path (quote globs such as "
                           "'data/*.parquet' so the shell does not expand them).")
        files.extend(matches)
    return files


def _kind(path):
    name = path.lower().rstrip("/")
    if name.endswith(PARQUET) or os.path.isdir(path):
        return "parquet"
    if name.endswith(CSV):
        return "csv"
    raise CliError(f"Cannot tell the format of {path!r}: name Parquet files *.parquet (or "
                   "a folder of them) and CSV files *.csv.")


def read_table(paths: Sequence[str], columns: Sequence[str] | None = None, *,
               blocksize: str | int = "64MB") -> tuple[Any, list[str]]:  # (dask DataFrame, columns)
    """Parquet or CSV files as a dask DataFrame; ``columns`` checked present and numeric.

    Returns ``(dataframe, columns)``; without ``columns``, every numeric column.
    """
    import dask.dataframe as dd

    files = _expand(paths)
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise CliError("Mix of Parquet and CSV inputs: give one kind of file at a time.")
    kind = kinds.pop()
    where = _where(paths)
    try:
        if kind == "parquet":
            df = dd.read_parquet(files)
        else:
            sep = "\t" if all(f.lower().endswith(".tsv") for f in files) else ","
            df = dd.read_csv(files, blocksize=blocksize, sep=sep, assume_missing=True)
    except (OSError, ValueError) as exc:
        raise CliError(f"Cannot read {where} as {kind}: {_first_line(exc)}") from None
    if columns is None:
        columns = [c for c, t in df.dtypes.items() if _numeric(t)]
        if not columns:
            raise CliError(f"{where} has no numeric column to fit on.")
        return df, columns
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CliError(f"Column {missing[0]!r} is not in {where}; its columns are: "
                       f"{', '.join(map(str, df.columns))}.")
    for c in columns:
        if not _numeric(df.dtypes[c]):
            raise CliError(f"Column {c!r} in {where} is not numeric (type {df.dtypes[c]}); "
                           "choose numeric columns with --columns.")
    return df, columns


def _where(paths):
    """The inputs as a person typed them, shortened when there are many."""
    shown = ", ".join(paths[:3])
    return shown if len(paths) <= 3 else f"{shown} and {len(paths) - 3} more"


def _numeric(dtype):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    return is_numeric_dtype(dtype) and not is_bool_dtype(dtype)


def _split(text):
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _chosen_columns(args):
    """The columns of ``--columns a,b`` then each ``--column NAME`` (taken as is), or None."""
    chosen = (_split(args.columns) or []) + list(args.column or [])
    return chosen or None


# ---------------------------------------------------------------- fit
def _cmd_fit(args):
    from gmm_core.data.scaling import Scaler
    from gmm_core.mixture import GaussianMixture, _dask

    _check_out_apart(args.out, _expand(args.data))
    if os.path.isdir(args.out):
        raise CliError(f"--out {args.out!r} is a folder: give the model file's name, e.g. "
                       f"{os.path.join(args.out, 'model.json')!r}.")
    if os.path.lexists(args.out) and not args.overwrite:
        raise CliError(f"The model file {args.out!r} exists: choose another --out, or add "
                       "--overwrite to replace it.")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CliError(f"Cannot write {args.out!r}: the folder {out_dir!r} does not exist.")
    names = _split(args.names)
    if names is not None and len(names) != args.k:
        raise CliError(f"--names gives {len(names)} name(s) for --k {args.k} segments.")
    if names is not None:
        _check_loadable_names(names, "--names", MAX_COMPONENTS)
    else:  # the placeholders the fit starts from: as many as --k
        _check_loadable_names(_placeholder_names(args.k), "segment_names", MAX_COMPONENTS,
                              context=f"--k {args.k}: ")
    gm = GaussianMixture(args.k, covariance_type=args.covariance_type, tol=args.tol,
                         max_iter=args.max_iter, n_init=args.n_init,
                         init_params=args.init_params, random_state=args.random_state)
    gm._check_parameters()
    chosen = _chosen_columns(args)
    df, columns = read_table(args.data, chosen)
    _check_loadable_names(columns, "--columns" if chosen else "features", MAX_FEATURES)
    df = df[columns]
    with _client(args):
        import dask
        import dask.array as da

        started = time.monotonic()
        _log(args, f"reading {_where(args.data)}: {df.npartitions} partition(s), counting rows")
        if args.dropna:
            df = df.replace([np.inf, -np.inf], np.nan).dropna()
        X, _ = _dask.as_dask_matrix(df)
        n_rows = X.shape[0]
        _log(args, f"{n_rows:,} rows x {len(columns)} columns ({', '.join(columns)}) in "
                   f"{X.numblocks[0]} partition(s); scaling: {args.scaling}")
        bad, mean, std, lo, hi = dask.compute((~da.isfinite(X)).sum(axis=0), X.mean(axis=0),
                                              X.std(axis=0), X.min(axis=0), X.max(axis=0))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise CliError(f"Column {columns[j]!r} has {int(bad[j]):,} missing or infinite "
                           "value(s). Fill them, or drop those rows with --dropna.")
        if n_rows < max(2, args.k):
            raise CliError(f"{n_rows} row(s) are too few to fit {args.k} segments.")
        scaler = Scaler.from_statistics(args.scaling, mean=mean, std=std, minimum=lo, maximum=hi,
                                        n_features=len(columns))
        Xs = (X - scaler.offset_) / scaler.scale_
        _log(args, f"EM: k={args.k}, covariance {args.covariance_type}, {args.n_init} "
                   f"start(s), initialised ({args.init_params}) on a sample of "
                   f"{min(n_rows, args.init_sample):,} rows")

        def on_iteration(it):
            start = f"start {it.run + 1}/{args.n_init} " if args.n_init > 1 else ""
            _log(args, f"  {start}iteration {it.n_iter:>3}: log-likelihood {it.lower_bound:.6f}"
                       f"  ({time.monotonic() - started:.1f} s)")

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _dask.fit(gm, Xs, init_sample_size=args.init_sample, on_iteration=on_iteration)
        for w in caught:
            _log(args, f"warning: {w.message}")
        model = SegmentModel(gm, scaler, tuple(columns), tuple(names or _placeholder_names(args.k)))
        if names is None:
            model = model.with_names(_profile_names(model, X, args))
    names = model.segment_names
    text = model.to_json(fit_info={"n_rows": int(n_rows), "source": ", ".join(args.data)})
    try:  # what 'assign' will load: never write a file it refuses
        SegmentModel.from_json(text)
    except ModelFileError as exc:
        raise CliError(f"The fitted model would not load back ({exc}); "
                       f"{args.out!r} was not written.") from None
    try:  # a file that appeared during the fit is not replaced either
        _write_new_file(args.out, text, replace=args.overwrite)
    except FileExistsError:
        raise CliError(f"The model file {args.out!r} appeared during the fit: choose another "
                       "--out, or add --overwrite to replace it.") from None
    _log(args, f"{'converged' if gm.converged_ else 'NOT converged'} after {gm.n_iter_} "
               f"iteration(s), log-likelihood {gm.lower_bound_:.6f}, "
               f"{time.monotonic() - started:.1f} s")
    means = model.means_original
    width = max(len(n) for n in names)
    for j, name in enumerate(names):
        centre = ", ".join(f"{c}={v:.4g}" for c, v in zip(columns, means[j], strict=True))
        print(f"{name:<{width}}  weight {gm.weights_[j]:.3f}  mean {centre}")
    print(f"wrote {args.out}")
    return 0


def _placeholder_names(k):
    return tuple(f"Segment {j + 1}" for j in range(k))


def _profile_names(model, X, args):
    """The app's automatic names ("High income, low spend", ...) from a random sample.

    Each segment's typical member is placed among the population's quantiles per
    column (:func:`gmm_core.analysis.segments.describe_segments`); the quantiles come
    from at most ``--init-sample`` rows drawn uniformly, which places them to
    within about a percentile.
    """
    from gmm_core.analysis.segments import describe_segments
    from gmm_core.mixture import _dask

    rng = np.random.RandomState(args.random_state)
    rows, _ = _dask.DaskRows(X, init_sample_size=args.init_sample).init_rows(
        rng, model.n_components)
    summary = describe_segments(rows, model.predict_proba(rows), model.means_original,
                                model.features, weights=model.gmm.weights_)
    _log(args, f"segment names from their profiles against {len(rows):,} sampled rows "
               "(choose your own with --names)")
    return summary.names


# ---------------------------------------------------------------- assign
def _assign_partition(part, model, keep):
    """One partition: ``keep`` columns, then label, segment and probability_* columns."""
    import pandas as pd

    out = part[keep].copy() if keep is not None else part.copy()
    n, k = len(part), model.n_components
    proba = np.full((n, k), np.nan)
    values = part[list(model.features)].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(values).all(axis=1)
    if ok.any():
        proba[ok] = model.gmm.predict_proba(model.scaler.transform(values[ok]))
    labels = pd.array(np.argmax(np.nan_to_num(proba, nan=0.0), axis=1), dtype="Int64")
    labels[~ok] = pd.NA
    out["label"] = labels
    segment = pd.array(np.asarray(model.segment_names, dtype=object)[labels.fillna(0)],
                       dtype="string")
    segment[~ok] = pd.NA
    out["segment"] = segment
    for j, name in enumerate(model.segment_names):
        out[f"probability_{name}"] = proba[:, j]
    return out


def _part_name(i):
    return f"part.{i}.parquet"


def _cmd_assign(args):
    from gmm_core.outputs.model_file import load_model

    _check_out_apart(args.out, _expand(args.data) + [args.model])
    local = _local_path(args.out)
    out = local if local is not None else args.out
    model = load_model(args.model)
    ours = _plan_out_folder(args, out)
    df, _ = read_table(args.data, None)
    where = _where(args.data)
    missing = [f for f in model.features if f not in df.columns]
    if missing:
        raise CliError(f"Column {missing[0]!r}, which the model uses, is not in {where}; "
                       f"its columns are: {', '.join(map(str, df.columns))}.")
    for f in model.features:
        if not _numeric(df.dtypes[f]):
            raise CliError(f"Column {f!r} in {where} is not numeric (type {df.dtypes[f]}).")
    keep = _split(args.keep)
    if keep is not None:
        absent = [c for c in keep if c not in df.columns]
        if absent:
            raise CliError(f"--keep column {absent[0]!r} is not in {where}.")
        keep = list(dict.fromkeys(keep + list(model.features)))
    meta = _assign_partition(df._meta, model, keep)
    result = df.map_partitions(_assign_partition, model, keep, meta=meta)
    with _client(args) as client:
        started = time.monotonic()
        _log(args, f"assigning {model.n_components} segments of {args.model} to {where} "
                   f"({df.npartitions} partition(s)) -> {args.out}")
        if local is not None:
            for name in ours:  # a previous assign's files, as its manifest lists them
                os.remove(os.path.join(out, name))
            if ours:
                _log(args, f"removed {len(ours)} file(s) of the previous output")
            os.makedirs(out, exist_ok=True)
            planned = [_part_name(i) for i in range(result.npartitions)]
            _write_manifest(out, planned, args.model, complete=False)
        # never overwrite=True: Dask would delete the whole folder, whatever it holds
        write = result.to_parquet(out, write_index=False, name_function=_part_name, compute=False)
        _progress(args, client.compute(write))
        if local is not None:  # the folder held only the manifest: all else is ours
            _write_manifest(out, set(planned) | (set(os.listdir(out)) - {MANIFEST}),
                            args.model, complete=True)
        import dask.dataframe as dd
        counts = dd.read_parquet(out, columns=["segment"])["segment"].value_counts(
            dropna=False).compute()
    total = int(counts.sum())
    _log(args, f"{total:,} rows in {time.monotonic() - started:.1f} s")
    for name in model.segment_names:
        c = int(counts.get(name, 0))
        print(f"{name}: {c:,} rows ({c / max(total, 1):.1%})")
    unassigned = total - sum(int(counts.get(n, 0)) for n in model.segment_names)
    if unassigned:
        print(f"no segment (missing values): {unassigned:,} rows")
    print(f"wrote {args.out}")
    return 0


# ---------------------------------------------------------------- entry point
def _parser():
    p = argparse.ArgumentParser(
        prog="python -m gmm_core",
        description="Fit Gaussian mixture segments on data larger than memory, or assign "
                    "the segments of a saved model, on a Dask cluster.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{fit,assign}")

    def common(sp):
        sp.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786); "
                             "default: start a local cluster")
        sp.add_argument("--workers", type=_positive_int, default=None,
                        help="workers of the local cluster (default: one per core)")
        sp.add_argument("--quiet", action="store_true",
                        help="print only errors: no progress, no warnings (of the fit or of "
                             "Dask) on standard error")

    f = sub.add_parser("fit", help="fit a model on Parquet/CSV files and write its JSON",
                       description="Fit a Gaussian mixture on the full data; write the model "
                                   "JSON that the app exports and 'assign' reads.")
    f.add_argument("data", nargs="+", help="Parquet or CSV files, globs or folders")
    f.add_argument("--columns", help="comma-separated feature columns "
                                     "(default: every numeric column)")
    f.add_argument("--column", action="append", metavar="NAME",
                   help="one feature column, named as is (commas, spaces; --column=NAME for "
                        "a name starting with '-'); repeatable, after those of --columns")
    f.add_argument("--k", type=_positive_int, required=True, help="number of segments")
    f.add_argument("--covariance-type", default="full",
                   choices=("full", "tied", "diag", "spherical"))
    f.add_argument("--scaling", default="standard", choices=("standard", "minmax", "none"),
                   help="per-column scaling before the fit (default: standard)")
    f.add_argument("--n-init", type=_positive_int, default=1, help="EM restarts; best kept")
    f.add_argument("--init-params", default="kmeans", choices=INIT_METHODS)
    f.add_argument("--init-sample", type=_positive_int, default=100_000,
                   help="rows sampled to initialise EM (default 100000)")
    f.add_argument("--random-state", type=int, default=None)
    f.add_argument("--max-iter", type=_positive_int, default=100)
    f.add_argument("--tol", type=float, default=1e-3)
    f.add_argument("--names", help="comma-separated segment names (default: named from each "
                   "segment's profile, e.g. 'High income, low spend')")
    f.add_argument("--dropna", action="store_true",
                   help="drop rows with a missing or infinite feature value")
    f.add_argument("--out", default="model.json", help="model file to write (model.json)")
    f.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    common(f)
    f.set_defaults(run=_cmd_fit)

    a = sub.add_parser("assign", help="write each row's segment and probabilities as Parquet",
                       description="Assign every row the segment of a saved model; write "
                                   "Parquet with label, segment and probability_* columns.")
    a.add_argument("model", help="model JSON (exported by the app or written by 'fit')")
    a.add_argument("data", nargs="+", help="Parquet or CSV files, globs or folders")
    a.add_argument("--out", required=True, help="output folder for the Parquet files")
    a.add_argument("--keep", help="comma-separated input columns to carry over, e.g. an id "
                                  "(default: all)")
    a.add_argument("--overwrite", action="store_true",
                   help="replace the files a previous 'assign' wrote in --out (listed in its "
                        f"{MANIFEST}); a folder holding anything else is refused")
    common(a)
    a.set_defaults(run=_cmd_assign)
    return p


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, 3 for lost work)."""
    args = _parser().parse_args(argv)
    try:
        with _quiet(args.quiet):
            return args.run(args)
    except (CliError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except ImportError as exc:
        print(f"error: the command line needs Dask, and {exc.name or exc} is not installed: "
              "pip install -r requirements-scale.txt", file=sys.stderr)
    except ValueError as exc:  # from the data, met while computing
        print(f"error: {_first_line(exc)}", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc.strerror or _first_line(exc)}"
              f"{f': {exc.filename!r}' if getattr(exc, 'filename', None) else ''}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # workers died more often than Dask recomputes their work
        message = lost_work(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_WORK_LOST
    return EXIT_BAD_INPUT
