"""The difference chart says where a segment stands in speakable words, lines on its ticks."""

import pytest

from gmm_core.plots import segments as figs


def test_reference_lines_sit_on_the_quarter_ticks():
    """Issue 18, item 3: the dotted lines sat at thirds while the ticks were at 25 % / 75 %."""
    fig = figs.difference_figure([0.9, 0.1, 0.5], ["income", "spending", "age"], 0)
    dotted = sorted(s.x0 for s in fig.layout.shapes if s.line.dash == "dot")
    assert dotted == [25.0, 75.0]
    assert set(dotted) <= set(fig.layout.xaxis.tickvals)
    text = dict(zip(fig.layout.xaxis.tickvals, fig.layout.xaxis.ticktext, strict=True))
    assert text[25] == "bottom 25 %" and text[75] == "top 25 %"


@pytest.mark.parametrize("pct, said", [(0.08, "bottom 10 %"), (0.9, "top 10 %"),
                                       (0.76, "top 25 %"), (0.52, "around the middle")])
def test_each_feature_says_bottom_or_top(pct, said):
    fig = figs.difference_figure([pct], ["income"], 0, noun="customers")
    label = fig.data[0].y[0]
    assert said in label and "higher than" not in label
    assert "of customers" in fig.data[0].hovertemplate[0]
