"""``python -m gmm_core fit|assign``: end to end on files written here, and clear errors."""

import json
import logging
import os
import pathlib
import shlex
import subprocess
import sys
import warnings

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
    from gmm_core.mixture import local_cluster

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
    argv = shlex.split(line)[3:]  # after "python -m gmm_core"
    args = cli._parser().parse_args(argv)
    assert (args.command, args.columns, args.k, args.covariance_type, args.random_state,
            args.n_init) == ("fit", "annual income,spend", 4, "tied", 3, 2)
    args = cli._parser().parse_args(shlex.split(cli.assign_command("my model.json"))[3:])
    assert (args.command, args.model, args.data, args.out) == (
        "assign", "my model.json", ["data/*.parquet"], "segments/")


#: Column names the shell or ``--columns a,b`` could mangle (issue 23, item 7b).
AWKWARD_COLUMNS = ["spend, EUR", " padded ", "it's \"quoted\"", "-delta", "--k", "=x", "$HOME",
                   "back\\slash", "tab\there", "plain", "a,b,,c"]


@pytest.mark.parametrize("features", [AWKWARD_COLUMNS, ["income", "spend rate"],
                                      ["-lead", "x"], ["café, €", "ünï"]])
def test_fit_command_round_trips_any_column_name_through_shell_and_parser(features):
    """Issue 23, item 7b: the command shown on Segments split a column named "spend, EUR"
    in two, since ``--columns a,b`` splits on commas (and a leading dash read as an option)."""
    line = cli.fit_command(features, 3, data="in dir/*.parquet", out="my model.json")
    words = shlex.split(line)
    assert words[:3] == ["python", "-m", "gmm_core"]
    args = cli._parser().parse_args(words[3:])
    assert cli._chosen_columns(args) == features
    assert (args.data, args.k, args.out) == (["in dir/*.parquet"], 3, "my model.json")


def test_fit_takes_awkward_column_names_end_to_end(tmp_path, scheduler, capsys):
    """Issue 23, item 7b: the command the app prints fits columns with commas, spaces and a
    leading dash as they are named."""
    rng = np.random.RandomState(0)
    names = ["spend, EUR", "-delta", " padded "]
    pd.DataFrame(rng.normal(size=(400, 3)), columns=names).to_parquet(tmp_path / "d.parquet")
    out = tmp_path / "m.json"
    line = cli.fit_command(names, 2, data=str(tmp_path / "*.parquet"), out=str(out),
                           random_state=0)
    argv = shlex.split(line)[3:] + ["--scheduler", scheduler, "--quiet", "--max-iter", "5"]
    assert cli.main(argv) == 0, capsys.readouterr().err
    assert load_model(out).features == tuple(names)


def test_quiet_prints_no_warning_of_the_fit_or_of_dask(data_dir, tmp_path, scheduler,
                                                       monkeypatch, capfd, request):
    """Issue 23, item 7c: with ``--quiet`` the fit still printed its warnings and Dask's
    logged ones (the scheduler's "Detected different `run_spec`") on standard error."""
    from gmm_core.mixture import _dask as scale

    real = scale.fit

    def noisy(*args, **kwargs):
        logging.getLogger("distributed.scheduler").warning("Detected different `run_spec`")
        warnings.warn("a warning of the fit", UserWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(scale, "fit", noisy)
    # distributed's own handler holds the stderr of when it was imported; one on this test's
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger("distributed").addHandler(handler)
    request.addfinalizer(lambda: logging.getLogger("distributed").removeHandler(handler))
    run = ["fit", str(data_dir / "*.parquet"), "--columns", "income,spend", "--k", "3",
           "--max-iter", "2", "--random-state", "0", "--scheduler", scheduler]
    assert cli.main(run + ["--quiet", "--out", str(tmp_path / "quiet.json")]) == 0
    quiet = capfd.readouterr()
    assert quiet.err == ""
    assert "wrote" in quiet.out  # the result still goes to standard output
    assert cli.main(run + ["--out", str(tmp_path / "loud.json")]) == 0
    loud = capfd.readouterr().err
    assert "Detected different `run_spec`" in loud and "warning: a warning of the fit" in loud
    assert logging.getLogger("distributed").level != logging.ERROR  # put back after the run
    assert "DASK_LOGGING__DISTRIBUTED" not in os.environ


def test_quiet_still_prints_errors(data_dir, capsys):
    """Issue 23, item 7c: ``--quiet`` silences warnings, never the error that ends the run."""
    assert cli.main(["fit", str(data_dir / "*.parquet"), "--column", "nope", "--k", "2",
                     "--quiet"]) == cli.EXIT_BAD_INPUT
    assert "error: Column 'nope' is not in" in capsys.readouterr().err


# ---------------------------------------------------------------- never destroy (issue 23)
def small_model(path, features=("income", "spend"), names=("a", "b")):
    """A valid two-segment model file over ``features``."""
    from gmm_core import GaussianMixture, Scaler
    from gmm_core.outputs.model_file import SegmentModel, save_model

    X = np.random.RandomState(0).normal(size=(50, len(features)))
    save_model(SegmentModel(GaussianMixture(2, random_state=0).fit(X), Scaler().fit(X),
                            features, names), path)
    return path


def snapshot(folder):
    """Every file under ``folder`` (relative name -> bytes)."""
    folder = pathlib.Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def mydata(tmp_path):
    """A folder of two Parquet inputs, as in the issue's 'mydata/*.parquet'."""
    require_dask()
    d = tmp_path / "mydata"
    d.mkdir()
    for i in range(2):
        customers(500, seed=i).to_parquet(d / f"part-{i}.parquet")
    return d


def test_assign_out_folder_holding_its_inputs_is_refused_and_inputs_survive(mydata, tmp_path,
                                                                            capsys):
    """Issue 23: `assign model.json 'mydata/*.parquet' --out mydata --overwrite` emptied
    mydata/ (inputs included) before reading it, then failed."""
    model = small_model(tmp_path / "model.json")
    before = snapshot(mydata)
    msg = bad(["assign", model, mydata / "*.parquet", "--out", mydata, "--overwrite"], capsys)
    assert "contains the input" in msg and "part-0.parquet" in msg
    assert snapshot(mydata) == before
    # refused before anything is read: an unreadable model does not get there first
    (tmp_path / "junk.json").write_text("not a model")
    msg = bad(["assign", tmp_path / "junk.json", mydata / "*.parquet", "--out", mydata,
               "--overwrite"], capsys)
    assert "contains the input" in msg
    # a parent of the inputs' folder contains them too; so does a folder holding the model
    msg = bad(["assign", model, mydata / "*.parquet", "--out", tmp_path, "--overwrite"], capsys)
    assert "contains the input" in msg
    assert snapshot(mydata) == before
    # beside the inputs is fine: 'mydata/*.parquet' does not reach into mydata/segments
    cli._check_out_apart(str(mydata / "segments"), cli._expand([str(mydata / "*.parquet")]))


def test_assign_out_that_is_an_input_or_inside_one_is_refused(mydata, tmp_path, capsys):
    """Issue 23: --out could name an input of assign (a file, the input folder through a
    symbolic link, a folder inside an input folder, the model file) and destroy it."""
    model = small_model(tmp_path / "model.json")
    before = snapshot(tmp_path)
    msg = bad(["assign", model, mydata / "*.parquet", "--out", mydata / "part-0.parquet",
               "--overwrite"], capsys)
    assert "is the input" in msg
    (tmp_path / "alias").symlink_to(mydata, target_is_directory=True)
    msg = bad(["assign", model, mydata / "*.parquet", "--out", tmp_path / "alias",
               "--overwrite"], capsys)
    assert "contains the input" in msg
    msg = bad(["assign", model, mydata, "--out", mydata / "segments"], capsys)
    assert "lies inside the input folder" in msg
    msg = bad(["assign", model, mydata / "*.parquet", "--out", model, "--overwrite"], capsys)
    assert "is the input" in msg and "model.json" in msg
    (tmp_path / "alias").unlink()
    assert snapshot(tmp_path) == before


def test_overwrite_never_deletes_a_file_assign_did_not_write(mydata, tmp_path, capsys):
    """Issue 23: `assign --overwrite` deleted unrelated files already in the folder
    (a report.docx)."""
    model = small_model(tmp_path / "model.json")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.docx").write_bytes(b"PK\x03\x04 quarterly report")
    msg = bad(["assign", model, mydata / "*.parquet", "--out", out, "--overwrite"], capsys)
    assert "report.docx" in msg and "did not write" in msg
    assert "move them elsewhere or choose another --out" in msg
    assert snapshot(out) == {"report.docx": b"PK\x03\x04 quarterly report"}
    # without --overwrite: refused as before, naming what is there
    msg = bad(["assign", model, mydata / "*.parquet", "--out", out], capsys)
    assert "is not empty (report.docx)" in msg and "--overwrite" in msg
    assert snapshot(out) == {"report.docx": b"PK\x03\x04 quarterly report"}


def test_second_assign_overwrite_replaces_only_its_own_files(data_dir, mydata, tmp_path,
                                                              scheduler, capsys):
    """Issue 23: --overwrite must replace a previous assign's output (its manifest's files)
    and nothing else; a folder with anything more is refused and left whole."""
    model = small_model(tmp_path / "model.json")
    out = tmp_path / "segments"
    run = ["assign", str(model), "--out", str(out), "--scheduler", scheduler, "--quiet"]
    assert cli.main(run[:2] + [str(data_dir / "*.parquet")] + run[2:]) == 0, \
        capsys.readouterr().err
    manifest = json.loads((out / cli.MANIFEST).read_text())
    parts = sorted(p.name for p in out.glob("*.parquet"))
    assert manifest["files"] == parts and manifest["complete"] is True
    assert parts == [f"part.{i}.parquet" for i in range(4)]
    assert len(pd.read_parquet(out)) == 12_000  # readers skip the manifest (a dot file)
    # again, without --overwrite: refused; with it, from 2 inputs: 2 parts, old ones gone
    assert "is not empty" in bad(run[:2] + [str(mydata / "*.parquet")] + run[2:], capsys)
    assert cli.main(run[:2] + [str(mydata / "*.parquet"), "--overwrite"] + run[2:]) == 0, \
        capsys.readouterr().err
    assert sorted(os.listdir(out)) == [cli.MANIFEST, "part.0.parquet", "part.1.parquet"]
    assert json.loads((out / cli.MANIFEST).read_text())["files"] == ["part.0.parquet",
                                                                     "part.1.parquet"]
    assert sorted(pd.read_parquet(out)["customer_id"]) == sorted(
        pd.read_parquet(mydata)["customer_id"])
    # a file of someone else's beside assign's own: refused, nothing deleted
    (out / "notes.txt").write_text("mine")
    (out / "extra").mkdir()
    before = snapshot(out)
    msg = bad(run[:2] + [str(mydata / "*.parquet"), "--overwrite"] + run[2:], capsys)
    assert "2 file(s) that 'assign' did not write there: extra, notes.txt" in msg
    assert cli.MANIFEST in msg
    assert snapshot(out) == before and (out / "extra").is_dir()


def test_overwrite_refuses_a_manifest_it_cannot_read(mydata, tmp_path, capsys):
    """Issue 23: a manifest that is not assign's must not be trusted to say what to delete."""
    model = small_model(tmp_path / "model.json")
    out = tmp_path / "out"
    out.mkdir()
    (out / cli.MANIFEST).write_text('{"format": "something", "files": ["thesis.docx"]}')
    (out / "thesis.docx").write_bytes(b"years of work")
    before = snapshot(out)
    msg = bad(["assign", model, mydata / "*.parquet", "--out", out, "--overwrite"], capsys)
    assert "is not a manifest that 'assign' wrote" in msg
    assert snapshot(out) == before


def test_fit_out_that_is_the_input_is_refused_and_the_input_unchanged(tmp_path, capsys):
    """Issue 23: `fit sales.csv --k 2 --out sales.csv` replaced the input with the model JSON,
    exit 0 -- with or without --overwrite, and through a symbolic or hard link."""
    require_dask()
    sales = tmp_path / "sales.csv"
    customers(300, seed=1).to_csv(sales, index=False)
    original = sales.read_bytes()
    (tmp_path / "link.csv").symlink_to(sales)
    os.link(sales, tmp_path / "hard.csv")
    for out, extra in [(sales, []), (sales, ["--overwrite"]),
                       (tmp_path / "link.csv", ["--overwrite"]),
                       (tmp_path / "hard.csv", ["--overwrite"]),
                       (tmp_path / "." / ".." / tmp_path.name / "sales.csv", [])]:
        msg = bad(["fit", sales, "--k", 2, "--out", out, *extra], capsys)
        assert "is the input" in msg and "sales.csv" in msg
    assert sales.read_bytes() == original


def test_fit_out_inside_an_input_folder_or_a_folder_is_refused(mydata, tmp_path, capsys):
    """Issue 23: fit --out could write a model into the Parquet folder it reads (spoiling the
    dataset) or be a folder."""
    before = snapshot(mydata)
    msg = bad(["fit", mydata, "--k", 2, "--out", mydata / "model.json"], capsys)
    assert "lies inside the input folder" in msg
    msg = bad(["fit", mydata / "*.parquet", "--k", 2, "--out", tmp_path], capsys)
    assert "contains the input" in msg
    (tmp_path / "models").mkdir()
    msg = bad(["fit", mydata / "*.parquet", "--k", 2, "--out", tmp_path / "models"], capsys)
    assert "is a folder" in msg
    assert snapshot(mydata) == before


def test_fit_refuses_an_existing_model_file_without_overwrite(data_dir, tmp_path, scheduler,
                                                              capsys):
    """Issue 23: fit replaced an existing --out file silently; now only with --overwrite."""
    out = tmp_path / "model.json"
    out.write_text("my earlier model")
    msg = bad(["fit", data_dir / "*.csv", "--columns", "income,spend", "--k", 3, "--out", out],
              capsys)
    assert "exists" in msg and "--overwrite" in msg
    assert out.read_text() == "my earlier model"
    assert cli.main(["fit", str(data_dir / "*.csv"), "--columns", "income,spend", "--k", "3",
                     "--names", "A,B,C", "--random-state", "0", "--scheduler", scheduler,
                     "--quiet", "--out", str(out), "--overwrite"]) == 0
    capsys.readouterr()
    assert load_model(out).segment_names == ("A", "B", "C")


@pytest.fixture
def no_fit(monkeypatch):
    """Fail the test if the command gets as far as a cluster or EM."""
    from gmm_core.mixture import _dask as scale

    def boom(*args, **kwargs):
        raise AssertionError("the fit started")

    monkeypatch.setattr(scale, "fit", boom)
    monkeypatch.setattr(cli, "_client", boom)


@pytest.mark.parametrize("names, says", [
    ("A,A", "'--names' contains the same name twice"),
    ("A," + "x" * 201, "a name in '--names' is longer than 200 characters"),
])
def test_fit_refuses_names_its_own_assign_refuses_before_fitting(data_dir, tmp_path, no_fit,
                                                                 capsys, names, says):
    """Issue 23: `fit --names A,A` (or a name over 200 characters) fitted, then wrote a model
    that its own `assign` refuses to load."""
    out = tmp_path / "m.json"
    msg = bad(["fit", data_dir / "*.parquet", "--columns", "income,spend", "--k", 2,
               "--names", names, "--out", out], capsys)
    assert says in msg and "'assign' refuses such a model file" in msg
    assert "This is not a usable model file" not in msg  # the loader's words for a file
    assert not out.exists()


def test_fit_checks_names_with_the_loaders_own_rules(data_dir, tmp_path, no_fit, monkeypatch,
                                                     capsys):
    """Issue 23: fit must apply model_io's name rules (not a copy): 200 characters pass, and
    a changed limit in model_io changes what fit refuses; so do its column and k limits."""
    from gmm_core.outputs import model_file as model_io

    cli._check_loadable_names(["A", "x" * model_io.MAX_NAME_LENGTH], "--names", 100)
    monkeypatch.setattr(model_io, "MAX_NAME_LENGTH", 3)
    msg = bad(["fit", data_dir / "*.parquet", "--columns", "income,spend", "--k", 2,
               "--names", "Low,High", "--out", tmp_path / "m.json"], capsys)
    assert "longer than 3 characters" in msg
    monkeypatch.undo()
    msg = bad(["fit", data_dir / "*.parquet", "--columns", "income,income", "--k", 2,
               "--out", tmp_path / "m.json"], capsys)
    assert "'--columns' contains the same name twice" in msg
    msg = bad(["fit", data_dir / "*.parquet", "--k", model_io.MAX_COMPONENTS + 1,
               "--out", tmp_path / "m.json"], capsys)
    assert f"more than the limit of {model_io.MAX_COMPONENTS}" in msg
    assert not (tmp_path / "m.json").exists()


# ---------------------------------------------------------------- local cluster (issue 23)
def _listening_sockets():
    """(pid, ip, port) of every listening TCP socket of this process and its children."""
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()
    found = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = getattr(proc, "net_connections", getattr(proc, "connections", None))("inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found |= {(proc.pid, c.laddr.ip, c.laddr.port) for c in conns
                  if c.status == psutil.CONN_LISTEN}
    return found


def test_local_cluster_listens_on_loopback_only():
    """Issue 23: the CLI's (and the README's) local cluster served its dashboard on all
    interfaces (dashboard_address=":0" -> 0.0.0.0:<port>) while `dashboard_link` said
    127.0.0.1."""
    require_dask()
    from urllib.parse import urlparse

    from distributed import Client

    from gmm_core.mixture import local_cluster

    before = _listening_sockets()
    with local_cluster(n_workers=1) as cluster, Client(cluster) as client:
        info = client.scheduler_info()
        assert urlparse(cluster.scheduler_address).hostname == "127.0.0.1"
        assert urlparse(cluster.dashboard_link).hostname == "127.0.0.1"
        assert len(info["workers"]) == 1
        for address, worker in info["workers"].items():
            assert urlparse(address).hostname == "127.0.0.1"
            assert urlparse(worker["nanny"]).hostname == "127.0.0.1"
        opened = _listening_sockets() - before
    ports = {port for _, _, port in opened}
    worker_ports = {urlparse(a).port for a in info["workers"]}
    assert {urlparse(cluster.scheduler_address).port, info["services"]["dashboard"]} <= ports
    assert worker_ports <= ports
    assert {ip for _, ip, _ in opened} == {"127.0.0.1"}, sorted(opened)

