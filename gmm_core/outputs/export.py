"""Take the segmentation away: a CSV of the rows with their segments, and PNG charts.

**CSV: what was given, plus what was computed.**  :func:`segment_table` hands
back *every* row read from the file, in file order, with every column and
each cell's text exactly as the user gave it (:class:`gmm_core.data.original.
OriginalRows`: ``1`` stays ``1``, blanks stay blank, IDs are not turned into
``1.0``).  Then come the computed columns: ``segment`` (the name),
``segment_label`` (the model's component index, 0-based -- what
:meth:`gmm_core.outputs.model_file.SegmentModel.predict` returns), one
``probability_<segment name>`` per segment (4 decimals) and ``status``:
``assigned``, or why the row was not (left out for a missing value, a summary
row), those rows with empty segment columns; a row fitted with blank cells
(the reader's ``missing="use"``) is ``assigned; had gaps: Age`` -- its blank
cells stay blank and no value is made up for them.  Under mean/median filling the
number used for each filled cell goes in a column of its own,
``<column> (filled in)``; the user's blank cell stays blank.  When the row key
is not a column of the file (the file line, a demo's row number) it comes first.

:func:`to_csv_bytes` writes UTF-8 **with a byte-order mark** (Excel on Windows
opens a BOM-less file in the local code page and garbles "é" or "×"; with the
BOM it reads UTF-8; pandas, R and Python's ``csv`` with ``encoding="utf-8-sig"``
read it as usual), separated like the input: ``;`` with decimal commas for a
file that was semicolon-separated (as European spreadsheets write), else ``,``.

**Formula injection.**  A spreadsheet treats a cell starting with ``=``,
``+``, ``-`` or ``@`` (and tab or carriage return, which some programs strip
first) as a formula, so text such as ``=HYPERLINK(...)`` in an uploaded file
would run when a colleague opens the export.  :func:`neutralise_formulas`
prefixes such cells -- and column names, which include segment names -- with
a single quote ``'``, which spreadsheets show as plain text.  Plain numbers
(``-3.5``, ``+1``, ``-1,5``) and numeric columns are left alone.

**PNG.**  :func:`figure_png` renders a plotly figure with kaleido (1.x),
which drives a Chromium-based browser.  Kaleido finds a browser on the
``PATH``; :func:`use_browser` points it at Debian's ``/usr/bin/chromium``
through the ``BROWSER_PATH`` environment variable (kaleido's own setting)
when that variable is unset.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"name": ["=1+1", "Ann"], "x": [-1.5, 2.0]})
>>> out = segment_table(frame, [1, 0], [[0.2, 0.8], [0.9, 0.1]], ["Low", "@High"])
>>> list(out.columns)
['row', 'name', 'x', 'segment', 'segment_label', 'probability_Low', 'probability_@High', 'status']
>>> neutralise_formulas(out)[["name", "x", "segment", "probability_Low"]].values.tolist()
[["'=1+1", '-1.5', "'@High", '0.2000'], ['Ann', '2', 'Low', '0.9000']]
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.data.original import USED, OriginalRows, format_like

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["FORMULA_STARTS", "CHROMIUM", "PROBABILITY_DECIMALS", "ASSIGNED", "segment_table",
           "neutralise_formulas", "to_csv_bytes", "export_delimiter", "use_browser", "figure_png"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Debian's Chromium, used for PNG export when kaleido is not told otherwise.
CHROMIUM = "/usr/bin/chromium"
#: Decimals of the exported probabilities.
PROBABILITY_DECIMALS = 4
#: ``status`` of a row that has a segment.
ASSIGNED = "assigned"
#: A number as a spreadsheet reads it (sign, digits, grouping, decimal mark, exponent),
#: or a lone sign: safe to leave unquoted.
_PLAIN = re.compile(r"[+-]?(?:\d[\d.,' ]*(?:[eE][+-]?\d+)?)?")


def _free(name, taken):
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def segment_table(rows: OriginalRows | pd.DataFrame, labels: ArrayLike, proba: ArrayLike,
                  names: Sequence[str]) -> pd.DataFrame:
    """Every row as given, then ``segment``, ``segment_label``, ``probability_<name>``, ``status``.

    Parameters
    ----------
    rows : OriginalRows or pandas.DataFrame
        The user's table as read (a frame is taken as a table whose every row
        was fitted, e.g. a demo's).
    labels : array-like (n_fitted,) of int
        Each fitted row's segment (component index).
    proba : array-like (n_fitted, n_components)
        Each fitted row's probability of each segment.
    names : sequence of str
        Segment names, unique, in component order.

    Returns
    -------
    pandas.DataFrame
        Text cells only, one row per row read, in file order; added columns that
        clash with the user's get ``_2``, ``_3``.

    Raises
    ------
    ValueError
        Row counts or segment counts that do not match.
    """
    if not isinstance(rows, OriginalRows):
        rows = OriginalRows.from_frame(pd.DataFrame(rows))
    labels = np.asarray(labels, dtype=int)
    proba = np.asarray(proba, dtype=float)
    names = [str(n) for n in names]
    n_fit = rows.used.shape[0]
    if labels.shape[0] != n_fit or proba.shape[0] != n_fit:
        raise ValueError(f"the table has {n_fit} fitted rows but {labels.shape[0]} labels and "
                         f"{proba.shape[0]} probability rows were given; pass the rows the "
                         "model was fitted on.")
    if proba.ndim != 2 or proba.shape[1] != len(names):
        raise ValueError(f"{len(names)} segment names for {proba.shape[1:]} probability columns.")
    if len(set(names)) != len(names):
        raise ValueError(f"segment names must be unique, got {names}.")
    n, at, mark = rows.n_read, rows.used, rows.decimal
    out = {}
    if rows.key_name not in rows.cells.columns:
        out[rows.key_name] = rows.keys
    for col in rows.cells.columns:
        out[col] = rows.cells[col].fillna("").to_numpy(dtype=object)
    taken = set(map(str, out))

    def add(name, fitted_values):
        column = np.full(n, "", dtype=object)
        column[at] = fitted_values
        name = _free(name, taken)
        taken.add(name)
        out[name] = column

    add("segment", [names[j] for j in labels])
    add("segment_label", [str(j) for j in labels])
    for j, name in enumerate(names):
        add(f"probability_{name}", [format_like(v, PROBABILITY_DECIMALS, mark)
                                    for v in np.round(proba[:, j], PROBABILITY_DECIMALS)])
    status = np.array([f"left out: {why}" for why in rows.status], dtype=object)
    status[at] = [ASSIGNED if why == USED else f"{ASSIGNED}; {why}" for why in rows.status[at]]
    if rows.filled is not None:
        filled = rows.was_filled()
        status[at[filled]] = ASSIGNED + " (gaps filled in)"
    status_name = _free("status", taken)
    taken.add(status_name)
    out[status_name] = status
    if rows.filled is not None:
        for col in rows.filled.columns:
            values = rows.filled[col].to_numpy(dtype=float)
            places = rows.decimals(col) + 2 if col in rows.cells.columns else 4
            add(f"{col} (filled in)", [format_like(v, places, mark) for v in values])
    return pd.DataFrame(out)


def _neutral(value):
    if (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and not _PLAIN.fullmatch(value)):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula.

    Text that starts with one of :data:`FORMULA_STARTS` gets a leading ``'``,
    unless it is a plain number; numeric, boolean and date columns are untouched.

    >>> frame = pd.DataFrame({"-a": ["+1", "=b", "-2+3"], "n": [-1, 2, 3]})
    >>> neutralise_formulas(frame).to_dict("list")
    {"'-a": ['+1', "'=b", "'-2+3"], 'n': [-1, 2, 3]}
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s)):
            continue
        out[col] = s.map(_neutral)
    out.columns = [_neutral(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame, *, delimiter: str = ",") -> bytes:
    """``frame`` as CSV bytes for spreadsheets: formulas neutralised, UTF-8 with BOM.

    Floats are written with full precision (``repr``), so numbers read back
    exactly; no index column.  ``delimiter`` is ``","`` or ``";"``.

    >>> to_csv_bytes(pd.DataFrame({"a": ["=x"], "b": [0.1]}))
    b"\\xef\\xbb\\xbfa,b\\r\\n'=x,0.1\\r\\n"
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n",
                                             sep=delimiter)
    return text.encode("utf-8-sig")


def export_delimiter(rows: OriginalRows | pd.DataFrame) -> str:
    """The separator for an export of ``rows``: ``;`` when the file used it, else ``,``."""
    return ";" if isinstance(rows, OriginalRows) and rows.delimiter == ";" else ","


def use_browser(path: str | os.PathLike | None = CHROMIUM) -> str | None:
    """Point kaleido at ``path`` (``BROWSER_PATH``) unless the user has set a browser.

    Returns the browser kaleido will use, or ``None`` when it is left to
    kaleido's own search.
    """
    current = os.environ.get("BROWSER_PATH")
    if current:
        return current
    if path and os.path.exists(path):
        os.environ["BROWSER_PATH"] = str(path)
        return str(path)
    return None


def figure_png(fig: go.Figure, *, width: int = 1200, height: int | None = None,
               scale: float = 2) -> bytes:
    """PNG bytes of a plotly figure, rendered by kaleido in Chromium.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    width, height : int, optional
        Size in CSS pixels (height defaults to the figure's, else 700).
    scale : float
        Pixel density: 2 gives a sharp image for slides.

    Raises
    ------
    RuntimeError
        kaleido or a browser is missing; the message says what to install.
    """
    use_browser()
    height = height or fig.layout.height or 700
    for attempt in range(3):
        try:
            return fig.to_image(format="png", width=int(width), height=int(height), scale=scale)
        except (ImportError, ValueError, RuntimeError, OSError) as exc:
            if attempt < 2 and "is not defined" in str(exc):
                continue  # kaleido asked before its page's scripts had loaded (a busy machine)
            error = exc
            break
    raise RuntimeError(
        "Could not draw the chart as a PNG image: " + str(error).strip().splitlines()[0]
        + " -- install kaleido (pip install -r requirements.txt) and Chromium "
          "(apt-get install chromium).") from error
