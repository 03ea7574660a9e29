"""Imports flow one way: pages and app.py -> gmm_core, never back; plotly only in figures."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_gmm_core_imports_neither_streamlit_nor_sklearn_mixture():
    code = ("import sys, gmm_core; "
            "print('streamlit' in sys.modules, 'sklearn.mixture' in sys.modules, 'plotly' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "False"]


def test_only_figure_modules_import_plotly():
    """plotly stays in gmm_core.figures (and page-specific siblings named figures_*.py)."""
    pattern = re.compile(r"^\s*(import plotly|from plotly)", re.M)
    offenders = [p.name for p in (ROOT / "gmm_core").glob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))
                 and not re.fullmatch(r"figures(_\w+)?\.py", p.name)]
    assert offenders == []
    assert pattern.search((ROOT / "gmm_core" / "figures.py").read_text(encoding="utf-8"))


def test_gmm_core_never_mentions_streamlit_imports():
    pattern = re.compile(r"^\s*(import streamlit|from streamlit)", re.M)
    assert [p.name for p in (ROOT / "gmm_core").glob("*.py")
            if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_figures_module_imports_with_plotly():
    code = "import gmm_core.figures, sys; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_app_and_engine_run_without_dask():
    """Dask is an optional install: with it absent, the engine fits and every page runs.

    ``sys.modules[name] = None`` makes ``import name`` fail as if it were not installed.
    """
    code = """
import sys
for name in ("dask", "dask.array", "dask.dataframe", "distributed"):
    sys.modules[name] = None
import numpy as np
import gmm_core
X = np.random.RandomState(0).normal(size=(200, 2))
labels = gmm_core.GaussianMixture(2, random_state=0).fit(X).predict(X)
assert labels.shape == (200,)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
for page in ("pages/compare.py", "pages/segments.py"):
    at.switch_page(page).run()
    assert not at.exception and not at.error, (page, at.exception, at.error)
    print(page, "ok")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["pages/compare.py", "ok", "pages/segments.py", "ok"]
