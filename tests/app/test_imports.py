"""Optional imports: the figure modules load without streamlit, the app runs without Dask.

The import rules of the tree are in ``test_architecture.py``.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_figures_module_imports_with_plotly():
    code = "import gmm_core.plots.compare, sys; print('streamlit' in sys.modules)"
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
