"""What the Dask tests (mixture/test_dask.py, test_cli.py) share."""

import os

import pytest


def require_dask():
    """Skip when Dask is missing; under CI=true, fail (requirements-dev.txt installs it)."""
    try:
        import dask.array  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        reason = f"Dask is not installed ({exc}); pip install -r requirements-scale.txt"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Dask tests must run in CI: {reason}")
        pytest.skip(reason)
