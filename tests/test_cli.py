"""``python -m gmm_core fit|assign``: end to end on files written here, and clear errors."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dask_support import require_dask
from gmm_core import cli
from gmm_core.outputs.model_file import load_model

ROOT = pathlib.Path(__file__).resolve().parents[1]
CENTERS = np.array([[20.0, 80.0], [60.0, 20.0], [90.0, 70.0]])


def customers(n, seed):
    """Three segments in (income, spend), an id and a text column."""
    rng = np.random.RandomState(seed)
    label = rng.randint(0, 3, n)
    xy = CENTERS[label] + rng.normal(0.0, 5.0, (n, 2))
    return pd.DataFrame({"customer_id": np.arange(n) + 1000 * seed, "income": xy[:, 0],
                         "spend": xy[:, 1], "city": rng.choice(["Lyon", "Oslo"], n),
                         "truth": label})


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Four Parquet files and the same rows as four CSV files."""
    require_dask()
    d = tmp_path_factory.mktemp("data")
    for i in range(4):
        part = customers(3000, seed=i)
        part.to_parquet(d / f"part-{i}.parquet")
        part.to_csv(d / f"part-{i}.csv", index=False)
    return d


@pytest.fixture(scope="module")
def scheduler():
    """A local two-worker cluster for the in-process runs (``--scheduler ADDRESS``)."""
    require_dask()
    from gmm_core.mixture._dask import local_cluster

    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gmm_core", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def all_rows(data_dir):
    return pd.concat([pd.read_parquet(p) for p in sorted(data_dir.glob("*.parquet"))],
                     ignore_index=True)


@pytest.mark.slow
def test_fit_then_assign_end_to_end_on_parquet(data_dir, tmp_path):
    """The two README commands, as a batch job runs them (a local cluster of 2 workers)."""
    model_path = tmp_path / "model.json"
    fit = run_cli("fit", str(data_dir / "*.parquet"), "--columns", "income,spend", "--k", 3,
                  "--random-state", 0, "--workers", 2, "--out", model_path, cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr
    assert "iteration   1: log-likelihood" in fit.stderr  # progress
    assert "12,000 rows x 2 columns" in fit.stderr
    model = load_model(model_path)
    assert model.features == ("income", "spend") and model.n_components == 3
    assert model.scaling == "standard"
    doc = json.loads(model_path.read_text())
    assert doc["fit"]["n_rows"] == 12_000 and doc["fit"]["converged"] is True
    rows = all_rows(data_dir)
    np.testing.assert_allclose(model.scaler.offset_, rows[["income", "spend"]].mean(),
                               rtol=1e-12)
    np.testing.assert_allclose(model.scaler.scale_, rows[["income", "spend"]].std(ddof=0),
                               rtol=1e-12)
    order = np.argsort(model.means_original[:, 0])
    np.testing.assert_allclose(model.means_original[order], CENTERS, atol=0.5)
    # named from their profiles, as the app names them: (20, 80), (60, 20), (90, 70)
    assert [model.segment_names[j] for j in order] == ["Low income, high spend",
                                                        "Low spend", "High income"]
    assert "segment names from their profiles against 12,000 sampled rows" in fit.stderr

    out = tmp_path / "segments"
    assign = run_cli("assign", model_path, str(data_dir / "*.parquet"), "--out", out,
                     "--workers", 2, cwd=tmp_path)
    assert assign.returncode == 0, assign.stderr
    assert "100% Completed" in assign.stderr
    result = pd.read_parquet(out)
    assert len(result) == 12_000 and sorted(out.glob("*.parquet"))
    names = [f"probability_{name}" for name in model.segment_names]
    assert list(result.columns) == (list(rows.columns) + ["label", "segment"] + names)
    result = result.sort_values("customer_id").reset_index(drop=True)
    rows = rows.sort_values("customer_id").reset_index(drop=True)
    np.testing.assert_array_equal(result["label"].to_numpy(), model.predict(rows))
    np.testing.assert_allclose(result[names].to_numpy(), model.predict_proba(rows),
                               rtol=1e-12, atol=1e-300)
    segment_of_label = pd.Series(model.segment_names)[result["label"]].to_numpy()
    assert (result["segment"].to_numpy() == segment_of_label).all()
    for name in model.segment_names:
        assert f"{name}: " in assign.stdout


def test_fit_on_csv_with_an_existing_scheduler(data_dir, tmp_path, scheduler, capsys):
    model_path = tmp_path / "m.json"
    code = cli.main(["fit", str(data_dir / "*.csv"), "--columns", "spend,income", "--k", "3",
                     "--covariance-type", "diag", "--scaling", "minmax", "--names",
                     "A,B,C", "--random-state", "1", "--scheduler", scheduler,
                     "--out", str(model_path)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"Dask cluster {scheduler}: 2 worker(s)" in err
    model = load_model(model_path)
    assert model.features == ("spend", "income") and model.segment_names == ("A", "B", "C")
    rows = all_rows(data_dir)
    np.testing.assert_allclose(model.scaler.offset_, rows[["spend", "income"]].min())
    means = model.means_original[np.argsort(model.means_original[:, 1])][:, ::-1]
    np.testing.assert_allclose(means, CENTERS, atol=0.5)


def test_missing_values_stop_the_fit_unless_dropped_and_get_no_segment(data_dir, tmp_path,
                                                                       scheduler, capsys):
    holes = customers(2000, seed=9)
    holes.loc[[5, 17], "spend"] = np.nan
    holes.to_parquet(tmp_path / "holes.parquet")
    args = ["fit", str(tmp_path / "holes.parquet"), "--columns", "income,spend", "--k", "3",
            "--random-state", "0", "--scheduler", scheduler, "--out",
            str(tmp_path / "m.json")]
    assert cli.main(args) == 2
    assert "Column 'spend' has 2 missing or infinite value(s)" in capsys.readouterr().err
    assert cli.main(args + ["--dropna"]) == 0, capsys.readouterr().err
    assert "1,998 rows" in capsys.readouterr().err
    out = tmp_path / "seg"
    assert cli.main(["assign", str(tmp_path / "m.json"), str(tmp_path / "holes.parquet"),
                     "--keep", "customer_id", "--out", str(out), "--scheduler",
                     scheduler]) == 0
    assert "no segment (missing values): 2 rows" in capsys.readouterr().out
    result = pd.read_parquet(out)
    assert list(result.columns[:3]) == ["customer_id", "income", "spend"]
    missing = result["label"].isna()
    assert missing.sum() == 2 and result.loc[missing, "segment"].isna().all()
    assert result.loc[missing].filter(like="probability_").isna().all().all()
    np.testing.assert_allclose(result.loc[~missing].filter(like="probability_").sum(axis=1),
                               1.0)


# ---------------------------------------------------------------- clear errors
def bad(args, capsys):
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert lines[-1].startswith("error: ")
    return lines[-1]


def test_a_path_that_matches_nothing(tmp_path, capsys):
    require_dask()
    msg = bad(["fit", tmp_path / "nope" / "*.parquet", "--k", 2], capsys)
    assert "No file matches" in msg and "nope" in msg


def test_a_file_of_unknown_format(tmp_path, capsys):
    require_dask()
    (tmp_path / "data.xlsx").write_bytes(b"x")
    assert "Cannot tell the format" in bad(["fit", tmp_path / "data.xlsx", "--k", 2], capsys)


def test_a_missing_column_lists_the_columns(data_dir, capsys):
    msg = bad(["fit", data_dir / "*.parquet", "--columns", "income,age", "--k", 2], capsys)
    assert "Column 'age' is not in" in msg and "customer_id, income, spend, city" in msg


def test_a_text_column(data_dir, capsys):
    msg = bad(["fit", data_dir / "*.csv", "--columns", "income,city", "--k", 2], capsys)
    assert "Column 'city'" in msg and "not numeric" in msg


def test_a_missing_model_file(data_dir, tmp_path, capsys):
    msg = bad(["assign", tmp_path / "none.json", data_dir / "*.parquet", "--out",
               tmp_path / "o"], capsys)
    assert "Cannot read the model file" in msg


def test_a_file_that_is_not_a_model(data_dir, tmp_path, capsys):
    (tmp_path / "m.json").write_text('{"format": "something else"}')
    msg = bad(["assign", tmp_path / "m.json", data_dir / "*.parquet", "--out",
               tmp_path / "o"], capsys)
    assert "not a usable model file" in msg


def test_a_model_whose_columns_the_data_lacks(data_dir, tmp_path, capsys):
    from gmm_core import GaussianMixture, Scaler
    from gmm_core.outputs.model_file import SegmentModel, save_model

    X = np.random.RandomState(0).normal(size=(50, 2))
    model = SegmentModel(GaussianMixture(2, random_state=0).fit(X), Scaler("none").fit(X),
                         ("income", "age"), ("a", "b"))
    save_model(model, tmp_path / "m.json")
    msg = bad(["assign", tmp_path / "m.json", data_dir / "*.parquet", "--out",
               tmp_path / "o"], capsys)
    assert "Column 'age', which the model uses, is not in" in msg


def test_a_non_empty_output_folder(data_dir, tmp_path, capsys):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "old.parquet").write_bytes(b"")
    (tmp_path / "m.json").write_text("{}")
    msg = bad(["assign", tmp_path / "m.json", data_dir / "*.parquet", "--out",
               tmp_path / "o"], capsys)
    assert "not a usable model file" in msg  # the model is checked first
    model = tmp_path / "good.json"
    from gmm_core import GaussianMixture, Scaler
    from gmm_core.outputs.model_file import SegmentModel, save_model
    X = np.random.RandomState(0).normal(size=(50, 2))
    save_model(SegmentModel(GaussianMixture(2, random_state=0).fit(X), Scaler().fit(X),
                            ("income", "spend"), ("a", "b")), model)
    msg = bad(["assign", model, data_dir / "*.parquet", "--out", tmp_path / "o"], capsys)
    assert "is not empty" in msg and "--overwrite" in msg


def test_an_output_folder_that_does_not_exist(data_dir, tmp_path, capsys):
    msg = bad(["fit", data_dir / "*.parquet", "--k", 2, "--out", tmp_path / "no" / "m.json"],
              capsys)
    assert "does not exist" in msg


def test_commands_for_the_app_round_trip_through_the_parser():
    line = cli.fit_command(["annual income", "spend"], 4, covariance_type="tied",
                           random_state=3, n_init=2)
    import shlex
    argv = shlex.split(line)[3:]  # after "python -m gmm_core"
    args = cli._parser().parse_args(argv)
    assert (args.command, args.columns, args.k, args.covariance_type, args.random_state,
            args.n_init) == ("fit", "annual income,spend", 4, "tied", 3, 2)
    args = cli._parser().parse_args(shlex.split(cli.assign_command("my model.json"))[3:])
    assert (args.command, args.model, args.data, args.out) == (
        "assign", "my model.json", ["data/*.parquet"], "segments/")
