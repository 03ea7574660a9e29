"""Plotly figures of the Choose k page: criteria against k, KMeans' curves, stability per k.

Pure builders, ``*_figure(...) -> go.Figure``, from the tables of
:mod:`gmm_core.analysis.choose_k`.  Covariance types are models, not
segments, so they have colours and markers of their own
(:data:`COVARIANCE_STYLES`), distinct from the segment palette.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gmm_core.mixture._typing import Criterion
from gmm_core.plots.theme import AXIS_STYLE as _GRID
from gmm_core.plots.theme import FONT as _FONT
from gmm_core.plots.theme import INK as _INK
from gmm_core.plots.theme import clear_subplot_titles

__all__ = ["COVARIANCE_STYLES", "criterion_figure", "kmeans_sweep_figure", "stability_figure"]

#: Line colour and marker of each covariance type on the Choose k charts (not
#: component colours: these are models, not segments).
COVARIANCE_STYLES = {"full": ("#1B4F72", "circle"), "tied": ("#B9770E", "square"),
                     "diag": ("#7D3C98", "diamond"), "spherical": ("#5D6D7E", "triangle-up")}


def criterion_figure(curves: pd.DataFrame, criterion: Criterion = "bic", *,
                     best: tuple[int, str] | None = None, title: str | None = None) -> go.Figure:
    """BIC, AIC or ICL against k: one line per covariance type (best restart), spread as a band.

    Models whose every fit is degenerate (``curves["degenerate"]``) are
    crossed out: the criterion rewards them, but they are never recommended.

    Parameters
    ----------
    curves : pandas.DataFrame
        :func:`gmm_core.analysis.choose_k.criterion_curves`.
    criterion : {"bic", "aic", "icl"}
    best : (int, str), optional
        ``(k, covariance_type)`` to mark; default the lowest ``min`` in ``curves``.
    """
    data = curves[curves["criterion"] == criterion]
    label = criterion.upper()
    fig = go.Figure()
    for ct in [c for c in COVARIANCE_STYLES if c in set(data["covariance_type"])]:
        d = data[data["covariance_type"] == ct].sort_values("n_components")
        colour, symbol = COVARIANCE_STYLES[ct]
        if np.any(d["max"].to_numpy() > d["min"].to_numpy()):
            fig.add_trace(go.Scatter(x=d["n_components"], y=d["max"], mode="lines",
                                     line=dict(width=0, color=colour), hoverinfo="skip",
                                     showlegend=False, legendgroup=ct))
            fig.add_trace(go.Scatter(x=d["n_components"], y=d["min"], mode="lines",
                                     line=dict(width=0, color=colour), fill="tonexty",
                                     fillcolor=colour + "33", hoverinfo="skip",
                                     name=f"{ct}: spread over restarts", showlegend=False,
                                     legendgroup=ct))
        fig.add_trace(go.Scatter(
            x=d["n_components"], y=d["min"], mode="lines+markers", name=ct, legendgroup=ct,
            line=dict(color=colour, width=2.5), marker=dict(symbol=symbol, size=9),
            customdata=np.c_[d["mean"], d["max"], d["n_fits"]],
            hovertemplate=(f"{ct}, k=%{{x}}<br>{label} best %{{y:,.1f}}<br>"
                           "mean %{customdata[0]:,.1f}, worst %{customdata[1]:,.1f}"
                           "<br>%{customdata[2]} fit(s)<extra></extra>")))
    bad = data[data["degenerate"]] if "degenerate" in data else data.iloc[:0]
    if len(bad):
        fig.add_trace(go.Scatter(
            x=bad["n_components"], y=bad["min"], mode="markers",
            name="degenerate (not recommended)",
            marker=dict(symbol="x-thin", size=16, color="#C0392B", line=dict(width=3)),
            customdata=bad["covariance_type"],
            hovertemplate=(f"%{{customdata}}, k=%{{x}}: {label} %{{y:,.1f}}<br>degenerate: a "
                           "component sits on a few rows<extra></extra>")))
    if len(data):
        if best is None:
            sound = (data["min"].where(~data["degenerate"].astype(bool))
                     if 0 < len(bad) < len(data) else data["min"])
            row = data.loc[sound.idxmin()]
        else:
            row = data[(data["n_components"] == best[0])
                       & (data["covariance_type"] == best[1])].iloc[0]
        bk, bct, bv = int(row["n_components"]), str(row["covariance_type"]), float(row["min"])
        fig.add_trace(go.Scatter(x=[bk], y=[bv], mode="markers", name=f"lowest {label}",
                                 marker=dict(size=22, symbol="circle-open", color="#C0392B",
                                             line=dict(width=3)),
                                 hovertemplate=f"lowest {label}: k={bk}, {bct}<extra></extra>"))
        fig.add_annotation(x=bk, y=bv, text=f"lowest: k = {bk}, {bct}", showarrow=True,
                           arrowhead=2, ax=0, ay=42, font=dict(color="#C0392B", size=14),
                           bgcolor="rgba(255,255,255,0.85)")
    fig.add_annotation(xref="paper", yref="paper", x=0.99, y=0.98, xanchor="right",
                       yanchor="top", showarrow=False, text="<b>lower is better</b> ↓",
                       font=dict(size=14, color=_INK), bgcolor="rgba(255,255,255,0.85)")
    fig.update_layout(
        title=dict(text=title or f"{label} against the number of components k", x=0.0,
                   xanchor="left", font=dict(size=17)),
        font=_FONT, height=460, plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=80, r=16, t=48, b=100),
        legend=dict(title_text="covariance type: ", orientation="h", x=0.0, y=-0.24,
                    yanchor="top"),
        hovermode="closest")
    fig.update_xaxes(title_text="k (number of components)", dtick=1, **_GRID)
    fig.update_yaxes(title_text=label, **_GRID)
    return fig


def kmeans_sweep_figure(sweep: pd.DataFrame) -> go.Figure:
    """KMeans against k: inertia (look for the elbow) above, silhouette (higher is better) below.

    Parameters
    ----------
    sweep : pandas.DataFrame
        :func:`gmm_core.analysis.choose_k.kmeans_sweep` (``k, inertia, silhouette``).
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=("Inertia: look for the elbow",
                                        "Silhouette: higher is better"))
    colour = "#444444"
    fig.add_trace(go.Scatter(x=sweep["k"], y=sweep["inertia"], mode="lines+markers",
                             name="inertia", line=dict(color=colour, width=2.5),
                             hovertemplate="k=%{x}<br>inertia %{y:,.1f}<extra></extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=sweep["k"], y=sweep["silhouette"], mode="lines+markers",
                             name="silhouette", line=dict(color=colour, width=2.5),
                             hovertemplate="k=%{x}<br>silhouette %{y:.3f}<extra></extra>"), 2, 1)
    sil = sweep["silhouette"]
    if sil.notna().any():
        best = sweep.loc[sil.idxmax()]
        fig.add_trace(go.Scatter(x=[best["k"]], y=[best["silhouette"]], mode="markers",
                                 name="highest silhouette",
                                 marker=dict(size=20, symbol="circle-open", color="#C0392B",
                                             line=dict(width=3)),
                                 hovertemplate="highest: k=%{x}<extra></extra>"), 2, 1)
    fig.update_layout(title=dict(text="KMeans, for comparison", x=0.0, xanchor="left",
                                 font=dict(size=17)),
                      font=_FONT, height=560, plot_bgcolor="white", paper_bgcolor="white",
                      showlegend=False, margin=dict(l=80, r=16, t=70, b=60))
    fig.update_annotations(font=dict(size=13))
    fig.update_xaxes(dtick=1, **_GRID)
    fig.update_yaxes(**_GRID)
    fig.update_xaxes(title_text="k (number of clusters)", row=2, col=1)
    return clear_subplot_titles(fig)


def stability_figure(by_k: pd.DataFrame, *, best_k: int | None = None) -> go.Figure:
    """Mean segment stability against k (bars), the least stable segment's as markers.

    Parameters
    ----------
    by_k : pandas.DataFrame
        :func:`gmm_core.analysis.choose_k.stability_sweep` (``k, stability, least, n_boot``).
    best_k : int, optional
        The k recommended by the criterion, outlined.
    """
    fig = go.Figure()
    colours = ["#1B4F72" if k == best_k else "#85A5BF" for k in by_k["k"]]
    fig.add_trace(go.Bar(x=by_k["k"], y=by_k["stability"], name="average segment",
                         marker=dict(color=colours), customdata=by_k["n_boot"],
                         hovertemplate="k=%{x}: segments found again in %{y:.0%} of "
                                       "%{customdata} re-draws on average<extra></extra>"))
    fig.add_trace(go.Scatter(x=by_k["k"], y=by_k["least"], mode="markers",
                             name="least stable segment",
                             marker=dict(symbol="line-ew-open", size=26, color="#C0392B",
                                         line=dict(width=3)),
                             hovertemplate="k=%{x}: least stable segment %{y:.0%}"
                                           "<extra></extra>"))
    fig.add_hline(y=0.85, line=dict(color=_INK, dash="dash", width=1),
                  annotation_text="stable from 85%", annotation_position="top left")
    fig.update_layout(
        title=dict(text="Share of re-draws in which the segments are found again", x=0.0,
                   xanchor="left", font=dict(size=17)),
        font=_FONT, height=380, plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=80, r=16, t=56, b=90), bargap=0.35,
        legend=dict(orientation="h", x=0.0, y=-0.25, yanchor="top"))
    fig.update_xaxes(title_text="k (number of segments)", dtick=1, **_GRID)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", **_GRID)
    return fig
