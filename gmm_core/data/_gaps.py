"""What the reader does with rows that have gaps: drop them, fill them, or use them as they are.

A kept feature column can have a missing cell (a blank, ``n/a``, a stray word,
an infinite value).  :func:`handle_gaps` applies the ``missing`` policy of
:func:`gmm_core.data.reader.read_table` to the feature matrix:

* ``"drop"`` -- the row is left out; its status says which columns were blank;
* ``"mean"`` / ``"median"`` -- the cell is filled with the column's statistic,
  and the filled value is kept apart (``filled``) so exports never write it
  over the user's blank cell;
* ``"use"`` -- nothing is filled: the cell stays NaN and the row is fitted on
  its observed columns (``GaussianMixture(nan_policy="marginalize")``).  Its
  status becomes ``"had gaps: <columns>"``.  A row whose every feature is
  missing says nothing to the model and is left out.

It trusts its inputs (the reader validates) and words what it did in the report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gmm_core.data._sniff import MAX_LISTED_LINES, lines_text
from gmm_core.data.original import gap_status

__all__ = ["MISSING_POLICIES", "handle_gaps"]

#: ``missing=`` of the reader: drop the row, fill with a column statistic, or use it as is.
MISSING_POLICIES = ("drop", "mean", "median", "use")


def _names(kept, gaps_row):
    return [name for name, gap in zip(kept, gaps_row, strict=True) if gap]


def handle_gaps(X, kept, body_lines, report, missing, status):
    """Apply ``missing`` to ``X`` (n_rows, n_kept) in place; return ``(keep, filled)``.

    ``keep`` is the mask of rows that stay, ``filled`` a frame of the filled
    values (mean/median) or None; ``status`` (per row read) and ``report``
    are updated.
    """
    gaps = np.isnan(X)
    bad_rows = gaps.any(axis=1)
    keep = np.ones(X.shape[0], dtype=bool)
    if not bad_rows.any():
        return keep, None
    if missing == "use":
        empty = gaps.all(axis=1)
        used_gaps = bad_rows & ~empty
        report.rows_with_gaps = int(used_gaps.sum())
        report.gaps_per_column = {kept[j]: int(gaps[used_gaps, j].sum())
                                  for j in range(len(kept)) if gaps[used_gaps, j].any()}
        for i in np.flatnonzero(used_gaps):
            status[i] = gap_status(_names(kept, gaps[i]))
        if report.rows_with_gaps:
            report.warnings.append(
                f"{report.rows_with_gaps} row(s) have a missing value; they are used as they "
                "are: the model places each by the values it has and fills nothing in.")
        missing, bad_rows = "drop", empty  # a row with no value at all tells the model nothing
        if not bad_rows.any():
            return keep, None
    if missing == "drop":
        keep = ~bad_rows
        report.rows_dropped = int(bad_rows.sum())
        report.dropped_lines = body_lines[bad_rows][:MAX_LISTED_LINES].tolist()
        lines = lines_text(body_lines[bad_rows].tolist())
        if report.missing == "use":
            report.warnings.append(
                f"{report.rows_dropped} row(s) have no value in any feature column and were "
                f"left out (lines {lines}).")
        else:
            report.warnings.append(
                f"{report.rows_dropped} row(s) with a missing value were left out "
                f"(lines {lines}). To keep them, fill gaps "
                "with the column mean or median instead.")
        for i in np.flatnonzero(bad_rows):
            status[i] = ("no value in any feature column" if report.missing == "use"
                         else "missing value in " + ", ".join(_names(kept, gaps[i])))
        return keep, None
    fill = np.nanmean if missing == "mean" else np.nanmedian
    filled = {}
    for j in np.flatnonzero(gaps.any(axis=0)):
        value = fill(X[:, j])
        X[gaps[:, j], j] = value
        filled[kept[j]] = np.where(gaps[:, j], value, np.nan)
    report.rows_imputed = int(bad_rows.sum())
    report.cells_imputed = int(gaps.sum())
    report.warnings.append(
        f"{report.cells_imputed} missing value(s) in {report.rows_imputed} row(s) were "
        f"filled with the column {missing}. The filled-in numbers are used for fitting only; "
        "exports keep your blank cells and list the filled values in columns of their own.")
    return keep, pd.DataFrame(filled)
