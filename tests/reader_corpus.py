"""The reader's corpus: 64 small files, each with the exact outcome it must have.

Shared by ``tests/data/test_reader.py`` (each file read directly) and
``tests/app/test_hardening.py`` (the hostile ones uploaded through the app).
"""

import zlib


def rows(header, n=5, start=1.0):
    """A small clean comma file with ``n`` rows of distinct numbers."""
    lines = [",".join(header)]
    for i in range(n):
        lines.append(",".join(f"{start + i * (j + 1) + 0.5 * j}" for j in range(len(header))))
    return ("\n".join(lines) + "\n").encode()


def png_bytes():
    raw = b"\x00\xff\x00\xff"
    chunk = b"IDAT" + zlib.compress(raw)
    return b"\x89PNG\r\n\x1a\n" + len(chunk).to_bytes(4, "big") + chunk + b"\x00" * 8


class Err:
    """Expected DataError whose message contains ``gist`` (case-insensitive)."""

    def __init__(self, gist, row=None, column=None):
        self.gist, self.row, self.column = gist, row, column


MISSING_BLOCK = "a,b\n1,NA\n2,n/a\n3,N/A\n4,#N/A\n5,null\n6,NULL\n7,-\n8,NaN\n9,\n" + "".join(
    f"{i},{i * i}\n" for i in range(10, 20)
)

# (id, data, read_table kwargs, expected)
CORPUS = [
    ("comma", b"a,b\n1,2\n3,4\n5,7\n", {}, dict(columns=["a", "b"], shape=(3, 2),
                                                  values=[[1, 2], [3, 4], [5, 7]])),
    ("semicolon-decimal-comma", b"x;y\n1,5;2,5\n3,0;4\n5;6,25\n", {},
     dict(columns=["x", "y"], shape=(3, 2), values=[[1.5, 2.5], [3, 4], [5, 6.25]],
          report=dict(delimiter=";", decimal=","))),
    ("tab", b"x\ty\tz\n1\t2\t3\n4\t5\t6\n7\t8\t10\n", {},
     dict(columns=["x", "y", "z"], shape=(3, 3), report=dict(delimiter="\t"))),
    ("pipe", b"x|y\n1|2\n3|4\n5|7\n", {},
     dict(columns=["x", "y"], shape=(3, 2), report=dict(delimiter="|"))),
    ("utf8-bom", b"\xef\xbb\xbfa,b\n1,2\n3,4\n5,7\n", {},
     dict(columns=["a", "b"], shape=(3, 2), report=dict(encoding="utf-8-sig"))),
    ("utf16-le-bom", "a\tb\n1\t2\n3\t4\n5\t7\n".encode("utf-16-le").join([b"\xff\xfe", b""]), {},
     dict(columns=["a", "b"], shape=(3, 2), report=dict(encoding="utf-16-le"))),
    ("utf16-be-bom", b"\xfe\xff" + "a;b\n1,5;2\n3;4\n5;7\n".encode("utf-16-be"), {},
     dict(columns=["a", "b"], shape=(3, 2), values=[[1.5, 2], [3, 4], [5, 7]],
          report=dict(encoding="utf-16-be", decimal=","))),
    ("utf32-bom", "a,b\n1,2\n3,4\n5,7\n".encode("utf-32"), {},
     dict(columns=["a", "b"], shape=(3, 2))),
    ("utf16-truncated", "a,b\n1,2\n3,4\n5,7\n".encode("utf-16")[:-1] + b"\x00\xd8", {},
     Err("is not valid UTF-16")),
    ("utf16-no-bom", "a,b\n1,2\n3,4\n5,7\n".encode("utf-16-le"), {},
     dict(columns=["a", "b"], shape=(3, 2), report=dict(encoding="utf-16-le"))),
    ("cp1252", "Größe (cm);Preis (€)\n170;2,5\n180;3\n175;4\n".encode("cp1252"), {},
     dict(columns=["Größe (cm)", "Preis (€)"], shape=(3, 2), report=dict(encoding="cp1252"))),
    ("latin1-only", b"caf\xe9 \x81,b\n1,2\n3,4\n5,7\n", {},
     dict(columns=["café \x81", "b"], shape=(3, 2), report=dict(encoding="latin-1"))),
    ("quoted-fields", b'name,x,y\n"Smith, J",1,2\n"Doe, A","3","4"\n"Roe, B",5,7\n', {},
     dict(columns=["x", "y"], shape=(3, 2), dropped=[("name", "text")])),
    ("quoted-newline", b'a,b,note\n1,2,"two\nlines"\n3,4,z\n5,7,w\n', {},
     dict(columns=["a", "b"], shape=(3, 2), lines=[2, 4, 5], dropped=[("note", "text")])),
    ("blank-lines", b"a,b\n\n1,2\n\n   \n3,4\n,\n5,7\n\n\n", {},
     dict(columns=["a", "b"], shape=(3, 2), lines=[3, 6, 8])),
    ("crlf", b"a,b\r\n1,2\r\n3,4\r\n5,7\r\n", {}, dict(columns=["a", "b"], shape=(3, 2))),
    ("cr-only", b"a,b\r1,2\r3,4\r5,7\r", {}, dict(columns=["a", "b"], shape=(3, 2))),
    ("trailing-delimiters", b"a,b,\n1,2,\n3,4,\n5,7,\n", {},
     dict(columns=["a", "b"], shape=(3, 2), dropped=[])),
    ("trailing-delimiter-some-rows", b"a;b\n1;2;\n3;4\n5;7;;\n", {},
     dict(columns=["a", "b"], shape=(3, 2), warnings=0)),
    ("missing-markers-drop", MISSING_BLOCK.encode(), {},
     dict(columns=["a", "b"], shape=(10, 2), report=dict(rows_dropped=9),
          lines=list(range(11, 21)))),
    ("missing-markers-mean", MISSING_BLOCK.encode(), dict(missing="mean"),
     dict(columns=["a", "b"], shape=(19, 2), report=dict(rows_imputed=9, cells_imputed=9))),
    ("missing-median", b"a,b\n1,\n2,10\n3,20\n4,90\n", dict(missing="median"),
     dict(columns=["a", "b"], shape=(4, 2), values=[[1, 20], [2, 10], [3, 20], [4, 90]])),
    ("empty", b"", {}, Err("is empty")),
    ("blank-only", b"\n \r\n\t\n", {}, Err("no text")),
    ("header-only", b"a,b,c\n", {}, Err("no data rows")),
    ("png-renamed", png_bytes(), {}, Err("PNG image")),
    ("xlsx-renamed", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), {}, Err("Excel")),
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", {}, Err("PDF")),
    ("binary-nul", b"a,b\n1,2\x00\x00\x07\x00\x01\n3,4\n", {}, Err("binary data")),
    ("control-chars", bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15]) * 10, {}, Err("binary data")),
    ("one-column", b"a\n1\n2\n3\n", {}, Err("only one ('a')")),
    ("space-separated", b"a b c\n1 2 3\n4 5 6\n7 8 9\n", {}, Err("Only one column was found")),
    ("text-only", b"name,city\nAda,Paris\nBob,Rome\nCy,Oslo\n", {}, Err("has none")),
    ("too-few-rows", b"a,b\n1,2\n3,4\n", {}, Err("only 2 data row")),
    ("too-few-complete-rows", b"a,b\n1,\n2,3\n,4\n5,6\n", {}, Err("Only 2 of the 4 rows")),
    ("ragged-wrong-delimiter", b"a,b\n1,2,3\n4,5,6\n7,8,9\n", {},
     Err("Line 2 has 3 values", row=2)),
    ("ragged-one-long-row", rows(["a", "b"], 20).replace(b"\n3.0,", b"\n3.0,9,", 1), {},
     dict(columns=["a", "b"], shape=(19, 2), warnings=1, n_rows_read=19)),
    ("short-row", b"a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,12\n", {},
     dict(columns=["a", "b", "c"], shape=(3, 3), lines=[2, 4, 5], report=dict(rows_dropped=1))),
    ("overflow-1e400", b"a,b\n1,2\n1e400,3\n4,5\n6,8\n", {},
     dict(columns=["a", "b"], shape=(3, 2), warn="too large", lines=[2, 4, 5])),
    ("infinity", b"a,b\n1,2\ninf,3\n4,-Infinity\n6,8\n7,9\n", {},
     dict(columns=["a", "b"], shape=(3, 2), warn="infinite")),
    ("all-missing-column", b"a,b,c\n1,2,\n3,4,NA\n5,7,\n", {},
     dict(columns=["a", "b"], shape=(3, 2), dropped=[("c", "all-missing")])),
    ("constant-column", b"a,b,c\n1,2,5\n3,4,5\n5,7,5\n", {},
     dict(columns=["a", "b"], shape=(3, 2), dropped=[("c", "constant")])),
    ("id-column", b"CustomerID,x,y\n101,1,2\n102,3,4\n103,5,7\n", {},
     dict(columns=["x", "y"], shape=(3, 2), dropped=[("CustomerID", "ID-like")])),
    ("text-id-column", b"code,x,y\nC001,1,2\nC002,3,4\nC003,5,7\n", {},
     dict(columns=["x", "y"], shape=(3, 2), dropped=[("code", "ID-like")])),
    ("pandas-index", b",x,y\n0,1,2\n1,3,4\n2,5,7\n", {},
     dict(columns=["x", "y"], shape=(3, 2), dropped=[("Column 1", "ID-like")])),
    ("no-header", b"1,2\n3,4\n5,7\n", {},
     dict(columns=["Column 1", "Column 2"], shape=(3, 2), report=dict(has_header=False))),
    ("no-header-with-text-column", b"1,2,a\n3,4,b\n5,7,a\n", {},
     dict(columns=["Column 1", "Column 2"], shape=(3, 2), labels={"Column 3": ["a", "b", "a"]})),
    ("numeric-header-names-kept", b"x,2020,2021\n1,2,3\n4,5,6\n7,8,10\n", {},
     dict(columns=["x", "2020", "2021"], shape=(3, 3), report=dict(has_header=True))),
    ("mostly-missing-column", b"a,b,c\n1,2,\n3,4,\n5,7,9\n6,1,\n", {},
     dict(columns=["a", "b"], shape=(4, 2), dropped=[("c", "too few numbers")])),
    ("mostly-text-column", b"a,b,c\n1,2,x\n3,4,y\n5,7,3\n6,1,z\n", {},
     dict(columns=["a", "b"], shape=(4, 2), dropped=[("c", "text")])),
    ("stray-text-cell", b"a,b\n1,2\n2,oops\n3,4\n5,7\n", {},
     dict(columns=["a", "b"], shape=(3, 2), warn="not a number", lines=[2, 4, 5])),
    ("thousands-quoted", b'a,b\n"1,234.5",2\n"2,000",3\n"3,100.25",4\n', {},
     dict(columns=["a", "b"], shape=(3, 2), values=[[1234.5, 2], [2000, 3], [3100.25, 4]],
          report=dict(thousands=","))),
    ("thousands-dot-decimal-comma", b"a;b\n1.234,5;2\n2.000,0;3\n3,5;4\n", {},
     dict(columns=["a", "b"], shape=(3, 2), values=[[1234.5, 2], [2000, 3], [3.5, 4]],
          report=dict(decimal=",", thousands="."))),
    ("excel-sep-line", b"sep=;\na;b\n1;2\n3;4\n5;7\n", {},
     dict(columns=["a", "b"], shape=(3, 2), report=dict(delimiter=";"), lines=[3, 4, 5])),
    ("title-line", b"Export from ShopTool\na,b\n1,2\n3,4\n5,7\n", {},
     dict(columns=["a", "b"], shape=(3, 2), lines=[3, 4, 5], warn="title")),
    ("duplicate-names", b"x,x,x\n1,2,3\n3,4,5\n5,7,2\n", {},
     dict(columns=["x", "x (2)", "x (3)"], shape=(3, 3))),
    ("label-column", b"species,x,y\nA,1,2\nB,3,4\nA,5,7\nB,2,2\n", {},
     dict(columns=["x", "y"], shape=(4, 2), labels={"species": ["A", "B", "A", "B"]})),
    ("unclosed-quote", b'a,b\n1,"2\n3,4\n5,6\n', {}, Err("never closed", row=2)),
    ("spaces-around-values", b"a , b\n 1 , 2\n 3 ,4 \n5, 7\n", {},
     dict(columns=["a", "b"], shape=(3, 2), values=[[1, 2], [3, 4], [5, 7]])),
    ("too-large", rows(["a", "b"], 50), dict(max_bytes=100), Err("limit")),
    ("too-many-columns", rows([f"c{j}" for j in range(12)]), dict(max_columns=10),
     Err("12 columns, more than the limit of 10")),
    ("too-many-rows", rows(["a", "b"], 50), dict(max_rows=20), Err("more than 20 data rows")),
    ("too-many-cells", rows(["a", "b"], 50), dict(max_cells=30), Err("(rows x columns)")),
    ("min-rows-param", rows(["a", "b"], 4), dict(min_rows=5), Err("at least 5")),
]
