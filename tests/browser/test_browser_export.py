"""Issue 16, item 4, in a real browser: the CSV export hands back the upload cell by cell.

A 2,000-row customer file (an ID column, a text column, integer ages, blank
cells, an Excel-style "Total" footer) is uploaded through the page, gaps are
filled with the column mean, and the "Rows with segments" download is compared
with the uploaded text: same rows in the same order, every original cell the
same text, blanks blank, the footer present with its reason, probabilities
with 4 decimals, filled-in values only in their own columns.
"""

import csv
import io

import numpy as np
import pytest

from browser.conftest import TIMEOUT_MS, download, no_exception, settle

pytestmark = [pytest.mark.browser, pytest.mark.viewport(1400)]

N = 2000


def customers_csv(n=N, seed=3):
    rng = np.random.default_rng(seed)
    lines = ["CustomerID,Gender,Age,Annual income (k$),Spending score"]
    centres = [(25, 20), (55, 50), (85, 80), (30, 80), (85, 15)]
    for i in range(n):
        cx, cy = centres[i % 5]
        age = "" if i % 97 == 5 else str(int(rng.integers(18, 70)))
        income = "" if i % 131 == 7 else f"{cx + rng.normal(0, 6):.1f}"
        spend = str(int(np.clip(cy + rng.normal(0, 7), 1, 100)))
        sex = "Female" if rng.random() < 0.55 else "Male"
        lines.append(f"{i + 1},{sex},{age},{income},{spend}")
    lines.append("Total,,,123456.7,98765")
    return "\n".join(lines) + "\n"


def test_the_csv_export_is_the_upload_plus_what_was_computed(page, tmp_path):
    text = customers_csv()
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    page.wait_for_selector("h1:has-text('Data')")
    settle(page)
    page.locator('[data-testid="stSelectbox"]', has_text="Rows with missing values").click()
    page.get_by_role("option", name="fill with the column mean").click()
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]').innerText"
        ".includes('customers.csv')", timeout=TIMEOUT_MS)
    settle(page)
    no_exception(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "summary row" in body          # the footer is reported, not fitted

    page.locator('[data-testid="stSidebarNav"] a', has_text="Segments").click()
    page.wait_for_selector("h1:has-text('Segments')")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3",
                           timeout=TIMEOUT_MS)
    settle(page, pause_ms=1000)
    no_exception(page)
    data = download(page, "Rows with segments (CSV)")

    given = list(csv.reader(io.StringIO(text)))
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, rows = back[0], back[1:]
    assert header[:5] == given[0]
    assert len(rows) == len(given) - 1 == N + 1            # every row, the footer too, in order
    mismatched = [i for i, (got, want) in enumerate(zip(rows, given[1:], strict=True))
                  if got[:5] != want]
    assert mismatched == []                                # every original cell, as text
    assert sum(r[2] == "" for r in rows) == sum(g[2] == "" for g in given[1:]) > 0  # blanks blank
    status = header.index("status")
    assert rows[-1][status] == "left out: summary row (Total)"
    assert rows[-1][header.index("segment")] == ""
    filled = [i for i, r in enumerate(rows) if r[status] == "assigned (gaps filled in)"]
    assert filled and all(rows[i][2] == "" or rows[i][3] == "" for i in filled)
    assert {r[status] for r in rows[:-1]} == {"assigned", "assigned (gaps filled in)"}
    age_fill = header.index("Age (filled in)")
    assert all((rows[i][age_fill] != "") == (rows[i][2] == "") for i in range(N))
    probability = [j for j, h in enumerate(header) if h.startswith("probability_")]
    assert len(probability) >= 2
    for r in rows[:-1]:
        values = [r[j] for j in probability]
        assert all(len(v.split(".")[1]) == 4 for v in values)     # 4 decimals, no 1e-16
        assert abs(sum(map(float, values)) - 1) < 5e-4
