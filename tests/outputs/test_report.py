"""The standalone HTML report: self-contained, interactive, every user string escaped."""

import re

import numpy as np
import pandas as pd
import pytest

from gmm_core.analysis.compare import compare_models
from gmm_core.analysis.segments import borderline_frame, describe_segments
from gmm_core.analysis.unusual import unusual_frame, unusual_rows
from gmm_core.outputs.report import html_report
from gmm_core.plots import segments as figs

EVIL = "<script>alert(1)</script>"


def _report(feature_names, names, *, source="shop.csv"):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1, (60, 2)), rng.normal([8, 8], 1, (60, 2))])
    frame = pd.DataFrame(X, columns=feature_names)
    cmp = compare_models(X, 2, random_state=0)
    s = describe_segments(X, cmp.proba, cmp.means, feature_names)
    u = unusual_rows(-cmp.gmm.score_samples(cmp.scaler.transform(X)), count=3)
    overview = figs.overview_figure(X, s.labels, names, means=cmp.means, unusual=X[u.indices],
                                    axis_titles=tuple(feature_names))
    diffs = [figs.difference_figure(p.percentile, s.words, p.index) for p in s.segments]
    sure = figs.certainty_figure([p.sure_share for p in s.segments], names)
    return html_report(s, names, title=f"Segments of {source}", source=source, overview=overview,
                       differences=diffs, certainty=sure,
                       borderline=[borderline_frame(s, j, X, names) for j in range(2)],
                       unusual=unusual_frame(u, frame, names, s.labels),
                       notes=[f"Fitted on {source}."])


@pytest.fixture(scope="module")
def evil_page():
    return _report([EVIL, "spend & <b>save</b>"], [EVIL, "Normal"], source=f"{EVIL}.csv")


def test_user_strings_are_escaped_never_tags(evil_page):
    page = evil_page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
    assert "<b>save</b>" not in page
    # the only script tags are plotly's own (the library once, then one per chart)
    opened = re.findall(r"<script[^>]*>", page)
    assert all(tag in ('<script type="text/javascript">', "<script>") or "charset" in tag
               for tag in opened), set(opened)


def test_plotly_js_is_inlined_once_and_nothing_is_fetched(evil_page):
    page = evil_page
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # the library's banner, once
    assert len(page) > 3_000_000  # the library itself
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert page.count('class="plotly-graph-div"') == 1 + 2 + 1  # overview, 2 differences, sure


def test_report_has_a_card_per_segment_with_its_numbers():
    page = _report(["income (k$)", "spend"], ["Big spenders", "Savers"])
    assert page.count('class="card"') == 2
    for name in ("Big spenders", "Savers"):
        assert f"<h3>{name}</h3>" in page
    assert "60</b><span>rows" in page and "50%</b>" in page
    assert "Glossary" in page and "Unusual rows" in page
    words = re.sub(r"<script.*?</script>", "", page, flags=re.S).lower()  # the page's own text
    assert "covariance" not in words and "responsibilit" not in words


def test_names_must_match_segments():
    X = np.array([[0.0], [1.0], [5.0]])
    s = describe_segments(X, np.eye(2)[[0, 0, 1]], np.array([[0.5], [5.0]]), ["x"])
    with pytest.raises(ValueError, match="names"):
        html_report(s, ["only one"])


def test_report_cards_take_the_charts_colours():
    """Issue 16: colours follow the segment's slot, so a card matches its ellipse after a refit."""
    from gmm_core.plots.theme import colour

    X = np.array([[0.0], [1.0], [5.0], [6.0]])
    s = describe_segments(X, np.eye(2)[[0, 0, 1, 1]], np.array([[0.5], [5.5]]), ["x"])
    names = ["Low", "High"]
    page = html_report(s, names, slots=(4, 1))
    assert f'style="--seg: {colour(4)}"' in page and f'style="--seg: {colour(1)}"' in page
    assert f'style="--seg: {colour(0)}"' not in page
