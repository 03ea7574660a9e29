"""Hostile uploads and user text, shared by the AppTest and browser hardening tests.

``HOSTILE`` lists ``(id, filename, bytes, gist)``: an upload the app must refuse
with an error whose text contains ``gist`` (case-insensitive) while the previous
dataset stays loaded -- the refusals of the reader's corpus
(``tests/reader_corpus.py``) that need no special reader limits, plus the cases
named in issue 8.  ``XSS`` are strings a user might type to run script or inject
markup; each must show literally.  Every file is generated here.
"""

import zlib

import numpy as np

from reader_corpus import CORPUS, Err

#: What a user might type to run script or inject markup: each must show literally.
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
       "[click](javascript:alert(1))", "$\\LaTeX$", "**bold**")


def _png():
    chunk = b"IDAT" + zlib.compress(b"\x00\xff\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + len(chunk).to_bytes(4, "big") + chunk + b"\x00" * 8


def _wide(n_columns=2000, n_rows=5):
    lines = [",".join(f"c{j}" for j in range(n_columns))]
    lines += [",".join(str(i + j) for j in range(n_columns)) for i in range(n_rows)]
    return ("\n".join(lines) + "\n").encode()


ISSUE_CASES = [
    ("2000-columns", "wide.csv", _wide(), "2000 columns, more than the limit of 500"),
    ("one-row", "one_row.csv", b"height,weight\n170,65\n", "only 1 data row"),
    ("duplicate-points-only", "copies.csv", b"x,y\n" + b"3,4\n" * 50,
     "same value in every row"),
    ("constant-columns", "flat.csv", b"a,b,c\n1,5,7\n1,5,8\n1,5,9\n", "constant"),
    ("values-1e300", "huge.csv", b"a,b\n1e300,1\n2e300,2\n-3e300,4\n5e299,3\n",
     "too large to fit"),
    ("values-1e-300", "tiny.csv", b"a,b\n1e-300,1\n2e-300,2\n-3e-300,4\n5e-301,3\n",
     "too little to fit"),
    ("all-nan-columns", "gaps.csv", b"a,b,c\nNA,,nan\nNA,,\n,,NA\nn/a,NaN,\n",
     "every column is empty"),
    ("png-renamed-csv", "photo.csv", _png(), "PNG image, not a table"),
    ("xlsx-renamed-csv", "book.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
     "Excel workbook"),
    ("gzip-renamed-csv", "data.csv", b"\x1f\x8b\x08\x00" + bytes(64), "gzip"),
]

#: Refused by the reader's default (``missing="drop"``) but loaded by the app's,
#: ``missing="use"`` (issue 20): its rows with gaps are used, not dropped.
LOADED_UNDER_USE = {"too-few-complete-rows"}
CORPUS_CASES = [(f"corpus-{name}", f"{name}.csv", data, expected.gist)
                for name, data, kwargs, expected in CORPUS
                if isinstance(expected, Err) and not kwargs and name not in LOADED_UNDER_USE]

HOSTILE = ISSUE_CASES + CORPUS_CASES


def xss_csv(n_rows=60, seed=0):
    """Two clear groups; column names and a text column made of :data:`XSS`."""
    rng = np.random.RandomState(seed)
    names = [f"{XSS[0]} a", f"{XSS[1]} b", f"{XSS[2]} c", f"{XSS[3]} {XSS[4]}"]
    lines = [",".join(f'"{n}"' for n in names)]
    for i in range(n_rows):
        values = rng.normal(6.0 * (i % 2), 1.0, 3)
        lines.append(",".join(f"{v:.4f}" for v in values) + f',"{XSS[i % len(XSS)]}"')
    return ("\n".join(lines) + "\n").encode()


XSS_FILENAME = f"{XSS[1]} {XSS[4]} {XSS[3]}.csv"

#: Text Markdown would turn into links, tags, maths or emphasis (issue 23, item 6): bare URLs
#: and e-mail addresses (GFM autolinks them even when escaped), HTML, LaTeX and Markdown.
LINKY = ("https://example.com/x", "www.example.com", "me@example.com", "<b>b</b>",
         "<img src=x onerror=alert(1)>", "$x^2$", "**bold**", "[a](https://e.com)")
#: Column names and segment names made of :data:`LINKY` (each within the 80-character box).
LINKY_COLUMNS = (f"{LINKY[0]} {LINKY[1]}", f"{LINKY[2]} {LINKY[3]} {LINKY[5]}",
                 f"{LINKY[6]} {LINKY[7]} {LINKY[4]}")
LINKY_SEGMENTS = (f"{LINKY[7]} {LINKY[1]} {LINKY[2]} {LINKY[5]}",
                  f"{LINKY[0]} {LINKY[6]} {LINKY[3]} {LINKY[4]}")
LINKY_FILENAME = f"{LINKY[1]} {LINKY[2]}.csv"


def linky_csv(n_rows=200, seed=0):
    """Two long parallel groups (KMeans cuts across them, so the Compare sentence names
    segments) in three columns named :data:`LINKY_COLUMNS`."""
    rng = np.random.RandomState(seed)
    group = np.arange(n_rows) % 2
    X = np.c_[rng.normal(0, 10, n_rows), rng.normal(0, 0.4, n_rows) + 3 * group,
              rng.normal(0, 1, n_rows)]
    lines = [",".join('"' + n.replace('"', '""') + '"' for n in LINKY_COLUMNS)]
    lines += [",".join(f"{v:.4f}" for v in row) for row in X]
    return ("\n".join(lines) + "\n").encode()


def good_csv(tag, n_rows=120, seed=0):
    """A clean two-group file whose column names carry ``tag`` (to tell users apart)."""
    rng = np.random.RandomState(seed)
    lines = [f"{tag} x,{tag} y,{tag} z"]
    for i in range(n_rows):
        lines.append(",".join(f"{v:.4f}" for v in rng.normal(5.0 * (i % 2), 1.0, 3)))
    return ("\n".join(lines) + "\n").encode()
