"""Issue 20, item 3, in a real browser: rows with gaps are used, drawn, marked and exported.

A customer file with blank income and spend cells is uploaded under the
default ("use them: the model fills nothing").  On Compare, what the charts
really draw is read from the plotly divs: every row is a point (none dropped),
the rows with gaps are exactly the hollow markers, in their segment's colour,
and their hover says which cell was blank; EM step by step draws them hollow too.
The Segments export is compared
with the upload cell by cell: a blank stays blank and the status says
"had gaps".  The Data page and a segment card are shot for docs/.
"""

import csv
import io

import numpy as np
import pytest

from browser.conftest import TIMEOUT_MS, download, no_exception, open_page, settle, shoot

pytestmark = [pytest.mark.browser, pytest.mark.viewport(900, 1400)]

N = 600


def gappy_csv(n=N, seed=11):
    """Three segments; income blank in every 10th row, spend in every 25th (never both)."""
    rng = np.random.default_rng(seed)
    lines = ["CustomerID,Gender,Annual income (k$),Spending score"]
    for i in range(n):
        cx, cy = [(25, 20), (60, 75), (90, 25)][i % 3]
        income = "" if i % 10 == 4 else f"{cx + rng.normal(0, 6):.1f}"
        spend = "" if i % 25 == 7 and income else str(int(np.clip(cy + rng.normal(0, 7), 1, 100)))
        lines.append(f"C{i + 1:04d},{'Female' if rng.random() < 0.55 else 'Male'},{income},{spend}")
    return "\n".join(lines) + "\n"


#: Every drawn point of every chart: its trace's marker symbol, colour and hover text.
READ_POINTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullData
    .filter((t, i) => p.data[i].meta === 'points')
    .map(t => ({n: t.x ? t.x.length : 0, symbol: String(t.marker.symbol),
                color: t.marker.color, group: t.legendgroup,
                text: Array.from(t.text || [])})))"""


def _upload(page, tmp_path, text):
    path = tmp_path / "gappy.csv"
    path.write_text(text, encoding="utf-8")
    page.wait_for_selector("h1:has-text('Data')")
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]').innerText"
        ".includes('gappy.csv')", timeout=TIMEOUT_MS)
    settle(page, pause_ms=1000)
    no_exception(page)


def _scroll_to(page, locator, below_header=72):
    """Scroll the app so ``locator`` starts just below Streamlit's (overlaid) top bar."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate(f"""() => {{ for (const el of document.querySelectorAll('*'))
        if (el.scrollTop > 0) el.scrollTop -= {below_header}; }}""")
    page.wait_for_timeout(300)


def test_rows_with_gaps_are_drawn_hollow_and_exported_with_their_blanks(page, tmp_path):
    text = gappy_csv()
    given = list(csv.reader(io.StringIO(text)))
    body_given = given[1:]
    gap_rows = {r[0] for r in body_given if r[2] == "" or r[3] == ""}
    assert 80 < len(gap_rows) < N
    _upload(page, tmp_path, text)
    main = page.locator('[data-testid="stMain"]').inner_text()
    n_income = sum(r[2] == "" for r in body_given)
    n_spend = sum(r[3] == "" for r in body_given)
    assert (f"Rows with gaps, used as they are: {len(gap_rows)} of {N}. Blank cells per column: "
            f"Annual income (k$): {n_income}, Spending score: {n_spend}.") in main
    choice = page.locator('[data-testid="stSelectbox"]', has_text="Rows with missing values")
    shown = choice.inner_text() + " ".join(
        i.input_value() for i in choice.locator("input").all())
    assert "use them: the model fills nothing" in shown                  # the default shown
    _scroll_to(page, page.get_by_text("What the reader did", exact=True))
    shoot(page, "data_missing.png", docs="data_missing.png")

    open_page(page, "Compare", 2, pause_ms=1500)
    no_exception(page)
    charts = page.evaluate(READ_POINTS)
    assert len(charts) == 2                                        # KMeans and GMM panels
    for traces in charts:
        assert sum(t["n"] for t in traces) == N                    # every row drawn, once
        hollow = [t for t in traces if t["symbol"].endswith("-open")]
        assert sum(t["n"] for t in hollow) == len(gap_rows)
        for t in hollow:
            solid = [s for s in traces if s["group"] == t["group"] and s is not t]
            assert solid and solid[0]["color"] == t["color"]
            assert t["symbol"] == solid[0]["symbol"] + "-open"
            keys = {line.split("<br>")[0] for line in t["text"]}
            assert keys <= gap_rows
            assert all("blank; drawn at the value the model expects" in line for line in t["text"])
        solid_keys = {line.split("<br>")[0] for t in traces if not t["symbol"].endswith("-open")
                      for line in t["text"]}
        assert not solid_keys & gap_rows
    shoot(page, "compare_missing.png")
    caption = page.locator('[data-testid="stMain"]').inner_text()
    assert "KMeans cannot take a blank" in caption

    open_page(page, "EM step by step", 1, pause_ms=1500)
    no_exception(page)
    symbols = page.evaluate("""() => { const p = document.querySelector('.js-plotly-plot');
        const i = p.data.findIndex(t => t.name === 'points');
        return Array.from(p._fullData[i].marker.symbol || []); }""")
    assert len(symbols) == N and symbols.count("circle-open") == len(gap_rows)
    shoot(page, "em_steps_missing.png")

    open_page(page, "Segments", 3, pause_ms=1500)
    no_exception(page)
    card = page.locator('[data-testid="stVerticalBlock"]').filter(
        has=page.get_by_text("had gaps (", exact=False)).filter(
        has=page.get_by_text("Typical member", exact=True)).last
    assert card.count() == 1
    _scroll_to(page, card)
    page.wait_for_timeout(500)
    # the card is nearly as tall as the window: keep Streamlit's top bar from covering its top
    page.add_style_tag(content='[data-testid="stHeader"] { display: none; }')
    shoot(page, "segments_missing_card.png", docs="segments_missing.png", element=card)
    data = download(page, "Rows with segments (CSV)")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, rows = back[0], back[1:]
    assert header[:4] == given[0] and len(rows) == N
    assert [r[:4] for r in rows] == body_given                     # cell by cell, blanks blank
    status = header.index("status")
    for row in rows:
        if row[0] in gap_rows:
            blank = [given[0][c] for c in (2, 3) if row[c] == ""]
            assert row[status] == "assigned; had gaps: " + ", ".join(blank)
        else:
            assert row[status] == "assigned"
        assert row[header.index("segment")] != ""
    assert not any("filled" in h or "likely" in h for h in header)
