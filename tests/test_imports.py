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
