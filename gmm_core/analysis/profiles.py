"""Every column described: what the other columns of the table say about each segment.

A segment is fitted on a few numeric features, but an analyst wants to know
who is in it: the gender mix, the age when age was not a feature, the city.
:func:`column_profiles` reads those columns from the user's table as given
(:class:`gmm_core.data.original.OriginalRows`) and compares each segment with
everyone:

* a **categorical** column (text with at most :data:`MAX_LEVELS` values, or
  whole numbers with at most :data:`MAX_CODES`): the level most over-represented in the segment,
  with its share there and overall -- "62% Female (51% of everyone)";
* a **numeric** column: the segment's median against everyone's --
  "typically 34 (everyone: 41)", in the column's own number format.

Both describe the values given: a blank cell is left out, never counted as a
value.  :func:`gap_counts` and :func:`gap_sentence` say how many of a
segment's rows were placed with blank feature cells (the reader's
``missing="use"``) and in which columns.

:func:`default_columns` picks at most :data:`MAX_DEFAULT` columns that are
not features, not the row key or another ID column, and not empty.

Examples
--------
>>> import pandas as pd
>>> from gmm_core.data.original import OriginalRows
>>> rows = OriginalRows.from_frame(pd.DataFrame({
...     "id": ["a", "b", "c", "d"], "sex": ["F", "F", "M", "M"],
...     "income": [30.5, 31.5, 50.0, 54.0], "x": [0.1, 0.2, 0.9, 1.0]}))
>>> default_columns(rows, ["x"])
['sex', 'income']
>>> [p.sentence for p in column_profiles(rows, [0, 0, 1, 1], 2, ["sex", "income"])[0]]
['sex: 100% F (50% of everyone)', 'income: typically 31.0 (everyone: 40.8)']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gmm_core.data._columns import _looks_like_id
from gmm_core.data._sniff import to_numbers
from gmm_core.data.original import OriginalRows, format_like

if TYPE_CHECKING:
    from gmm_core.data.original import OriginalRows

__all__ = ["MAX_LEVELS", "MAX_DEFAULT", "ColumnProfile", "default_columns", "column_profiles",
           "gap_counts", "gap_sentence", "profile_frame"]

#: A column with at most this many distinct values is described by its mix.
MAX_LEVELS = 30
#: Whole numbers with at most this many distinct values are codes (children: 0-4), not amounts.
MAX_CODES = 10
#: Columns described by default at most.
MAX_DEFAULT = 5


@dataclass(frozen=True)
class ColumnProfile:
    """One column described for one segment.

    ``kind`` is ``"mix"`` (``level`` with ``share`` in the segment and
    ``overall`` in everyone) or ``"typical"`` (medians ``value`` and
    ``overall``, with ``text`` the segment's, formatted like the file).
    """

    column: str
    kind: str
    segment: str
    everyone: str
    level: str = ""
    share: float = float("nan")
    overall: float = float("nan")

    @property
    def sentence(self) -> str:
        if self.kind == "mix":
            return f"{self.column}: {self.segment} {self.level} ({self.everyone} of everyone)"
        return f"{self.column}: typically {self.segment} (everyone: {self.everyone})"


def _column_values(rows, column):
    """``(numbers or None, text)`` of a column over the fitted rows."""
    cells = rows.cells[column].iloc[rows.used].fillna("").astype(str).str.strip()
    numbers, missing, _ = to_numbers(cells.tolist(), rows.decimal)
    present = ~missing
    text = cells.to_numpy(dtype=object)
    numeric = present.any() and np.isfinite(numbers[present]).mean() >= 0.9
    return (numbers if numeric else None), np.where(present, text, None)


def default_columns(rows: OriginalRows, features: Sequence[str],
                    limit: int = MAX_DEFAULT) -> list[str]:
    """Columns worth describing: not features, not IDs, not empty; at most ``limit``."""
    out = []
    for column in rows.cells.columns:
        if column in features or column == rows.key_name or _looks_like_id(column):
            continue
        numbers, text = _column_values(rows, column)
        present = [t for t in text if t is not None]
        if not present or len(set(present)) < 2:
            continue
        if numbers is None and len(set(present)) > MAX_LEVELS:
            continue                     # free text: names, addresses
        out.append(column)
        if len(out) >= limit:
            break
    return out


def column_profiles(rows: OriginalRows, labels: ArrayLike, k: int,
                    columns: Sequence[str]) -> list[list[ColumnProfile]]:
    """For each segment, one :class:`ColumnProfile` per column, in ``columns`` order."""
    labels = np.asarray(labels, dtype=int)
    out = [[] for _ in range(int(k))]
    for column in columns:
        numbers, text = _column_values(rows, column)
        levels = pd.unique(np.array([t for t in text if t is not None], dtype=object))
        if numbers is not None and (len(levels) > MAX_CODES or
                                    np.any(numbers[np.isfinite(numbers)] % 1)):
            places = rows.decimals(column)
            everyone = float(np.nanmedian(numbers))
            for j in range(int(k)):
                mine = numbers[labels == j]
                value = float(np.nanmedian(mine)) if np.isfinite(mine).any() else float("nan")
                out[j].append(ColumnProfile(
                    column, "typical", format_like(value, places, rows.decimal) or "–",
                    format_like(everyone, places, rows.decimal), share=value, overall=everyone))
            continue
        present = np.array([t is not None for t in text])
        overall = {v: float(np.mean(text[present] == v)) for v in levels}
        for j in range(int(k)):
            mask = (labels == j) & present
            if not mask.any():
                out[j].append(ColumnProfile(column, "mix", "–", "–"))
                continue
            share = {v: float(np.mean(text[mask] == v)) for v in levels}
            level = max(levels, key=lambda v: (share[v] - overall[v], share[v]))
            out[j].append(ColumnProfile(column, "mix", f"{share[level]:.0%}",
                                        f"{overall[level]:.0%}", level=str(level),
                                        share=share[level], overall=overall[level]))
    return out


def profile_frame(profiles: Sequence[ColumnProfile]) -> pd.DataFrame:
    """One segment's profiles as a small table: ``column, this segment, everyone``."""
    return pd.DataFrame({
        "column": [p.column for p in profiles],
        "this segment": [f"{p.segment} {p.level}".strip() if p.kind == "mix"
                         else p.segment for p in profiles],
        "everyone": [f"{p.everyone} {p.level}".strip() if p.kind == "mix"
                     else p.everyone for p in profiles],
    })


def _row_gaps(rows, features=None):
    """Per fitted row, the list of its blank columns (among ``features`` when given)."""
    return [[c for c in (columns.split(", ") if columns else ())
             if features is None or c in features] for columns in rows.gap_columns()]


def gap_counts(rows: OriginalRows, labels: ArrayLike, k: int,
               features: Sequence[str] | None = None) -> list[dict[str, int]]:
    """Per segment, ``{column: rows}`` of its members fitted with that feature cell blank.

    Only rows used with their gaps count (status ``"had gaps: ..."``), and
    only ``features`` when given (the columns the model was fitted on).

    >>> from gmm_core.data.original import gap_status
    >>> frame = pd.DataFrame({"a": [1.0, None, 3.0], "b": [None, None, 2.0]})
    >>> rows = OriginalRows.from_frame(frame)
    >>> rows = OriginalRows(rows.cells, None, rows.used, np.array(
    ...     [gap_status(["b"]), gap_status(["a", "b"]), ""], dtype=object), "row", rows.keys)
    >>> gap_counts(rows, [0, 0, 1], 2)
    [{'b': 2, 'a': 1}, {}]
    """
    labels = np.asarray(labels, dtype=int)
    out = [{} for _ in range(int(k))]
    for j, columns in zip(labels, _row_gaps(rows, features), strict=True):
        for c in columns:
            out[j][c] = out[j].get(c, 0) + 1
    for j in range(int(k)):
        out[j] = dict(sorted(out[j].items(), key=lambda item: -item[1]))
    return out


def gap_sentence(rows: OriginalRows, labels: ArrayLike, j: int, *, noun: str = "rows",
                 features: Sequence[str] | None = None) -> str:
    """How many of segment ``j``'s rows had gaps, and where ("" when none).

    >>> from gmm_core.data.original import gap_status
    >>> rows = OriginalRows.from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    >>> rows = OriginalRows(rows.cells, None, rows.used, np.array(
    ...     [gap_status(["income"]), "", ""], dtype=object), "row", rows.keys)
    >>> gap_sentence(rows, [0, 0, 1], 0, noun="customers")
    '1 of its 2 customers had gaps (income: 1): placed by the values they have, nothing filled in.'
    """
    labels = np.asarray(labels, dtype=int)
    members = labels == int(j)
    had = np.array([bool(g) for g in _row_gaps(rows, features)], dtype=bool)
    n_gaps = int(np.sum(had & members))
    if not n_gaps:
        return ""
    where = ", ".join(f"{c}: {n:,}" for c, n in gap_counts(
        rows, labels, int(labels.max()) + 1, features)[int(j)].items())
    return (f"{n_gaps:,} of its {int(members.sum()):,} {noun} had gaps ({where}): placed by "
            "the values they have, nothing filled in.")
