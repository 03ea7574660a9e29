"""Read an uploaded table -- forgivingly -- into clean numeric features.

A Gaussian mixture needs a matrix of numbers: rows are observations,
columns are features, every cell finite.  Real uploads are messier:
semicolons and decimal commas from European spreadsheets, UTF-16 from
Excel's "Unicode text", ID and name columns, "n/a" markers, ragged rows.
:func:`read_table` turns such bytes into a float64 DataFrame plus a
:class:`ReadReport` saying, in plain language, everything it did:

* **encoding** -- byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), else strict
  UTF-8, else cp1252, else latin-1;
* **dialect** -- delimiter ``, ; TAB |`` (or an Excel ``sep=`` first line),
  decimal mark ``.`` or ``,``, thousands grouping when unambiguous
  (``"1,234.5"``, ``1.234,5``);
* **columns** -- text, ID-like, constant, all-missing and mostly-non-numeric
  columns are dropped with their reason; low-cardinality text or integer
  columns become *label candidates* (true classes a user may compare with);
* **missing values** -- ``"" NA n/a N/A #N/A null NULL - NaN`` (and a few
  more, see :data:`~gmm_core.data._sniff.MISSING_MARKERS`) are missing; so are
  stray text cells in a numeric column and infinite values (``inf``,
  ``1e400``), each with a warning.  Rows with a missing value are dropped
  (``missing="drop"``, default), filled with the column mean/median, or used
  as they are (``missing="use"``: the cell stays NaN for a fit that
  marginalises it; see :mod:`gmm_core.data._gaps`).

Repairs and refusals, all documented in the report's warnings:

* rows *longer* than the header are dropped if they are at most 10% of the
  rows (:data:`~gmm_core.data._sniff.MAX_RAGGED_SHARE`), else the file is refused
  (the delimiter is probably wrong); *empty* extra fields (trailing
  delimiters) are ignored silently;
* rows *shorter* than the header are padded with missing values;
* up to five one-field title lines above the header are skipped; a first
  line of numbers is read as data (columns become "Column 1", ...);
* infinite values and overflows (``1e400``) become missing, with a warning;
* a feature column with values beyond :data:`MAX_MAGNITUDE` (``1e300``) or a
  spread below :data:`MIN_SPREAD` (all values near ``1e-300``) is refused:
  fitting squares the values, which would overflow or underflow -- the
  message says which column and how to rescale it;
* at least :data:`MIN_ROWS` rows (counted before anything else, so one row is
  called one row, not "constant columns"), then at least :data:`MIN_ROWS`
  complete rows and two usable numeric columns must remain, else
  :class:`DataError`.

Anything the user must fix raises :class:`~gmm_core.errors.DataError` with a
message for a non-programmer -- and *only* ``DataError``: any unexpected
internal failure is wrapped in one too.

Limits (module constants, overridable per call) are checked before the
expensive work, so a hostile upload cannot exhaust memory: the byte size
before decoding, the number of header fields before reading rows, and the
row and cell counts while streaming rows.

Examples
--------
>>> data = (b"id;height (cm);weight (kg);group\\n1;170,5;65;A\\n2;n/a;70;B\\n"
...         b"3;180;82;A\\n4;165;58,5;B\\n")
>>> result = read_table(data, "people.csv")
>>> result.features
   height (cm)  weight (kg)
0        170.5         65.0
1        180.0         82.0
2        165.0         58.5
>>> result.report.delimiter, result.report.decimal, result.report.dropped_lines
(';', ',', [3])
>>> result.report.columns_dropped
[('id', 'ID-like'), ('group', 'text')]
>>> result.label_candidates, result.label_values("group").tolist()
(['group'], ['A', 'A', 'B'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gmm_core.data._columns import (
    _check_magnitude,
    _is_label,
    _numbers_are_id,
    _text_is_id,
    _too_few_columns,
    _too_few_rows,
    _warn_bad_cells,
    summary_rows,
)
from gmm_core.data._gaps import MISSING_POLICIES, handle_gaps
from gmm_core.data._sniff import (
    decode,
    detect_binary,
    lines_text,
    parse_rows,
    sniff_decimal,
    sniff_delimiter,
    to_numbers,
)
from gmm_core.data.original import USED, OriginalRows, row_keys
from gmm_core.errors import MAX_MAGNITUDE, MIN_SPREAD, DataError
from gmm_core.mixture._typing import MissingPolicy

__all__ = ["MAX_BYTES", "MAX_CELLS", "MAX_COLUMNS", "MAX_LINE_CHARS", "MAX_MAGNITUDE", "MAX_ROWS",
           "MIN_ROWS", "MIN_SPREAD", "MISSING_POLICIES", "ReadReport", "TableResult", "check_size",
           "read_table"]

#: 200 MB: Streamlit's default upload limit (``server.maxUploadSize``); checked on
#: ``len(data)`` before anything is decoded.
MAX_BYTES = 200 * 1024 * 1024
#: 2,000,000 rows: far more than a browser can draw or EM fits interactively.
MAX_ROWS = 2_000_000
#: 500 columns (counted in the header line, before rows are read): mixtures with
#: full covariances in more dimensions need more data than an upload holds.
MAX_COLUMNS = 500
#: 10,000,000 cells (rows x columns), e.g. 2,000,000 rows of 5 columns: caps the
#: memory the parsed cell strings take (about 1.5 GB at peak) whatever the shape.
MAX_CELLS = 10_000_000
#: 1,000,000 characters: the longest first line accepted; checked before the
#: header is split into fields, so one endless line cannot exhaust memory.
MAX_LINE_CHARS = 1_000_000
#: 3 rows: the fewest with which a covariance can be estimated at all.  The
#: fitting code checks the stricter ``n_samples >= n_components`` itself.
MIN_ROWS = 3


@dataclass
class ReadReport:
    """What :func:`read_table` found and did, for the Data page.

    Attributes
    ----------
    filename, encoding, delimiter, decimal : str
        ``delimiter`` is one of ``, ; \\t |``; ``decimal`` is ``.`` or ``,``.
    thousands : str or None
        Thousands separator removed from grouped numbers, if any.
    has_header : bool
        False when the first line held numbers (columns are then named
        "Column 1", "Column 2", ...).
    n_rows_read : int
        Data rows parsed (blank lines and refused ragged rows excluded).
    columns_kept : list of str
    columns_dropped : list of (str, str)
        Column and reason: "text", "ID-like", "constant", "all-missing" or
        "too few numbers".
    rows_dropped : int
        Rows left out because a kept column had no usable value there.
    dropped_lines : list of int
        1-based file line numbers of the first :data:`MAX_LISTED_LINES` of them.
    rows_imputed, cells_imputed : int
        Rows/cells filled in under ``missing="mean"`` or ``"median"``.
    rows_with_gaps : int
        Rows used with blank feature cells under ``missing="use"``.
    gaps_per_column : dict
        Under ``missing="use"``: ``{column: blank cells}`` among the rows used.
    missing : str
        The policy used.
    summary_lines : list of int
        1-based file lines of summary rows ("Total", "Average", ...) at the
        end of the table, left out.
    warnings : list of str
        Plain-language notes about every repair made.
    """

    filename: str = ""
    encoding: str = ""
    delimiter: str = ","
    decimal: str = "."
    thousands: str | None = None
    has_header: bool = True
    n_rows_read: int = 0
    columns_kept: list = field(default_factory=list)
    columns_dropped: list = field(default_factory=list)
    rows_dropped: int = 0
    dropped_lines: list = field(default_factory=list)
    rows_imputed: int = 0
    cells_imputed: int = 0
    rows_with_gaps: int = 0
    gaps_per_column: dict = field(default_factory=dict)
    missing: str = "drop"
    summary_lines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def summary(self) -> str:
        """One plain-language paragraph describing the read.

        Examples
        --------
        >>> ReadReport(encoding="utf-8", delimiter=";", n_rows_read=3,
        ...            columns_kept=["a", "b"]).summary()
        'Read 3 rows (utf-8, semicolon-separated, decimal point). Using 2 numeric columns.'
        """
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        delim = names.get(self.delimiter, repr(self.delimiter))
        mark = "decimal comma" if self.decimal == "," else "decimal point"
        parts = [
            f"Read {self.n_rows_read} rows ({self.encoding}, {delim}-separated, {mark}).",
            f"Using {len(self.columns_kept)} numeric columns.",
        ]
        if self.columns_dropped:
            left = ", ".join(f"{c} ({why})" for c, why in self.columns_dropped)
            parts.append(f"Left out: {left}.")
        if self.summary_lines:
            n = len(self.summary_lines)
            parts.append(f"{n} summary row{'s' if n != 1 else ''} (such as a total) left out.")
        if self.rows_dropped:
            parts.append(f"{self.rows_dropped} rows with missing values left out.")
        if self.rows_with_gaps:
            parts.append(f"{self.rows_with_gaps} rows have gaps ({self.gaps_text()}); they are "
                         "used as they are, nothing filled in.")
        if self.rows_imputed:
            parts.append(f"{self.rows_imputed} rows had gaps filled with the column "
                         f"{self.missing}.")
        return " ".join(parts)

    def gaps_text(self) -> str:
        """Blank cells per column among the rows used with gaps: ``'Age: 3, income: 1'``.

        >>> ReadReport(gaps_per_column={"Age": 3, "income": 1}).gaps_text()
        'Age: 3, income: 1'
        """
        return ", ".join(f"{c}: {n:,}" for c, n in self.gaps_per_column.items())


@dataclass
class TableResult:
    """The outcome of :func:`read_table`.

    Attributes
    ----------
    features : pandas.DataFrame
        Clean float64 numbers, one column per kept feature, a fresh RangeIndex.
    frame : pandas.DataFrame
        *All* columns of the file (dropped ones too), with rows aligned with
        ``features`` (rows dropped for missing values are left out here too).
        Numeric columns are float64, other columns text (``None`` if missing).
    report : ReadReport
    label_candidates : list of str
        Columns that look like true class labels: text or integer columns
        with 2 to :data:`~gmm_core.data._columns.MAX_LABEL_LEVELS` distinct values, kept or dropped.
    line_numbers : numpy.ndarray of int
        1-based file line of each row of ``features``.
    original : OriginalRows
        Every row read with every cell as its text, each row's status and key:
        what exports and row listings hand back.
    """

    features: pd.DataFrame
    frame: pd.DataFrame
    report: ReadReport
    label_candidates: list
    line_numbers: np.ndarray
    original: OriginalRows | None = None

    @property
    def key_name(self) -> str:
        """The row key's name: the ID column, or ``"line"`` (the file line)."""
        return self.original.key_name

    @property
    def row_keys(self) -> np.ndarray:
        """The key of each row of ``features`` (ID cell or file line), as text."""
        return self.original.fitted_keys

    def label_values(self, column: str) -> np.ndarray:
        """The values of a label candidate as strings, aligned with ``features``.

        Missing cells become ``"(missing)"``; integer labels are written
        without a decimal point (``"2"``, not ``"2.0"``).  If ``column`` is
        also a feature, drop it from ``features`` before fitting.

        Raises
        ------
        KeyError
            If ``column`` is not in ``label_candidates``.
        """
        if column not in self.label_candidates:
            raise KeyError(f"{column!r} is not a label candidate; "
                           f"choose from {self.label_candidates}.")
        values = self.frame[column]
        if pd.api.types.is_numeric_dtype(values):
            out = [("(missing)" if np.isnan(v) else str(int(v))) for v in values.to_numpy(float)]
        else:
            out = ["(missing)" if v is None or v != v else str(v) for v in values.tolist()]
        return np.array(out, dtype=object)


def _size(n_bytes):
    """A byte count for people, in the units of Streamlit's uploader (1 MB = 1024 kB).

    >>> _size(1536), _size(MAX_BYTES), _size(300 * 1024 * 1024), _size(999)
    ('1.5 kB', '200 MB', '300 MB', '999 bytes')
    """
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("kB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


def check_size(n_bytes: int, filename: str = "upload.csv", max_bytes: int = MAX_BYTES) -> None:
    """Refuse a file of ``n_bytes`` over ``max_bytes`` -- callable before the bytes are read.

    >>> check_size(10, "a.csv")
    >>> check_size(300 * 1024 * 1024, "big.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gmm_core.errors.DataError: 'big.csv' is 300 MB, more than the 200 MB limit. Upload a smaller ...
    """
    if n_bytes > max_bytes:
        raise DataError(f"'{filename}' is {_size(n_bytes)}, more than the {_size(max_bytes)} "
                        "limit. Upload a smaller file, for example a sample of its rows.")


def read_table(
    data: bytes,
    filename: str = "upload.csv",
    *,
    missing: MissingPolicy = "drop",
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_cells: int = MAX_CELLS,
    min_rows: int = MIN_ROWS,
) -> TableResult:
    """Parse an uploaded delimited text file into numeric features.

    Parameters
    ----------
    data : bytes
        The raw upload (``bytes``, ``bytearray`` or ``memoryview``).
    filename : str, default="upload.csv"
        Only used in messages and the report; the content decides the format.
    missing : {"drop", "mean", "median", "use"}, default="drop"
        What to do with rows where a kept column has no usable value: drop the
        row, fill the gap with the column's mean or median, or ``"use"`` the
        row as it is (the feature cell stays NaN, the row's status says
        "had gaps: <columns>"; a row with no feature value at all is dropped).
    max_bytes, max_rows, max_columns, max_cells, min_rows : int
        Limits; see the module constants of the same names for the defaults
        and why.  ``min_rows`` is counted after missing values are handled.

    Returns
    -------
    TableResult

    Raises
    ------
    DataError
        For every problem with the *data* (and for any unexpected internal
        failure, as "could not read this file as a table").  The message
        says what is wrong, where and what to do; ``.column``/``.row`` carry
        the column name and 1-based line when known.
    ValueError, TypeError
        For bad *arguments* (an unknown ``missing`` policy, ``data`` not bytes).

    Examples
    --------
    >>> r = read_table("a\\tb\\n1\\t2\\n3\\t4\\n5\\t7\\n".encode("utf-16"), "t.txt")
    >>> r.features.to_numpy().tolist(), r.report.encoding, r.report.delimiter
    ([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], 'utf-16-le', '\\t')
    >>> read_table(b"name,city\\nAda,Paris\\nBo,Rome\\nCy,Oslo\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gmm_core.errors.DataError: Clustering needs at least two columns of numbers, but this
    file has none. Left out: name (text), city (text). Check that the file uses a comma, ...
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}.")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes (the raw upload), got {type(data).__name__}.")
    limits = dict(max_bytes=max_bytes, max_rows=max_rows, max_columns=max_columns,
                  max_cells=max_cells, min_rows=min_rows)
    for name, value in limits.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    try:
        return _read_table(data, str(filename), missing, **limits)
    except DataError:
        raise
    except MemoryError:
        raise DataError(
            f"'{filename}' is too large to read into memory. Upload fewer rows or columns."
        ) from None
    except Exception as exc:  # noqa: BLE001 -- nothing but DataError may reach the user
        raise DataError(
            f"Could not read '{filename}' as a table ({type(exc).__name__}). Check that it is a "
            "CSV or text file with one row per line and the same number of values in every row."
        ) from exc


# --------------------------------------------------------------------------- parsing


def _read_table(data, filename, missing, *, max_bytes, max_rows, max_columns, max_cells, min_rows):
    report = ReadReport(filename=filename, missing=missing)
    check_size(len(data), filename, max_bytes)
    if len(data) == 0:
        raise DataError(f"'{filename}' is empty. Choose a file that contains a table.")
    detect_binary(data)
    text, report.encoding = decode(data)
    text = text.lstrip("\ufeff")
    if not re.search(r"\S", text):
        raise DataError(
            f"'{filename}' contains no text (only blank lines). Choose a file with a table."
        )

    first_break = re.search(r"[\r\n]", text[:MAX_LINE_CHARS + 1])
    if first_break is None and len(text) > MAX_LINE_CHARS:
        raise DataError(
            f"The first line of '{filename}' is longer than {MAX_LINE_CHARS:,} characters, so it "
            "is not a table header. Check that the file has one row per line."
        )
    sep_hint = re.match(r"(?i)sep=([^\r\n])[ \t]*(\r\n|\r|\n|$)", text)
    first_line = 1
    if sep_hint:  # Excel's "sep=;" first line
        text = text[sep_hint.end():]
        first_line = 2
        report.delimiter = sep_hint.group(1)
    else:
        report.delimiter = sniff_delimiter(text)

    header, header_line, columns, line_numbers = parse_rows(
        text, report, max_rows=max_rows, max_columns=max_columns, max_cells=max_cells,
        first_line=first_line,
    )
    names = _column_names(header, columns, report)
    if names is None:  # the first line is data
        names = [f"Column {j + 1}" for j in range(len(header))]
        for col, cell in zip(columns, header, strict=True):
            col.insert(0, cell)
        line_numbers.insert(0, header_line)
    n_rows = len(line_numbers)
    if n_rows == 0:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataError(
            f"'{filename}' has column names ({shown}) but no data rows. "
            "Add rows of values below the header line."
        )
    report.n_rows_read = n_rows
    if n_rows < min_rows:  # before the columns are judged: with one row every column is constant
        raise _too_few_rows(n_rows, min_rows)
    line_numbers = np.asarray(line_numbers, dtype=np.int64)

    sample = [cell for col in columns for cell in col[:200]]
    report.decimal = sniff_decimal(sample, report.delimiter)
    return _build(names, columns, line_numbers, report, missing, min_rows)


def _column_names(header, columns, report):
    """Header cells as names -- unless the first line is data.

    The first line is data when, in every column whose first values are
    mostly numbers, its cell is a number too (text columns may hold any text).
    """
    cells = [c.strip() for c in header]
    decimal = sniff_decimal(cells + [c for col in columns for c in col[:20]], report.delimiter)
    numbers, miss, _ = to_numbers(cells, decimal=decimal)
    numeric_columns = []
    for col in columns:
        head, head_missing, _ = to_numbers(col[:50], decimal=decimal)
        present = ~head_missing
        numeric_columns.append(present.any() and np.isfinite(head[present]).mean() > 0.5)
    numeric_columns = np.array(numeric_columns, dtype=bool)
    if numeric_columns.any() and np.isfinite(numbers[numeric_columns]).all():
        report.has_header = False
        report.warnings.append(
            "The first line holds numbers, not column names, so it was read as data and the "
            "columns were named Column 1, Column 2, ..."
        )
        return None
    names, taken = [], set()
    for j, cell in enumerate(cells):
        name = base = cell or f"Column {j + 1}"
        k = 1
        while name in taken:
            k += 1
            name = f"{base} ({k})"
        if k > 1:
            report.warnings.append(
                f"Column name '{base}' appears more than once; renamed to '{name}'."
            )
        taken.add(name)
        names.append(name)
    return names


# --------------------------------------------------------------------------- columns


def _build(names, columns, line_numbers, report, missing, min_rows):
    """Classify columns, handle missing values, assemble the result."""
    n_read = len(line_numbers)
    cells = pd.DataFrame({name: pd.array(col, dtype="string")
                          for name, col in zip(names, columns, strict=True)})
    footers = summary_rows(columns)
    n_rows = n_read - len(footers)
    if footers:
        report.summary_lines = line_numbers[n_rows:].tolist()
        report.warnings.append(
            f"{len(footers)} row(s) at the end look like a summary of the table, not data "
            f"({', '.join(repr(label) for label in footers)} on line(s) "
            f"{lines_text(report.summary_lines)}), and were left out."
        )
        if n_rows < min_rows:
            raise _too_few_rows(n_rows, min_rows)
        columns = [col[:n_rows] for col in columns]
    body_lines = line_numbers[:n_rows]
    numeric, text, reasons = {}, {}, {}
    thousands = False
    for j, (name, col) in enumerate(zip(names, columns, strict=True)):
        numbers, is_missing, grouped = to_numbers(col, report.decimal)
        columns[j] = None  # free the strings as we go
        is_text = np.isnan(numbers) & ~is_missing
        n_missing, n_text = int(is_missing.sum()), int(is_text.sum())
        n_numbers = n_rows - n_missing - n_text
        if n_missing == n_rows:
            reasons[name] = "all-missing"
            text[name] = np.full(n_rows, None, dtype=object)
            continue
        if n_numbers == 0 or n_text > n_numbers:
            values = np.array([c.strip() for c in col], dtype=object)
            values[is_missing] = None
            text[name] = values
            reasons[name] = "ID-like" if _text_is_id(name, values, n_rows) else "text"
            continue
        numeric[name] = numbers
        thousands |= grouped
        finite = np.isfinite(numbers)
        if _numbers_are_id(name, j, numbers):
            reasons[name] = "ID-like"
        elif finite.sum() < 0.5 * n_rows:
            reasons[name] = "too few numbers"
        elif np.unique(numbers[finite]).size == 1:
            reasons[name] = "constant"
        else:
            _warn_bad_cells(report, name, col, numbers, is_text, body_lines)
            reasons[name] = None
    if thousands:
        report.thousands = "." if report.decimal == "," else ","
    kept = [name for name in names if reasons[name] is None]
    report.columns_kept = kept
    report.columns_dropped = [(name, reasons[name]) for name in names if reasons[name] is not None]
    if len(kept) < 2:
        raise _too_few_columns(names, kept, report)
    for name in kept:
        _check_magnitude(name, numeric[name], body_lines)

    X = np.column_stack([numeric[name] for name in kept])
    X[~np.isfinite(X)] = np.nan
    status = np.full(n_read, USED, dtype=object)
    status[n_rows:] = [f"summary row ({label})" for label in footers]
    keep, filled = handle_gaps(X, kept, body_lines, report, missing, status)
    n_left = int(keep.sum())
    if n_left < min_rows:
        if n_left < n_rows:
            which = "any feature column" if missing == "use" else "every numeric column"
            raise DataError(
                f"Only {n_left} of the {n_rows} rows have a value in {which}, but "
                f"at least {min_rows} are needed. Fill the gaps, or choose to fill them with the "
                "column mean or median."
            )
        raise _too_few_rows(n_rows, min_rows)

    features = pd.DataFrame(X[keep], columns=kept, dtype=np.float64)
    frame = pd.DataFrame(
        {
            name: (
                pd.Series(numeric[name][keep], dtype=np.float64)
                if name in numeric
                else pd.Series(text[name][keep], dtype=object)
            )
            for name in names
        }
    )
    frame[kept] = features.to_numpy()  # imputed values, as used
    candidates = [n for n in names if _is_label(n, reasons[n], frame[n])]
    used = np.flatnonzero(keep)
    key_name, keys = row_keys(cells, [n for n in names if reasons[n] == "ID-like"], used,
                               line_numbers)
    original = OriginalRows(cells=cells, lines=line_numbers, used=used, status=status,
                            key_name=key_name, keys=keys, filled=filled,
                            delimiter=report.delimiter, decimal=report.decimal)
    return TableResult(
        features=features,
        frame=frame,
        report=report,
        label_candidates=candidates,
        line_numbers=body_lines[keep],
        original=original,
    )

