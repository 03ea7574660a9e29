"""Segments: the chosen Gaussian mixture in plain words, for people who did not fit it.

A thin view over :mod:`gmm_core.analysis.segments` (profiles, names, certainty),
:mod:`gmm_core.analysis.unusual` (the rows the model finds least likely),
:mod:`gmm_core.plots.segments` (charts), :mod:`gmm_core.outputs.export` (CSV, PNG),
:mod:`gmm_core.outputs.report` (HTML) and :mod:`gmm_core.outputs.model_file` (model JSON).
The model is the one chosen on the Compare page, from the same cache entry
(:func:`ui.cache.chosen_comparison`), so nothing is fitted twice.  Names the user
types are kept per model by :func:`ui.session.segment_name_boxes` and used on
Compare too.
"""

import functools

import streamlit as st

import gmm_core
import gmm_core.analysis.compare
import gmm_core.cli
from gmm_core.analysis import profiles, segments, unusual
from gmm_core.outputs import export, project, report
from gmm_core.outputs import slides as slides_of
from gmm_core.outputs.model_file import SegmentModel
from gmm_core.plots import segments as figs
from gmm_core.plots.theme import RowHover
from ui import cache, keys, saved, session
from ui.widgets import fit_or_stop, plain, stop, stop_unless, view_axes

MAX_SHOWN = 20_000
MAX_LISTED = 200
#: Slide mode: large type that grows with the screen, little padding, one screen per slide.
#: Constant CSS (no user text), applied only to the slides.
SLIDE_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: none; padding: 4rem 3rem 0.5rem 3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] li {
  font-size: clamp(1.05rem, 2.1vh + 0.35rem, 1.75rem); line-height: 1.4; }
[data-testid="stMainBlockContainer"] h1 { font-size: clamp(2rem, 5.4vh, 3.6rem); padding: 0;
  line-height: 1.3; }
[data-testid="stMainBlockContainer"] h3 { font-size: clamp(1.3rem, 3.4vh, 2.3rem); padding: 0; }
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"],
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"] * {
  font-size: clamp(2rem, 6.5vh, 4.4rem); line-height: 1.2; }
[data-testid="stMainBlockContainer"] [data-testid="stMetricLabel"] p {
  font-size: clamp(1rem, 2.2vh, 1.5rem); }
</style>"""
#: Heights of the slides' charts, px: they fit a 1280x720 screen under the title and buttons.
SLIDE_CHART = 330
SLIDE_OVERVIEW = 430
PYTHON_USE = '''import pandas as pd
import gmm_core

model = gmm_core.load_model("segments-model.json")
frame = pd.read_csv("new_rows.csv")        # needs the columns {features}
frame["segment_label"] = model.predict(frame)
frame["segment"] = [model.segment_names[j] for j in frame["segment_label"]]'''


def _csv(rows, labels, proba, names):
    """Runs on click (no Streamlit calls: deferred downloads have no script context)."""
    return export.to_csv_bytes(export.segment_table(rows, labels, proba, names),
                               delimiter=export.export_delimiter(rows))


def _report(summary, names, view, labels_shown, unusual_points, source, borderline, unusual_table,
            notes, stable, who, noun):
    """The HTML report, built on click from precomputed numbers (no Streamlit calls)."""
    overview = figs.overview_figure(view["points"], labels_shown, names, means=view["means"],
                                    unusual=unusual_points, x_range=view["x_range"],
                                    y_range=view["y_range"], axis_titles=view["titles"],
                                    slots=view["slots"])
    diffs = [figs.difference_figure(p.percentile, summary.words, view["slots"][p.index], noun=noun)
             for p in summary.segments]
    sure = figs.certainty_figure([p.sure_share for p in summary.segments], names,
                                 slots=view["slots"])
    return report.html_report(summary, names, title="Segments", source=source, overview=overview,
                              differences=diffs, certainty=sure, borderline=borderline,
                              unusual=unusual_table, notes=notes, stability=stable,
                              columns=who, slots=view["slots"], noun=noun).encode("utf-8")


def _project(parts):
    """The project file, written on click from the session's work (no Streamlit calls)."""
    return project.project_json(**parts).encode("utf-8")


def _png(fig):
    return export.figure_png(fig, width=1400, height=fig.layout.height or 700)


def _show_slides(deck, summary, slots, overview_fig, noun):
    """Slide mode: one slide per screen, turned with the buttons or the arrow keys."""
    st.html(SLIDE_CSS)
    n = len(deck)
    i = session.slide_index(n)
    slide = deck[i]
    back, forward, where, leave = st.columns([1, 1, 5, 1.4], vertical_alignment="center")
    back.button("Back", key=keys.W_SLIDES_BACK, shortcut="ArrowLeft", width="stretch",
                disabled=i == 0, on_click=session.turn_slide, args=(-1, n))
    forward.button("Next", key=keys.W_SLIDES_NEXT, shortcut="ArrowRight", width="stretch",
                   disabled=i == n - 1, on_click=session.turn_slide, args=(1, n), type="primary")
    where.caption(f"Slide {i + 1} of {n} · the arrow keys turn the slides")
    leave.button("Leave slides", key=keys.W_SLIDES_LEAVE, on_click=session.set_slide_mode,
                 args=(False,), width="stretch")
    st.title(plain(slide.heading), anchor=False)
    if slide.kind == "title":
        m1, m2, m3 = st.columns(3)
        m1.metric(plain(noun.capitalize()), f"{summary.n_rows:,}")
        m2.metric("Segments", f"{summary.n_components}")
        m3.metric("Clearly placed", f"{summary.sure_share:.0%}")
        with st.container(border=True, key="slide_card"):
            st.markdown("\n".join(f"- {plain(p)}" for p in slide.points))
    elif slide.kind == "segment":
        st.subheader(plain(slide.share), anchor=False)
        chart, card = st.columns([6, 5], gap="large")
        p = summary.segments[slide.segment]
        with chart:
            st.markdown("**How they differ from everyone**")
            fig = figs.difference_figure(p.percentile[list(slide.features)],
                                         [summary.words[f] for f in slide.features],
                                         slots[slide.segment], large=True, noun=noun,
                                         height=SLIDE_CHART)
            st.plotly_chart(fig, key="slide_chart",
                            config={"displaylogo": False, "staticPlot": True})
        with card.container(border=True, key="slide_card"):
            st.markdown("**Typical member:** " + plain(
                ", ".join(f"{w} {v}" for w, v in slide.typical)))
            st.markdown("**How they differ:** " + plain(", ".join(slide.differs) + "."))
            st.markdown("**What it means**")
            st.markdown("\n".join(f"- {plain(p)}" for p in slide.points))
    else:
        chart, card = st.columns([3, 2], gap="large")
        overview_fig.update_layout(height=SLIDE_OVERVIEW, title_text="")
        chart.plotly_chart(overview_fig, key="slide_chart", config={"displaylogo": False})
        with card.container(border=True, key="slide_card"):
            st.markdown("\n".join(f"- {plain(p)}" for p in slide.points))


# --- guard ----------------------------------------------------------------------------------------
ds = session.get_dataset()
stop_unless(ds.n_features >= 2, "The segments need at least two feature columns. "
            "Choose them on the Data page.")
stop_unless(ds.n_rows >= 2, "The loaded data has fewer than two rows. "
            "Load more data on the Data page.")
slides = session.slide_mode()
noun = session.noun(ds)
if not slides:
    top, switch = st.columns([3, 1], vertical_alignment="bottom")
    top.title("Segments")
    switch.button("Show as slides", key=keys.W_SLIDES_START, width="stretch",
                  on_click=session.set_slide_mode, args=(True,),
                  help="For a meeting: a title slide, one slide per segment and an overview, "
                       "full screen, turned with the arrow keys.")

# --- the chosen model ---------------------------------------------------------------------------
X = ds.X
features = list(ds.features)
cmp = fit_or_stop(cache.chosen_comparison, ds, spinner="Fitting the model chosen on Compare…")
key = session.model_key(ds)
summary = cache.segment_summary(key, X, cmp, tuple(features))
k = summary.n_components
auto = summary.names

# --- names: the user's edits over the automatic ones ---------------------------------------------
name_keys, edits, names = session.segment_name_boxes(ds, auto, k)

# --- unusual rows (the threshold is read here, its slider drawn further down) --------------------
rows = ds.original
filled = rows.was_filled()
unusual_pct = float(session.seed_widget(keys.W_SEG_UNUSUAL,
                                        session.value(keys.SEGMENT_UNUSUAL, 1.0)))
session.set_value(keys.SEGMENT_UNUSUAL, unusual_pct)
skip_filled = bool(filled.any()) and bool(session.seed_widget(keys.W_SEG_SKIP_FILLED, True))
flagged = unusual.unusual_rows(cache.anomaly_scores(key, cmp, X), share=unusual_pct / 100.0,
                               exclude=filled if skip_filled else None)

# --- overview -------------------------------------------------------------------------------------
if not slides:
    st.markdown(plain(segments.overview_sentence(summary, names, noun=noun)))
    s = session.compare_settings(ds)
    st.caption(plain(
        f"Built on the Gaussian mixture chosen on the Compare page: k = {s[keys.W_K]}, "
        f"{s[keys.W_COVARIANCE]} covariance, seed {s[keys.W_SEED]}"
        + ("" if ds.scaling == "none" else f", fitted after {ds.scaling} scaling")
        + ". Change it there; names you type here are kept for this model."))
    st.page_link("pages/compare.py", label="Change the model on Compare", icon=":material/compare:")
    for message in cmp.warnings:
        st.warning(plain(message), icon=":material/warning:")

controls = st.container()
axes = None
if not slides:
    axes = view_axes(features, controls, view_key=keys.W_SEG_VIEW, x_key=keys.W_SEG_AXIS_X,
                     y_key=keys.W_SEG_AXIS_Y,
                     help="With more than two features the chart shows a 2-D view of them.")
elif len(features) <= 2:
    axes = (features[0], features[1])
elif session.value(keys.W_SEG_VIEW) == "Two features":   # the view picked before
    axes = (session.value(keys.W_SEG_AXIS_X, features[0]),
            session.value(keys.W_SEG_AXIS_Y, features[1]))
    axes = None if axes[0] == axes[1] else axes
projection = gmm_core.analysis.compare.view_projection(cmp, X, features, axes=axes)
cv = gmm_core.analysis.compare.comparison_view(cmp, X, projection, max_points=MAX_SHOWN, seed=0)
titles = tuple(segments.plain_axis_title(t) for t in cv.axis_titles)
drawn = gmm_core.analysis.compare.drawn_values(cmp, X)  # a blank cell at its expected value
unusual_points = projection.project_points(drawn[flagged.indices]) if flagged.indices.size else None
hover = RowHover(ds.key_name, ds.row_keys[cv.index], tuple(features), X[cv.index],
                 cmp.proba[cv.index], tuple(names), notes=ds.row_notes[cv.index])
overview = figs.overview_figure(cv.points, cv.gmm_labels, names, means=cv.means,
                                unusual=None if slides else unusual_points, x_range=cv.x_range,
                                y_range=cv.y_range, axis_titles=titles, large=slides,
                                slots=cmp.slots, hover=hover, gaps=cv.gaps,
                                title=f"Segments of {ds.name}: {ds.n_rows:,} {noun}")

settings = session.compare_settings(ds)
stable = fit_or_stop(cache.segment_stability, key, X, cmp, ds.scaling, settings[keys.W_INIT],
                     spinner="Checking each segment on resamples of the rows…")
choices = [c for c in rows.cells.columns if c not in features and c != rows.key_name]
described = session.seed_widget(session.dataset_key(keys.W_SEG_COLUMNS, ds),
                                profiles.default_columns(rows, features))
if slides:
    who = profiles.column_profiles(rows, summary.labels, k, [c for c in described if c in choices])
    deck = slides_of.build_slides(summary, names, subject=ds.name, noun=noun, stability=stable,
                                  who=who)
    _show_slides(deck, summary, cmp.slots, overview, noun)
    stop()

st.plotly_chart(overview, key="seg_overview", config={"displaylogo": False})
shown = (f"all {cv.n_total:,}" if cv.n_shown == cv.n_total
         else f"a fixed random sample of {cv.n_shown:,} of the {cv.n_total:,}")
st.caption(plain(f"Each dot is one of the {noun}, coloured by its most likely segment; the chart "
                 f"draws {shown}. Each segment's name sits on its typical member"
                 + (f"; the {flagged.indices.size:,} most unusual are ringed in red."
                    if flagged.indices.size else ".")
                 + (f" Hollow markers: the {int(cmp.had_gaps.sum()):,} {noun} with blank cells, "
                    "drawn where the model expects their blank cells." if cmp.had_gaps.any()
                    else "")))

# --- cards --------------------------------------------------------------------------------------
st.header("The segments")
borderline = [segments.borderline_frame(summary, j, X, names, rows=rows) for j in range(k)]
if choices:
    described = st.multiselect(
        "Describe each segment by these columns too", choices, key=session.dataset_key(
            keys.W_SEG_COLUMNS, ds), default=[c for c in described if c in choices],
        help="Columns that were not clustered: the mix of a text column in the segment "
             "against everyone, the typical value of a numeric one.")
who = profiles.column_profiles(rows, summary.labels, k, [c for c in described if c in choices])
per_row = 2
for start in range(0, k, per_row):
    # the last row may hold fewer segments than columns: its spare column stays empty
    for j, col in zip(range(start, min(start + per_row, k)), st.columns(per_row), strict=False):
        p = summary.segments[j]
        with col.container(border=True):
            st.text_input("Segment name", value=session.value(name_keys[j]),
                          key=name_keys[j], max_chars=80,
                          help="Suggested from how the segment differs from everyone; type "
                               "your own. Empty the box to get the suggestion back.")
            if names[j] != edits.get(j, auto[j]):
                st.caption(plain(f"Shown as “{names[j]}”: another segment has this name."))
            elif j in edits:
                st.caption(plain(f"Suggested name: {auto[j]}"))
            m1, m2, m3 = st.columns(3)
            m1.metric(plain(noun.capitalize()), f"{p.count:,}")
            m2.metric(plain(f"Share of all {noun}"), f"{p.share:.0%}")
            m3.metric("Certain", "–" if not p.count else f"{p.sure_share:.0%}",
                      help=plain(f"Share of its {noun} that belong to it with 90% probability "
                                 "or more."))
            st.markdown("**Typical member**")
            st.dataframe(segments.typical_frame(summary, j), hide_index=True, width="stretch")
            if who[j]:
                st.markdown("**Who they are**")
                st.dataframe(profiles.profile_frame(who[j]), hide_index=True, width="stretch")
            st.markdown("**How it differs from the average**")
            st.plotly_chart(figs.difference_figure(p.percentile, summary.words, cmp.slots[j],
                                                   noun=noun),
                            key=f"seg_diff_{j}", config={"displaylogo": False, "staticPlot": True})
            gap_note = profiles.gap_sentence(rows, summary.labels, j, noun=noun,
                                             features=features)
            if gap_note:
                st.caption(plain(gap_note), help="A blank cell is left out: the row counts by "
                           "the values it has, and no number is made up for it.")
            st.markdown(plain(stable.sentence(j, noun=noun)),
                        help=f"Each resample draws {stable.resample_rows:,} rows at random (some "
                             "twice) and fits the same model again; the segment counts as found "
                             "when a new segment shares at least 75% of its rows (Jaccard).")
            with st.expander("Borderline rows: the least sure", expanded=False):
                st.dataframe(borderline[j], hide_index=True, width="stretch")

with st.expander("Glossary: what the words mean"):
    for term, text in segments.GLOSSARY:
        st.markdown(f"**{plain(term)}** — {plain(text)}")


# --- unusual rows -------------------------------------------------------------------------------
st.header("Unusual rows")
st.caption("Rows that fit no segment well: the model finds them least likely. The score is the "
           "negative log-density (higher = rarer).")
st.slider(plain(f"Flag the most unusual {noun} (% of all {noun})"), 0.0, 10.0, value=unusual_pct,
          step=0.1, format="%.1f%%", key=keys.W_SEG_UNUSUAL)
if cmp.had_gaps.any():
    st.caption("A row with blank cells is scored on the columns it has (its density over those "
               "alone): it counts fewer columns than a complete row's, so compare the two with "
               "care; 'had gaps' in the table names its blank columns.")
if filled.any():
    st.toggle(f"Leave out the {int(filled.sum()):,} rows whose gaps were filled in",
              value=skip_filled, key=keys.W_SEG_SKIP_FILLED,
              help="A filled-in value is the column's mean or median, not the row's own: such a "
                   "row can look unusual only because of the fill.")
n_flag = int(flagged.indices.size)
if n_flag:
    st.markdown(plain(
        f"{n_flag:,} {noun if n_flag != 1 else 'of the ' + noun} flagged: "
        f"unusualness {flagged.threshold:.2f} or more (ringed in red on the chart)."))
    table = unusual.unusual_frame(flagged, rows, names, summary.labels, limit=MAX_LISTED)
    st.dataframe(table, hide_index=True, width="stretch")
    if n_flag > MAX_LISTED:
        st.caption(f"The {MAX_LISTED} most unusual are listed; the CSV export has every row.")
else:
    st.markdown("No rows flagged: move the slider to the right.")
    table = unusual.unusual_frame(flagged, rows, names, summary.labels)

# --- exports ------------------------------------------------------------------------------------
st.header("Take it away")
notes = [f"Gaussian mixture with {k} segments fitted on {ds.n_rows:,} {noun} of “{ds.name}”."]
if cmp.had_gaps.any():
    notes.append(f"{int(cmp.had_gaps.sum()):,} {noun} had blank cells: each was placed by the "
                 "values it has, and nothing was filled in.")
view = {"points": cv.points, "means": cv.means, "x_range": cv.x_range, "y_range": cv.y_range,
        "titles": titles, "slots": cmp.slots}
model = SegmentModel.from_comparison(cmp, features, segment_names=names)
e1, e2, e3, e4, e5 = st.columns(5)
e1.download_button(
    "Rows with segments (CSV)", functools.partial(_csv, rows, summary.labels, cmp.proba, names),
    file_name="segments.csv", mime="text/csv", key=keys.W_SEG_CSV, icon=":material/table:",
    on_click="ignore",
    help="Every row of your file, in its order and with its cells as you gave them, then its "
         "segment name, label and the probability of each segment (rows left out say why in "
         "'status'). UTF-8 with a byte-order mark, so Excel reads accents right.")
e2.download_button(
    "Model (JSON)", model.to_json(fit_info={"n_rows": ds.n_rows}),
    file_name="segments-model.json", mime="application/json", key=keys.W_SEG_JSON,
    icon=":material/data_object:", on_click="ignore",
    help="Weights, means, covariances, feature names and scaling: gmm_core loads it back and "
         "assigns new rows exactly as here.")
e3.download_button(
    "Report (HTML)", functools.partial(_report, summary, list(names), view, cv.gmm_labels,
                                       unusual_points, ds.name, borderline, table, notes,
                                       stable, who, noun),
    file_name="segments-report.html", mime="text/html", key=keys.W_SEG_HTML,
    icon=":material/description:", on_click="ignore",
    help="One file with the cards and interactive charts; opens offline in any browser.")
e4.download_button(
    "Overview chart (PNG)", functools.partial(_png, overview), file_name="segments-overview.png",
    mime="image/png", key=keys.W_SEG_PNG, icon=":material/image:", on_click="ignore",
    help="The chart above as an image for slides (drawn by Chromium; takes a few seconds).")
e5.download_button(
    "Save project", functools.partial(_project, saved.project_parts(model)),
    file_name="gmm-project.json", mime="application/json", key=keys.W_SEG_PROJECT,
    icon=":material/save:", on_click="ignore",
    help="One file with all of this work: the table as uploaded (or the demo), every setting, "
         "the segment names and the model. Open it on the Data page, on any machine.")

st.markdown("**Assign new rows with the model, in Python**")
st.code(PYTHON_USE.format(features=", ".join(repr(f) for f in features)), language="python")

# --- the same model on the full data (gmm_core's batch command line, on Dask) -------------------
with st.expander("Run this model on the full data (millions of rows)"):
    st.markdown("Save the model above as `segments-model.json`; then, on a machine with "
                "`python -m pip install -r requirements-scale.txt`, this command gives every row "
                "of your Parquet or CSV files its segment, exactly as here (Parquet out, with the "
                "label, segment name and every segment's probability):")
    st.code(gmm_core.cli.assign_command("segments-model.json"), language="bash")
    st.markdown("Or fit the same kind of model on every row instead of this sample:")
    settings = session.compare_settings(ds)
    st.code(gmm_core.cli.fit_command(features, k, covariance_type=cmp.gmm.covariance_type,
                                     scaling=cmp.scaler.method, n_init=settings[keys.W_N_INIT],
                                     random_state=settings[keys.W_SEED],
                                     out="segments-model.json"), language="bash")
    st.caption("Both run on a local Dask cluster; add --scheduler tcp://host:8786 for an existing "
               "one. See README, 'Scale out'.")
