"""Private helpers of :mod:`gmm_core.data.reader`: bytes -> text -> cells -> numbers.

Everything here trusts its inputs (``read_table`` validates) and raises
:class:`~gmm_core.errors.DataError` for problems the user must fix.

The steps, in order:

1. :func:`detect_binary` -- refuse files that are not text at all, from
   their magic number (PNG, JPEG, PDF, ZIP/xlsx, ...) or NUL bytes.
2. :func:`decode` -- a byte-order mark decides (UTF-8, UTF-16 LE/BE,
   UTF-32); otherwise strict UTF-8, then cp1252, then latin-1 (which
   never fails).
3. :func:`sniff_delimiter` -- of ``, ; TAB |`` pick the one that splits the
   first lines into the same number (> 1) of fields most consistently.
4. :func:`sniff_decimal` -- a decimal comma ("1,5") is only possible when
   the delimiter is not a comma; it wins when such cells outnumber "1.5".
5. :func:`parse_rows` -- stream csv rows into per-column lists, skipping
   blank and title lines and repairing or refusing ragged rows.
6. :func:`to_numbers` -- vectorised string -> float with missing markers,
   decimal mark and unambiguous thousands grouping.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from gmm_core.errors import DataError

__all__ = [
    "DELIMITERS",
    "MISSING_MARKERS",
    "decode",
    "iter_lines",
    "lines_text",
    "parse_rows",
    "detect_binary",
    "sniff_decimal",
    "sniff_delimiter",
    "to_numbers",
]

#: Candidate delimiters, in the order used to break ties.
DELIMITERS = (",", ";", "\t", "|")

#: Cell texts (compared case-insensitively, after stripping spaces) meaning "no value".
MISSING_MARKERS = frozenset(
    ["", "na", "n/a", "#n/a", "null", "nan", "-", "--", "none", "?", ".", "missing"]
)

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls) or another Office file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"\x7fELF", "a program (executable)"),
    (b"MZ", "a Windows program"),
)

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xef\xbb\xbf", "utf-8-sig", 3),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
)

#: Longest list of line numbers kept in a report (the count is always exact).
MAX_LISTED_LINES = 20
#: Ragged rows longer than the header are dropped with a warning up to this
#: share of the rows; above it the file is refused (the delimiter is wrong).
MAX_RAGGED_SHARE = 0.1

_SAVE_AS_CSV = "Save or export it as CSV (comma- or semicolon-separated text) and upload that."
_BINARY = f"This file contains binary data, so it is not a text table. {_SAVE_AS_CSV}"


def detect_binary(data):
    """Raise DataError if ``data`` is evidently not a text table.

    Examples
    --------
    >>> detect_binary(b"a,b\\n1,2\\n")
    >>> detect_binary(b"\\x89PNG\\r\\n\\x1a\\n....")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gmm_core.errors.DataError: This file is a PNG image, not a table. Save or export it as CSV ...
    """
    head = bytes(data[:16])
    for magic, what in _MAGIC:
        if head.startswith(magic) and not (magic == b"MZ" and b"\x00" not in data[:512]):
            raise DataError(f"This file is {what}, not a table. {_SAVE_AS_CSV}")
    if any(head.startswith(bom) for bom, _, _ in _BOMS):
        return  # UTF-16/32 text is full of NUL bytes; decode() judges it
    sample = bytes(data[:65536])
    if b"\x00" in sample and _utf16_without_bom(sample) is None:
        raise DataError(_BINARY)


def _utf16_without_bom(sample):
    """Guess UTF-16 without BOM: ASCII text has a NUL in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode(data):
    """Decode bytes to text; return ``(text, encoding_name)``.

    Examples
    --------
    >>> decode("a;b".encode("utf-16"))[1] in ("utf-16-le", "utf-16-be")
    True
    >>> decode("Zürich".encode("cp1252"))
    ('Zürich', 'cp1252')
    """
    data = bytes(data)
    for bom, encoding, size in _BOMS:
        if data.startswith(bom):
            try:
                text = data[size:].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"The file starts with a {encoding.upper()} marker but is not valid "
                    f"{encoding.upper()} text (broken near byte {exc.start + size}). "
                    "Re-save it as UTF-8 CSV."
                ) from None
            return _check_text(text), encoding
    guess = _utf16_without_bom(data[:65536])
    if guess is not None:
        try:
            return _check_text(data.decode(guess)), guess
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return _check_text(data.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _check_text(text):
    sample = text[:65536]
    bad = len(_CONTROL.findall(sample))
    if "\x00" in sample or bad > max(2, 0.01 * len(sample)):
        raise DataError(_BINARY)
    return text


def iter_lines(text, *, chunk_size=1 << 22):
    """Yield the lines of ``text`` with their line breaks (\\n, \\r\\n or \\r), lazily.

    Works through the text in chunks of about ``chunk_size`` characters cut
    after a ``\\n``, so, unlike ``io.StringIO(text)`` or ``str.splitlines``,
    it never holds a second copy of a 200 MB upload.

    Examples
    --------
    >>> list(iter_lines("a\\r\\nb\\rc\\n\\nd"))
    ['a\\r\\n', 'b\\r', 'c\\n', '\\n', 'd']
    >>> list(iter_lines("ab\\ncd\\nef", chunk_size=4))
    ['ab\\n', 'cd\\n', 'ef']
    """
    pos, n = 0, len(text)
    while pos < n:
        end = pos + chunk_size
        if end >= n:
            end = n
        else:
            cut = text.rfind("\n", pos, end)
            if cut < 0:  # one very long line (or only \r breaks): read to the next \n
                cut = text.find("\n", end)
            end = n if cut < 0 else cut + 1
        yield from io.StringIO(text[pos:end], newline="")
        pos = end


def sniff_delimiter(text, *, max_lines=50):
    """Pick the delimiter that splits the first lines most consistently.

    Returns ``","`` when no candidate gives more than one field (a
    one-column file; the caller reports that).

    Examples
    --------
    >>> sniff_delimiter("a;b\\n1,5;2,5\\n3,0;4\\n")
    ';'
    >>> sniff_delimiter("a|b|c\\n1|2|3\\n")
    '|'
    """
    lines = []
    for line in iter_lines(text[:1 << 20]):  # a bounded sample, however long the lines
        if line.strip():
            lines.append(line.rstrip("\r\n"))
            if len(lines) >= max_lines:
                break
    sample = "\n".join(lines)
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        if delim not in sample:
            continue
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delim))
        except csv.Error:
            continue
        counts = [len(_trim_trailing(r)) for r in rows if r]
        if not counts:
            continue
        values, freq = np.unique(counts, return_counts=True)
        modal = int(values[np.argmax(freq)])
        if modal < 2:
            continue
        consistency = float(freq.max()) / len(counts)
        score = (round(consistency, 6), modal)
        if score[0] > best_score[0] or (score[0] == best_score[0] and modal > best_score[1]):
            best, best_score = delim, score
    return best


def _trim_trailing(row):
    end = len(row)
    while end > 1 and not row[end - 1].strip():
        end -= 1
    return row[:end]


_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+(?:[eE][+-]?\d+)?$")
_DOT_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
_COMMA_DECIMAL = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+(?:[eE][+-]?\d+)?$")


def sniff_decimal(cells, delimiter):
    """Return ``","`` if the cells use a decimal comma, else ``"."``.

    Examples
    --------
    >>> sniff_decimal(["1,5", "2", "3,25"], ";")
    ','
    >>> sniff_decimal(["1,5"], ",")
    '.'
    """
    if delimiter == ",":
        return "."
    n_comma = n_dot = 0
    for cell in cells:
        cell = cell.strip()
        if _COMMA_DECIMAL.match(cell):
            n_comma += 1
        elif _DOT_DECIMAL.match(cell) and not _DOT_GROUPED.match(cell):
            n_dot += 1
    return "," if n_comma > n_dot else "."


def _grouped(decimal):
    sep = "\\." if decimal == "," else ","
    dec = "," if decimal == "," else "\\."
    return re.compile(rf"^[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d+)?$"), sep.strip("\\")


def to_numbers(values, decimal="."):
    """Convert a sequence of cell strings to floats.

    Returns ``(numbers, is_missing, used_thousands)``: ``numbers`` is float64
    with NaN where a cell is missing *or* not a number; ``is_missing`` marks
    cells that were empty or a missing marker (so ``isnan(numbers) &
    ~is_missing`` are the cells holding text).  Infinite values (``inf``,
    ``1e400``) are returned as they are; the caller decides.

    Examples
    --------
    >>> x, miss, _ = to_numbers(["1", " 2.5 ", "NA", "abc", ""])
    >>> x.tolist(), miss.tolist()
    ([1.0, 2.5, nan, nan, nan], [False, False, True, False, True])
    >>> to_numbers(["1.234,5", "2,5"], decimal=",")[0].tolist()
    [1234.5, 2.5]
    """
    s = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    is_missing = s.str.lower().isin(MISSING_MARKERS).to_numpy()
    pattern, sep = _grouped(decimal)
    grouped = s.str.match(pattern).to_numpy()
    used_thousands = bool(grouped.any())
    if used_thousands:
        s = s.where(~grouped, s.str.replace(sep, "", regex=False))
    if decimal == ",":
        s = s.str.replace(",", ".", regex=False)
    s = s.where(~is_missing, "")
    # Only plain numerals: to_numeric would also accept things like "1_000".
    # "\d+(?:\.\d*)?" accepts the same cells as "\d+\.?\d*" but splits a digit run one way
    # only: the latter backtracks quadratically on a long run followed by a non-digit
    # ("999...9x"), which froze the app whenever pandas used Python's re (any non-ASCII
    # cell in the column).  No possessive quantifiers: ASCII columns go to pyarrow's RE2.
    plain = s.str.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity)",
                            case=False).to_numpy()
    numbers = np.full(len(s), np.nan)
    if plain.any():
        numbers[plain] = pd.to_numeric(s[plain], errors="coerce").to_numpy(dtype=float)
    return numbers, is_missing, used_thousands


def parse_rows(text, report, *, max_rows, max_columns, max_cells, first_line=1):
    """Stream csv rows into per-column lists; handle preamble, blanks and ragged rows."""
    reader = csv.reader(iter_lines(text), delimiter=report.delimiter, strict=False)
    rows = _numbered_rows(reader, first_line - 1)
    # Skip up to 5 one-field title lines above the real header.
    head = []
    for item in rows:
        head.append(item)
        if len(head) >= 20:
            break
    widths = [len(_trim(r)) for _, r in head]
    modal = max(set(widths), key=widths.count) if widths else 0
    skip = 0
    while skip < min(5, len(head) - 1) and widths[skip] <= 1 < modal:
        skip += 1
    if skip:
        report.warnings.append(
            f"The first {skip} line(s) look like a title, not part of the table, and were skipped."
        )
    head = head[skip:]
    if not head:
        raise DataError("The file contains no rows of values.")
    header_line, header = head[0]
    if len(header) > 1 and not header[-1].strip() and all(
        len(r) >= len(header) and not r[len(header) - 1].strip() for _, r in head[1:]
    ):
        header = _trim(header)  # trailing delimiter on every line
    n_cols = len(header)
    if n_cols > max_columns:
        raise DataError(
            f"The header line has {n_cols} columns, more than the limit of {max_columns}. "
            "Keep only the columns you want to cluster and upload again.",
            row=header_line,
        )
    columns = [[] for _ in range(n_cols)]
    line_numbers, long_rows, short_rows = [], [], []
    n_blank = 0
    quotes = '"' in text
    multiline = None

    def rest():
        yield from head[1:]
        yield from rows

    block = []  # rows are transposed into columns a block at a time (C speed)
    cell_limit = max_cells // max(n_cols, 1)
    for line, row in rest():
        if not "".join(row).strip():
            n_blank += 1
            continue
        if quotes:
            multiline = line if any("\n" in c or "\r" in c for c in row) else None
        if len(row) != n_cols:
            if len(row) > n_cols:
                if "".join(row[n_cols:]).strip():
                    long_rows.append((line, len(_trim(row))))
                    continue
                row = row[:n_cols]
            else:
                short_rows.append(line)
                row = row + [""] * (n_cols - len(row))
        n_rows = len(line_numbers)
        if n_rows >= max_rows:
            raise DataError(
                f"The file has more than {max_rows:,} data rows, the limit. "
                "Upload a sample of the rows instead."
            )
        if n_rows >= cell_limit:
            raise DataError(
                f"The file has more than {max_cells:,} values (rows x columns), the limit. "
                "Upload fewer rows or fewer columns."
            )
        block.append(row)
        line_numbers.append(line)
        if len(block) >= 65536:
            _flush(block, columns)
    _flush(block, columns)

    if multiline is not None and text.count('"') % 2:
        raise DataError(
            f'The quote mark (") opened on line {multiline} is never closed, so the rest of the '
            "file was read as a single value. Add the closing quote mark or remove it.",
            row=multiline,
        )
    n_total = len(line_numbers) + len(long_rows)
    if long_rows:
        line, width = long_rows[0]
        if len(long_rows) > MAX_RAGGED_SHARE * n_total:
            delim = {"\t": "tab", "|": "|"}.get(report.delimiter, f"'{report.delimiter}'")
            raise DataError(
                f"Line {line} has {width} values but the header has {n_cols} names, and "
                f"{len(long_rows)} of {n_total} rows are like that. Values seem to be separated "
                f"by {delim}; make sure every row has one value per column and that text "
                "containing that character is put in double quotes.",
                row=line,
            )
        report.warnings.append(
            f"{len(long_rows)} row(s) had more values than the header has columns and were "
            f"left out (lines {lines_text([ln for ln, _ in long_rows])})."
        )
    if short_rows:
        report.warnings.append(
            f"{len(short_rows)} row(s) had fewer values than the header has columns; the "
            f"missing values count as missing (lines {lines_text(short_rows)})."
        )
    return header, header_line, columns, line_numbers


def _flush(block, columns):
    # the last flush may find the block empty: zip(*[]) yields nothing, no column changes
    for col, values in zip(columns, zip(*block, strict=True), strict=False):
        col.extend(values)
    block.clear()


def _numbered_rows(reader, offset=0):
    """Yield ``(first_line, row)``; csv.Error becomes a DataError with the line.

    ``offset`` is the number of file lines before ``reader``'s first line.
    """
    previous = offset
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(
                f"Line {previous + 1} could not be split into values ({exc}). Look for a quote "
                "mark that is never closed or a value that is extremely long.",
                row=previous + 1,
            ) from None
        yield previous + 1, row
        previous = offset + reader.line_num


def _trim(row):
    end = len(row)
    while end > 1 and not row[end - 1].strip():
        end -= 1
    return row[:end]


def lines_text(lines):
    """Line numbers as text, the first MAX_LISTED_LINES of them."""
    shown = ", ".join(str(x) for x in lines[:MAX_LISTED_LINES])
    return shown + (", ..." if len(lines) > MAX_LISTED_LINES else "")
