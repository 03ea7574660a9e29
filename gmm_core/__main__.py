"""``python -m gmm_core fit|assign ...``: see :mod:`gmm_core.cli`."""

import sys

from gmm_core.cli import main

if __name__ == "__main__":  # the guard lets Dask's worker processes import this module
    sys.exit(main())
