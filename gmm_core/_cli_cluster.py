"""The command line's Dask cluster and what it prints: a local cluster or ``--scheduler``'s.

* :func:`_client` starts a local cluster for the run (:func:`gmm_core.mixture.local_cluster`:
  loopback only, one single-threaded worker per core, a new worker when one dies) or
  connects to ``--scheduler``'s, uploading ``gmm_core`` to workers that lack it; the local
  cluster's workers note a dead peer in one line
  (:func:`gmm_core.mixture._dask.one_line_peer_losses`; a cluster of yours keeps its logging);
* :func:`_quiet` is ``--quiet``: no warnings and Dask's loggers at ERROR, here and in the
  workers it starts; :func:`_log` prints progress to standard error unless quiet.
"""

import os
import sys
import warnings
from contextlib import contextmanager, redirect_stdout

from gmm_core._cli_files import CliError, _first_line
from gmm_core.mixture._dask import one_line_peer_losses

__all__ = ["DASK_LOGGERS", "QUIET_ENV", "package_zip"]

#: The loggers Dask and distributed write their warnings to (on standard error).
DASK_LOGGERS = ("distributed", "dask", "bokeh", "tornado")
#: What a worker process started under ``--quiet`` inherits: no warnings, Dask logs at ERROR.
QUIET_ENV = {"PYTHONWARNINGS": "ignore", "DASK_LOGGING__DISTRIBUTED": "error"}


@contextmanager
def _quiet(quiet):
    """Under ``--quiet``, for this run: warnings ignored, Dask's loggers (which print e.g.
    "Detected different `run_spec`") at ERROR, put back after; new workers get :data:`QUIET_ENV`.
    """
    if not quiet:
        yield
        return
    import logging

    names = {n for n in logging.root.manager.loggerDict if n.split(".")[0] in DASK_LOGGERS}
    loggers = [logging.getLogger(n) for n in sorted(names | set(DASK_LOGGERS))]
    saved = [lg.level for lg in loggers], {v: os.environ.get(v) for v in QUIET_ENV}
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    os.environ.update(QUIET_ENV)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, saved[0], strict=True):
            lg.setLevel(level)
        for var, value in saved[1].items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _log(args, message):
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


@contextmanager
def _client(args):
    """A Client of ``--scheduler``'s cluster, or of a local one started for this run."""
    from distributed import Client

    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise CliError(f"Cannot reach the Dask scheduler at {args.scheduler!r}: "
                           f"{_first_line(exc)}") from None
        with client:
            n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
            _log(args, f"Dask cluster {args.scheduler}: {n_workers} worker(s)")
            _share_package(client, args)
            yield client
        return
    from gmm_core.mixture import local_cluster

    n_workers = args.workers or len(os.sched_getaffinity(0))
    with local_cluster(n_workers) as cluster, Client(cluster) as client:
        _log(args, f"local Dask cluster: {n_workers} worker(s), scheduler "
                   f"{cluster.scheduler_address}, dashboard {cluster.dashboard_link}")
        one_line_peer_losses(client)
        yield client


def package_zip(path: str) -> str:
    """Write this gmm_core, every subpackage with it (``mixture/``, ``data/``, ...), as a zip.

    Its sources only (no ``__pycache__``); importable with the zip on ``sys.path``.
    Returns ``path``.
    """
    import zipfile

    package = os.path.dirname(os.path.abspath(__file__))
    with zipfile.ZipFile(path, "w") as zf:
        for folder, subfolders, names in os.walk(package):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            for name in sorted(n for n in names if n.endswith(".py")):
                full = os.path.join(folder, name)
                zf.write(full, os.path.join("gmm_core", os.path.relpath(full, package)))
    return path


def _share_package(client, args):
    """Upload this gmm_core (as a zip on their path) to workers that cannot import it."""
    import tempfile

    # a lambda travels by value: a function of this module could not be unpickled there
    found = client.run(lambda: __import__("importlib.util").util.find_spec("gmm_core"))
    lacking = [w for w, spec in found.items() if spec is None]
    if not lacking:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = package_zip(os.path.join(tmp, "gmm_core.zip"))
        client.upload_file(path)
    _log(args, f"uploaded gmm_core to {len(lacking)} worker(s) that lacked it")


def _progress(args, future):
    """Wait for ``future``, drawing distributed's text progress bar on standard error."""
    if args.quiet:
        future.result()
        return
    from distributed import progress
    with redirect_stdout(sys.stderr):
        progress(future)
    print(file=sys.stderr)
    future.result()
