"""``python -m gmm_core fit`` when Dask workers die under it (issue 24: "a Dask worker killed in
the middle of a fit ends with the same model as an undisturbed run or a clear error").

The kill is :mod:`benchmarks.load.dask_worker`'s (``python -m benchmarks.load faults --only
dask_worker_killed`` is the full-size run): after the progress line of iteration 2, the first
worker the fit's scheduler shows running a task is killed with SIGKILL -- events, not a clock.
"""

import pytest

from benchmarks.load import dask_worker
from dask_support import require_dask
from gmm_core import cli

LOST = "error: A Dask worker died and its work could not be recomputed: "
BOUND = 60.0  # seconds any one run may take here before it counts as hung (and is killed)


@pytest.fixture(scope="module")
def blobs(tmp_path_factory):
    """80,000 rows of five 4-D blobs in 8 Parquet files (a glob)."""
    require_dask()
    return dask_worker.write_blobs(tmp_path_factory.mktemp("blobs"), n_rows=80_000, n_files=8)


@pytest.mark.slow
def test_a_worker_killed_during_a_fit_leaves_the_model_unchanged(blobs, tmp_path):
    """Dask reruns the dead worker's tasks elsewhere and the nanny starts a new worker; the
    chunks' statistics are summed by a tree the graph fixes, so the model is the same to the
    last bit (held to 1e-10: the bound the Dask EM keeps against the in-memory one)."""
    calm = dask_worker.fit(blobs, tmp_path / "calm.json", max_iter=10, timeout=BOUND)
    assert calm["exit_code"] == 0, calm["stderr"]
    hit = dask_worker.fit(blobs, tmp_path / "hit.json", max_iter=10, kill=1, timeout=BOUND)
    assert hit["killed"], "no worker was seen running a task after iteration 2"
    assert hit["exit_code"] == 0, hit["stderr"]
    assert "Restarting worker" in hit["stderr"]  # the nanny noticed the death
    assert "iteration  10:" in hit["stderr"] and "wrote " in hit["stdout"]
    assert dask_worker.model_difference(tmp_path / "calm.json", tmp_path / "hit.json") <= 1e-10
    assert dask_worker.same_labels(tmp_path / "calm.json", tmp_path / "hit.json", blobs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calm.json", "hit.json"]


@pytest.mark.slow
def test_when_dask_gives_up_the_fit_ends_in_one_line_and_writes_nothing(blobs, tmp_path):
    """With no death allowed per task (allowed-failures 0), a busy worker killed is the end:
    one line, exit status 3, no model file -- never a traceback (it used to be KilledWorker's)."""
    out = tmp_path / "model.json"
    hit = dask_worker.fit(blobs, out, max_iter=40, kill=3, env=dask_worker.NO_SECOND_CHANCE,
                          timeout=BOUND)
    assert hit["killed"]
    assert hit["exit_code"] == cli.EXIT_WORK_LOST, hit["stderr"]
    last = hit["stderr"].strip().splitlines()[-1]
    assert last.startswith(LOST) and "allowed-failures = 0" in last and "run again" in last
    assert "KilledWorker" not in hit["stderr"]
    assert "wrote" not in hit["stdout"]
    assert list(tmp_path.iterdir()) == []  # no model, no half-written temporary


def test_a_cluster_without_workers_fails_in_one_line_instead_of_waiting(blobs, tmp_path,
                                                                        capsys):
    """A fit on a cluster whose workers are all gone used to wait for ever; under a
    no-workers timeout (local_cluster sets 60 s) it ends with the one-line error."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.no-workers-timeout": "1s"}), \
            LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        code = cli.main(["fit", blobs, "--k", "2", "--scheduler", cluster.scheduler_address,
                         "--out", str(tmp_path / "m.json")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_WORK_LOST, err
    assert err.strip().splitlines()[-1] == (
        f"{LOST}no worker was running for 1.00 s; run again (and if it happens again, see the "
        "workers' logs: out of memory?)")
    assert list(tmp_path.iterdir()) == []


def test_the_local_cluster_gives_up_after_a_minute_without_workers():
    require_dask()
    from gmm_core.mixture import local_cluster
    from gmm_core.mixture._dask import NO_WORKERS_TIMEOUT

    with local_cluster(1, dashboard_address=None) as cluster:
        assert cluster.scheduler.no_workers_timeout == 60 == float(NO_WORKERS_TIMEOUT[:-1])


def test_lost_work_names_what_killed_worker_says():
    require_dask()
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    from gmm_core.mixture._dask import lost_work

    exc = KilledWorker("('chunk', 3)", SimpleNamespace(address="tcp://127.0.0.1:4000"), 3)
    assert lost_work(exc) == (
        "A Dask worker died and its work could not be recomputed: 4 workers died while "
        "running one of its tasks (the last at tcp://127.0.0.1:4000), more than the scheduler "
        "allows (distributed.scheduler.allowed-failures = 3); run again (and if it happens "
        "again, see the workers' logs: out of memory?)")
    assert lost_work(RuntimeError("boom")) is None
