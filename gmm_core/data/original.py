"""The user's table as given: every row read, every cell as text, and what became of each row.

Fitting needs clean numbers, but what a user gets back must be what they gave.
:class:`OriginalRows` keeps, beside the numbers the reader derived:

* **cells** -- every data row of the file in file order, every column, each
  cell's text exactly as read (``1`` stays ``1``, a blank stays blank);
* **status** -- per row, ``""`` when it was fitted as given, ``"had gaps: Age"``
  when it was fitted with blank cells left blank (the reader's ``missing="use"``),
  else why it was left out ("missing value in Age", "summary row (Total)");
* **the row key** -- one name per row used everywhere a row is listed: the
  user's ID column when the file has one, else the 1-based file line (a
  demo's row number);
* **filled** -- under mean/median filling, the value used for each filled
  cell, never written over the cell itself.

Exports (:func:`gmm_core.outputs.export.segment_table`), listings of rows
(:meth:`OriginalRows.listing`: unusual and borderline rows) and the Data
page's preview read rows from here.

Examples
--------
>>> rows = OriginalRows.from_frame(__import__("pandas").DataFrame({"a": [1.5, 2.0]}))
>>> rows.key_name, rows.keys.tolist(), rows.cells["a"].tolist()
('row', ['1', '2'], ['1.5', '2'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.data._columns import _looks_like_id

__all__ = ["HAD_GAPS", "OriginalRows", "USED", "decimals_of", "format_like", "gap_status",
           "row_keys"]

#: ``status`` of a row that was fitted.
USED = ""
#: ``status`` of a row fitted with blank cells (``missing="use"``): this, then the columns.
HAD_GAPS = "had gaps: "
_PLAIN_NUMBER = re.compile(r"^\s*[+-]?\d[\d.,'\s]*\s*$")
_MAX_DECIMALS = 6


@dataclass(frozen=True, eq=False)
class OriginalRows:
    """The rows of a table as the user gave them, and what became of each.

    Attributes
    ----------
    cells : pandas.DataFrame
        Every data row read, in file order (a fresh RangeIndex), every column,
        each cell as its text (pandas ``string`` dtype; blanks are ``""``).
    lines : ndarray of int or None
        1-based file line of each row of ``cells`` (``None`` for demos).
    used : ndarray of int
        Positions in ``cells`` of the fitted rows, in the order they were fitted.
    status : ndarray of str
        Per row of ``cells``: :data:`USED`, :data:`HAD_GAPS` and its blank
        feature columns (fitted, nothing filled in), or why the row was left out.
    key_name : str
        The user's ID column, ``"line"`` (file line) or ``"row"`` (demos).
    keys : ndarray of str
        Per row of ``cells``: its key.
    filled : pandas.DataFrame or None
        One column per feature that had gaps filled, aligned with the fitted
        rows: the number used where a cell was filled, NaN elsewhere.
    delimiter, decimal : str
        The file's field separator and decimal mark (exports use the same).
    """

    cells: pd.DataFrame
    lines: np.ndarray | None
    used: np.ndarray
    status: np.ndarray
    key_name: str
    keys: np.ndarray
    filled: pd.DataFrame | None = None
    delimiter: str = ","
    decimal: str = "."

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> OriginalRows:
        """A generated table (a demo): every row used, numbers written shortest-exact.

        Its key is an ID-named column of unique values ("CustomerID"), else the
        1-based row number.
        """
        frame = frame.reset_index(drop=True)
        cells = pd.DataFrame({
            str(c): pd.array([_shortest(v) for v in frame[c].tolist()], dtype="string")
            for c in frame.columns})
        n = len(frame)
        key_name, keys = "row", np.array([str(i + 1) for i in range(n)], dtype=object)
        for c in cells.columns:
            values = cells[c].to_numpy(dtype=object)
            if _looks_like_id(c) and all(values) and pd.unique(values).size == n:
                key_name, keys = c, values
                break
        while key_name == "row" and "row" in cells.columns:
            key_name = "row number"
        return cls(cells=cells, lines=None, used=np.arange(n), status=np.full(n, USED, object),
                   key_name=key_name, keys=keys)

    @property
    def n_read(self) -> int:
        """Rows read (fitted or not)."""
        return int(self.cells.shape[0])

    @property
    def fitted_keys(self) -> np.ndarray:
        """The key of each fitted row, aligned with the fitted data."""
        return self.keys[self.used]

    def was_filled(self) -> np.ndarray:
        """Per fitted row: True when at least one of its cells was filled in."""
        if self.filled is None or self.filled.empty:
            return np.zeros(self.used.shape[0], dtype=bool)
        return self.filled.notna().any(axis=1).to_numpy()

    def filled_columns(self) -> np.ndarray:
        """Per fitted row: the names of its filled-in columns, ``"; "``-joined (``""`` if none)."""
        if self.filled is None or self.filled.empty:
            return np.full(self.used.shape[0], "", dtype=object)
        mask = self.filled.notna().to_numpy()
        names = list(self.filled.columns)
        return np.array(["; ".join(n for n, m in zip(names, row, strict=True) if m)
                         for row in mask],
                        dtype=object)

    def gap_columns(self) -> np.ndarray:
        """Per fitted row: its blank feature columns, ``", "``-joined (``""`` if none).

        Only rows used with their gaps (``missing="use"``) have any; filled-in
        rows are :meth:`filled_columns`.

        >>> rows = OriginalRows.from_frame(pd.DataFrame({"a": [1.0, 2.0]}))
        >>> rows.gap_columns().tolist()
        ['', '']
        """
        status = np.asarray(self.status, dtype=object)[self.used]
        return np.array([s[len(HAD_GAPS):] if str(s).startswith(HAD_GAPS) else "" for s in status],
                        dtype=object)

    def had_gaps(self) -> np.ndarray:
        """Per fitted row: True when it was fitted with blank cells (nothing filled in)."""
        return self.gap_columns() != ""

    def decimals(self, column: str) -> int:
        """How many decimals the column's numbers carry in the file (at most 6).

        >>> rows = OriginalRows.from_frame(pd.DataFrame({"a": [1.0, 2.25]}))
        >>> rows.decimals("a")
        2
        """
        return decimals_of(self.cells[column], self.decimal)

    def listing(self, positions: ArrayLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Fitted rows (``positions`` into the fitted data) as the user gave them.

        The key comes first, under :attr:`key_name`; then the cells of
        ``columns`` (default: every column), as text; then, when any listed
        row had gaps filled, ``filled in``: which of its columns were; when any
        was used with its gaps, ``had gaps``: its blank columns.

        >>> rows = OriginalRows.from_frame(pd.DataFrame({"x": [3.0, 4.5]}))
        >>> rows.listing([1]).values.tolist()
        [['2', '4.5']]
        """
        positions = np.asarray(positions, dtype=int)
        at = self.used[positions]
        columns = list(self.cells.columns) if columns is None else list(columns)
        columns = [c for c in columns if c != self.key_name]
        out = pd.DataFrame({self.key_name: self.keys[at]})
        body = self.cells.iloc[at][columns].reset_index(drop=True).astype(object)
        out = pd.concat([out, body], axis=1)
        filled = self.filled_columns()[positions]
        if any(filled):
            out["filled in"] = filled
        gaps = self.gap_columns()[positions]
        if any(gaps):
            out["had gaps"] = gaps
        return out


def gap_status(columns: Iterable[str]) -> str:
    """The status of a row fitted with the blank ``columns``.

    >>> gap_status(["Age", "income"])
    'had gaps: Age, income'
    """
    return HAD_GAPS + ", ".join(str(c) for c in columns)


def row_keys(cells: pd.DataFrame, id_columns: Iterable[str], used: np.ndarray,
             line_numbers: Sequence[int]) -> tuple[str, np.ndarray]:
    """The row key's name and each row's key: the first of ``id_columns`` whose cells name
    every fitted row (``used``) uniquely, else ``"line"`` and the 1-based file line."""
    for name in id_columns:
        keys = cells[name].fillna("").str.strip().to_numpy(dtype=object)
        mine = keys[used]
        if all(mine) and pd.unique(mine).size == mine.size:
            return name, keys
    key_name = "line"
    while key_name in cells.columns:
        key_name = "file " + key_name
    return key_name, np.array([str(int(v)) for v in line_numbers], dtype=object)


def _shortest(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    return str(value)


def decimals_of(cells: pd.Series, decimal: str = ".") -> int:
    """The most decimals among a column's number cells (capped at 6; 0 for integers or text).

    >>> decimals_of(pd.Series(["1", "2,50", "x"]), ",")
    2
    """
    most = 0
    mark = re.escape(decimal)
    pattern = re.compile(rf"{mark}(\d+)\s*$")
    for text in pd.Series(cells).dropna().astype(str).head(5000):
        if not _PLAIN_NUMBER.match(text):
            continue
        m = pattern.search(text)
        if m:
            most = max(most, len(m.group(1)))
            if most >= _MAX_DECIMALS:
                return _MAX_DECIMALS
    return most


def format_like(value: float | None, decimals: int, decimal: str = ".") -> str:
    """``value`` with ``decimals`` decimals and the file's decimal mark: ``61``, ``12,5``.

    >>> format_like(61.0, 0), format_like(12.456, 1, ","), format_like(float("nan"), 2)
    ('61', '12,5', '')
    """
    if value is None or not np.isfinite(value):
        return ""
    text = f"{float(value):.{int(decimals)}f}"
    return text.replace(".", decimal) if decimal != "." else text
