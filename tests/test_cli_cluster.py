"""The CLI's Dask cluster side (gmm_core/_cli_cluster.py)."""


def test_package_zip_carries_every_subpackage(tmp_path):
    """A --scheduler worker without gmm_core gets a zip it can fit with: the EM lives in
    gmm_core/mixture, so top-level modules alone would not import there."""
    import subprocess
    import sys
    import zipfile

    from gmm_core._cli_cluster import package_zip

    path = package_zip(str(tmp_path / "gmm_core.zip"))
    names = set(zipfile.ZipFile(path).namelist())
    assert {"gmm_core/__init__.py", "gmm_core/mixture/_estimator.py",
            "gmm_core/mixture/_dask.py", "gmm_core/data/reader.py"} <= names
    assert not any("__pycache__" in n or not n.endswith(".py") for n in names)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import gmm_core.mixture._dask as d; "
            "print(d.__file__)")
    done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(path)
