"""``ruff check`` is clean: the rules chosen in pyproject.toml ([tool.ruff.lint]) hold everywhere.

The rule set: pyflakes (F), pycodestyle errors and warnings (E, W), isort (I), bugbear (B),
pyupgrade (UP) and the NumPy rules (NPY), at 100 characters a line.  ruff comes from
requirements-dev.txt, pinned, so that a new ruff release cannot add findings by itself.  Run
``ruff check .`` to see the findings, ``ruff check --fix .`` for the ones ruff can mend.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pinned_ruff():
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        if line.split("#", 1)[0].strip().startswith("ruff=="):
            return line.split("#", 1)[0].strip().removeprefix("ruff==")
    return None


def test_ruff_is_pinned_in_the_dev_requirements():
    assert _pinned_ruff(), "requirements-dev.txt should pin ruff (ruff==X.Y.Z)"


def test_ruff_check_finds_nothing():
    if importlib.util.find_spec("ruff") is None:
        if os.environ.get("CI"):
            pytest.fail("ruff is not installed: pip install -r requirements-dev.txt")
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    ruff = [sys.executable, "-m", "ruff"]
    version = subprocess.run([*ruff, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # --no-cache: the run leaves the tree as it found it (no .ruff_cache)
    proc = subprocess.run([*ruff, "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"{version} (requirements-dev.txt pins {_pinned_ruff()}) reports:\n"
        f"{proc.stdout}{proc.stderr}")
