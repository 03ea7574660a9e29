"""The charts: pure plotly figure builders, ``*_figure(...) -> go.Figure``.

The only part of gmm_core that imports plotly (with the HTML report, which
embeds these figures).  :mod:`~gmm_core.plots.theme` holds what every chart
shares -- segment colours, fonts, axes and the escaping of user text;
:mod:`~gmm_core.plots.compare`, :mod:`~gmm_core.plots.em` and
:mod:`~gmm_core.plots.segments` build the figures of those pages.
"""
