"""Take the segmentation away: a CSV of the rows with their segments, and PNG charts.

**CSV.**  :func:`segment_table` puts three things next to the user's *original*
rows (every column of the file or demo, not only the features): ``segment``
(the name), ``segment_label`` (the model's component index, 0-based -- what
:meth:`gmm_core.outputs.model_file.SegmentModel.predict` returns) and one
``probability_<segment name>`` column per segment.  :func:`to_csv_bytes` writes
it as comma-separated UTF-8 **with a byte-order mark**: Excel on Windows opens
a BOM-less file in the local code page and garbles "é" or "×"; with the BOM it
reads UTF-8, and pandas, R and Python's ``csv`` (``encoding="utf-8-sig"``)
read it as usual.

**Formula injection.**  A spreadsheet treats a cell starting with ``=``,
``+``, ``-`` or ``@`` (and tab or carriage return, which some programs strip
first) as a formula, so text such as ``=HYPERLINK(...)`` in an uploaded file
would run when a colleague opens the export.  :func:`neutralise_formulas`
prefixes such *text* cells -- and column names, which include segment names --
with a single quote ``'``, which spreadsheets show as plain text.  Numeric
columns are left alone: ``-3.5`` stays a number.

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
['name', 'x', 'segment', 'segment_label', 'probability_Low', 'probability_@High']
>>> neutralise_formulas(out)[["name", "x", "segment"]].values.tolist()
[["'=1+1", -1.5, "'@High"], ['Ann', 2.0, 'Low']]
"""

import os

import numpy as np
import pandas as pd

__all__ = ["FORMULA_STARTS", "CHROMIUM", "segment_table", "neutralise_formulas",
           "to_csv_bytes", "use_browser", "figure_png"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Debian's Chromium, used for PNG export when kaleido is not told otherwise.
CHROMIUM = "/usr/bin/chromium"


def _free(name, taken):
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def segment_table(frame, labels, proba, names):
    """The original rows with ``segment``, ``segment_label`` and ``probability_<name>``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The user's rows, aligned with ``labels`` (one row per fitted row).
    labels : array-like (n_rows,) of int
        Each row's segment (component index).
    proba : array-like (n_rows, n_components)
        Each row's probability of each segment.
    names : sequence of str
        Segment names, unique, in component order.

    Returns
    -------
    pandas.DataFrame
        A new frame; added columns that clash with the user's get ``_2``, ``_3``.

    Raises
    ------
    ValueError
        Row counts or segment counts that do not match.
    """
    labels = np.asarray(labels, dtype=int)
    proba = np.asarray(proba, dtype=float)
    names = [str(n) for n in names]
    if labels.shape[0] != len(frame) or proba.shape[0] != len(frame):
        raise ValueError(f"the frame has {len(frame)} rows but {labels.shape[0]} labels and "
                         f"{proba.shape[0]} probability rows were given; pass the rows the "
                         "model was fitted on.")
    if proba.ndim != 2 or proba.shape[1] != len(names):
        raise ValueError(f"{len(names)} segment names for {proba.shape[1:]} probability columns.")
    if len(set(names)) != len(names):
        raise ValueError(f"segment names must be unique, got {names}.")
    out = frame.reset_index(drop=True).copy()
    taken = set(map(str, out.columns))
    added = {}
    for col, values in [("segment", [names[j] for j in labels]), ("segment_label", labels)]:
        col = _free(col, taken)
        taken.add(col)
        added[col] = values
    for j, name in enumerate(names):
        col = _free(f"probability_{name}", taken)
        taken.add(col)
        added[col] = proba[:, j]
    return pd.concat([out, pd.DataFrame(added)], axis=1)


def _neutral(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame):
    """A copy of ``frame`` whose text cells and column names cannot start a formula.

    Text that starts with one of :data:`FORMULA_STARTS` gets a leading ``'``;
    numeric, boolean and date columns are untouched.

    >>> neutralise_formulas(pd.DataFrame({"-a": ["+1", "b"], "n": [-1, 2]})).to_dict("list")
    {"'-a": ["'+1", 'b'], 'n': [-1, 2]}
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


def to_csv_bytes(frame):
    """``frame`` as CSV bytes for spreadsheets: formulas neutralised, UTF-8 with BOM.

    Floats are written with full precision (``repr``), so probabilities read
    back exactly; no index column.

    >>> to_csv_bytes(pd.DataFrame({"a": ["=x"], "b": [0.1]}))
    b"\\xef\\xbb\\xbfa,b\\r\\n'=x,0.1\\r\\n"
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def use_browser(path=CHROMIUM):
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


def figure_png(fig, *, width=1200, height=None, scale=2):
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
    try:
        return fig.to_image(format="png", width=int(width), height=int(height), scale=scale)
    except (ImportError, ValueError, RuntimeError, OSError) as exc:
        raise RuntimeError(
            "Could not draw the chart as a PNG image: " + str(exc).strip().splitlines()[0]
            + " -- install kaleido (pip install -r requirements.txt) and Chromium "
              "(apt-get install chromium).") from exc
