"""How the reader classifies a column and words its findings: IDs, labels, bad cells, limits.

A column of an upload is a feature (numbers), an ID (numbers or codes that
identify rows, e.g. ``CustomerID``), a label (a few distinct text values, e.g.
species), text, constant or all-missing.  These helpers decide that from the
column's name and values and write what the user is told about it; they trust
their inputs (:func:`gmm_core.data.reader.read_table` validates).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from gmm_core.errors import MAX_MAGNITUDE, MIN_SPREAD, DataError

MAX_LABEL_LEVELS = 30
_ID_NAME = re.compile(
    r"(?i)(?:^|[^a-z])(?:id|ids|identifier|key|index|no|nr|#)(?:[^a-z]|$)|^unnamed"
)
_ID_SUFFIX = re.compile(r"[a-z](?:ID|Id|Nr|No|Key)$|(?i:_id|_nr|_no|nummer)$")
_ID_TEXT = re.compile(r"^[A-Za-z]{0,4}[-_#]?\d+$")


#: Summary-row labels (English, German, French, Spanish, Italian), compared lower-case.
_SUMMARY = re.compile(
    r"(?:grand |sub-?)?totals?|sum|sums|summe|gesamt|gesamtsumme|insgesamt|zwischensumme"
    r"|average|avg|mean|median|durchschnitt|mittelwert|count|anzahl|min|max|minimum|maximum"
    r"|total g[ée]n[ée]ral|somme|moyenne|suma|promedio|media|totale|\u03a3|\u2211"
)
#: At most this many summary rows are looked for at the end of a table.
MAX_SUMMARY_ROWS = 5


def summary_rows(columns):
    """Labels of the summary rows ("Total", "Average", ...) that end a table, in file order.

    A summary row has a summary word as a whole cell, in a column where no
    earlier row has that word (so a category called "Total" is data), and
    at most :data:`MAX_SUMMARY_ROWS` such rows end the table.

    >>> summary_rows([["1", "2", "Total"], ["5", "7", "12"]])
    ['Total']
    >>> summary_rows([["a", "total", "total"], ["1", "2", "3"]])
    []
    """
    n = len(columns[0]) if columns else 0
    found = []
    for i in range(n - 1, max(n - 1 - MAX_SUMMARY_ROWS, 0), -1):
        label = None
        for col in columns:
            cell = col[i].strip().rstrip(":").strip()
            if cell and _SUMMARY.fullmatch(cell.lower()):
                earlier = {c.strip().rstrip(":").strip().lower() for c in col[:i]}
                if cell.lower() not in earlier:
                    label = cell
                    break
        if label is None:
            break
        found.append(label)
    return found[::-1]


def _text_is_id(name, values, n_rows):
    present = values[values != None]  # noqa: E711 -- elementwise on an object array
    if pd.unique(present).size < present.size:
        return False
    if present.size < n_rows:  # a named ID column may have a few gaps or stray cells
        return _looks_like_id(name) and present.size >= n_rows - _few(n_rows)
    return _looks_like_id(name) or all(_ID_TEXT.match(v) for v in present[:1000])


def _few(n_rows):
    """How many odd cells a named ID column may hold and stay an ID: 1%, at least one."""
    return max(1, n_rows // 100)


def _looks_like_id(name):
    """"CustomerID", "customer_id", "ID", "Order no", "KundenNr", "#", "Unnamed: 0" -- not "paid".

    >>> [_looks_like_id(n) for n in ("KundenNr", "Kundennummer", "order_no", "paid", "Notes")]
    [True, True, True, False, False]
    """
    return bool(_ID_NAME.search(name) or _ID_SUFFIX.search(name))


def _numbers_are_id(name, j, numbers):
    finite = np.isfinite(numbers)
    odd = int(numbers.size - finite.sum())
    if odd and not (_looks_like_id(name) and odd <= _few(numbers.size)):
        return False
    numbers = numbers[finite]
    if numbers.size < 2 or np.any(numbers != np.round(numbers)):
        return False
    if np.unique(numbers).size < numbers.size:
        return False
    if _looks_like_id(name):
        return True
    # an unnamed first column counting 0, 1, 2, ... is a saved DataFrame index
    steps = np.diff(numbers)
    return j == 0 and name == "Column 1" and numbers[0] in (0, 1) and bool(np.all(steps == 1))


def _warn_bad_cells(report, name, cells, numbers, is_text, line_numbers):
    for mask, what in (
        (is_text, "not a number"),
        (np.isinf(numbers), "infinite or too large to store"),
    ):
        if mask.any():
            first = int(np.flatnonzero(mask)[0])
            report.warnings.append(
                f"Column '{name}': {int(mask.sum())} value(s) {what} (first on line "
                f"{line_numbers[first]}: '{cells[first].strip()[:40]}') were treated as missing."
            )


def _is_label(name, reason, values):
    if reason in ("all-missing", "ID-like", "too few numbers", "constant"):
        return False
    present = values.dropna()
    if present.empty:
        return False
    if reason is None or pd.api.types.is_numeric_dtype(values):
        arr = present.to_numpy(dtype=float)
        if np.any(arr != np.round(arr)):
            return False
    n_levels = present.nunique()
    return 2 <= n_levels <= MAX_LABEL_LEVELS and n_levels < len(present)


def _too_few_rows(n_rows, min_rows):
    return DataError(
        f"The file has only {n_rows} data row(s); at least {min_rows} are needed to fit a "
        "mixture. Add more rows."
    )


def _check_magnitude(name, numbers, line_numbers):
    """Refuse a feature column whose squares overflow or whose variance underflows."""
    finite = np.isfinite(numbers)
    values = numbers[finite]
    size = np.abs(values)
    if size.max() > MAX_MAGNITUDE:
        at = int(np.flatnonzero(finite)[np.argmax(size)])
        raise DataError(
            f"Column '{name}' holds values as large as {size.max():.3g} (line "
            f"{line_numbers[at]}), too large to fit: the fit squares the values, and squares of "
            f"values beyond {MAX_MAGNITUDE:.0e} overflow. Rescale the column (change its units, "
            "divide it by a power of ten or take logarithms) and upload the file again.",
            column=name, row=int(line_numbers[at]),
        )
    spread = float(values.max() - values.min())
    if 0 < spread < MIN_SPREAD:
        raise DataError(
            f"The values in column '{name}' differ by only {spread:.3g}, too little to fit: "
            f"their variance underflows to zero (below a spread of {MIN_SPREAD:.0e}). Rescale "
            "the column (change its units or multiply it by a power of ten) and upload the "
            "file again.",
            column=name,
        )


def _too_few_columns(names, kept, report):
    found = {0: "none", 1: f"only one ('{kept[0]}')" if kept else ""}[len(kept)]
    parts = [f"Clustering needs at least two columns of numbers, but this file has {found}."]
    if report.columns_dropped:
        shown = ", ".join(f"{c} ({why})" for c, why in report.columns_dropped[:10])
        more = ", ..." if len(report.columns_dropped) > 10 else ""
        parts.append(f"Left out: {shown}{more}.")
    if len(names) == 1:
        parts.append("Only one column was found, so the values may be separated by a character "
                     "other than the ones understood.")
    reasons = {why for _, why in report.columns_dropped}
    if reasons == {"all-missing"}:
        parts.append("Every column is empty (only blanks or missing-value markers such as NA). "
                     "Fill in the values and upload the file again.")
    elif reasons and reasons <= {"constant", "all-missing"} and "constant" in reasons:
        parts.append(
            "A constant column holds the same value in every row (are all rows copies of one "
            "point?), so it cannot tell groups apart. Upload rows that differ in at least two "
            "numeric columns."
        )
    else:
        parts.append(
            "Check that the file uses a comma, semicolon, tab or | between values, and that the "
            "columns you want hold only numbers."
        )
    column = report.columns_dropped[0][0] if report.columns_dropped else None
    return DataError(" ".join(parts), column=column)
