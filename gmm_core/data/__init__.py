"""Reading data: the forgiving CSV reader, the demo data sets, scaling and 2-D projections.

* :mod:`~gmm_core.data.reader` -- :func:`read_table` turns uploaded bytes into
  a numeric feature matrix and a report of every choice it made (encoding,
  delimiter, decimal mark, columns and rows left out and why); anything the
  user must fix is a :class:`~gmm_core.errors.DataError`.  Its low-level
  sniffing (encodings, delimiters, numbers) is in ``_sniff``.
* :mod:`~gmm_core.data.datasets` -- seeded demo data: elongated blobs, a
  customers table, iris and wine.
* :mod:`~gmm_core.data.scaling` -- :class:`Scaler`, the invertible per-column
  map applied before a fit.
* :mod:`~gmm_core.data.projection` -- :class:`Projection` to 2-D for drawing,
  and :func:`display_subsample`.
"""

from gmm_core.data.datasets import (
    CUSTOMER_SEGMENTS,
    DEMO_DATASETS,
    DemoDataset,
    load_iris_data,
    load_wine_data,
    make_customers,
    make_elongated_blobs,
)
from gmm_core.data.projection import (
    Projection,
    axes_projection,
    display_subsample,
    fit_projection,
    pca_projection,
)
from gmm_core.data.reader import ReadReport, TableResult, check_size, read_table
from gmm_core.data.scaling import SCALINGS, Scaler

__all__ = ["CUSTOMER_SEGMENTS", "DEMO_DATASETS", "DemoDataset", "load_iris_data",
           "load_wine_data", "make_customers", "make_elongated_blobs", "Projection",
           "axes_projection", "display_subsample", "fit_projection", "pca_projection",
           "ReadReport", "TableResult", "check_size", "read_table", "SCALINGS", "Scaler"]
