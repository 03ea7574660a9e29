"""Choose k: BIC and AIC against the number of components, KMeans' curves beside them.

A thin view: :func:`gmm_core.analysis.choose_k.model_sweep` fits the grid of
models (cached in :mod:`ui.cache` on the data's fingerprint and the controls,
with a progress bar on the first run),
:func:`gmm_core.analysis.choose_k.criterion_curves` and
:func:`gmm_core.analysis.choose_k.recommend` sum it up, :mod:`gmm_core.plots.choose_k`
draws.  One button sends the recommended model to the Compare page.
"""

import streamlit as st

import gmm_core
from gmm_core.analysis import choose_k, guarded
from gmm_core.plots import choose_k as figures
from ui import cache, keys, session
from ui.widgets import fit_or_stop, plain, stop, stop_unless

TYPES = tuple(gmm_core.COVARIANCE_TYPES)


def _best(recommendation):
    return recommendation.k, recommendation.covariance_type
SWEEP_LIMIT = choose_k.SWEEP_TIME_LIMIT  # seconds for the whole grid
FIT_LIMIT = guarded.FIT_TIME_LIMIT    # seconds for one fit


st.title("Choose k")
st.caption("How many segments does the data hold? A mixture with more components always fits "
           "the data better, so we penalise size: BIC and AIC trade fit against the number of "
           "parameters, and the model with the lowest value wins. Each line is one covariance "
           "type, like R's mclust BIC plot (mclust flips the sign, so there higher is better).")

ds = session.get_dataset()
noun = session.noun(ds)  # what one row is, in the sentences that count rows
stop_unless(ds.n_rows >= 2, "The loaded data has fewer than two rows. "
            "Load more data on the Data page.")

# --- controls ------------------------------------------------------------------------------
saved = session.remembered(keys.CHOOSE_K_SETTINGS)
k_max = session.seed_widget(keys.W_CK_KMAX, saved.get(keys.W_CK_KMAX, 10))
types = session.seed_widget(keys.W_CK_TYPES, saved.get(keys.W_CK_TYPES, list(TYPES)))
n_init = session.seed_widget(keys.W_CK_N_INIT, saved.get(keys.W_CK_N_INIT, 3))
seed = session.seed_widget(keys.W_CK_SEED, saved.get(keys.W_CK_SEED, 0))
c1, c2, c3, c4 = st.columns([3, 4, 1, 1])
k_max = c1.slider("Largest k to try", 2, 10, value=k_max, key=keys.W_CK_KMAX)
types = c2.multiselect("Covariance types", TYPES, default=types, key=keys.W_CK_TYPES,
                       help="full: any shape and tilt · tied: one shared shape · "
                            "diag: stretched along the axes only · spherical: round")
n_init = c3.number_input("Restarts", 1, 10, value=n_init, key=keys.W_CK_N_INIT,
                         help="Each model is fitted this many times: first from a "
                              "hierarchical clustering (the same every time), then from "
                              "k-means with different seeds. The band shows the spread, the "
                              "line the best.")
seed = c4.number_input("Seed", 0, 10_000, value=seed, key=keys.W_CK_SEED)
session.remember(keys.CHOOSE_K_SETTINGS, {
    keys.W_CK_KMAX: k_max, keys.W_CK_TYPES: list(types), keys.W_CK_N_INIT: int(n_init),
    keys.W_CK_SEED: int(seed)})
if not types:
    st.info("Choose at least one covariance type.")
    stop()
types = tuple(t for t in TYPES if t in types)
k_max = min(int(k_max), ds.n_rows)

# --- sweep ----------------------------------------------------------------------------------
X = ds.X
sel, km = fit_or_stop(cache.model_sweep, ds.fingerprint, X, ds.scaling, k_max, types,
                      int(n_init), int(seed), tuple(ds.features))

criterion = session.seed_widget(keys.W_CK_CRITERION, saved.get(keys.W_CK_CRITERION, "bic"))
criterion = st.radio("Choose by", choose_k.CRITERIA, key=keys.W_CK_CRITERION, horizontal=True,
                     index=session.option_index(choose_k.CRITERIA, criterion),
                     format_func=str.upper, help=" ".join(choose_k.CRITERION_WORDS.values()))
session.remember(keys.CHOOSE_K_SETTINGS, {**session.remembered(keys.CHOOSE_K_SETTINGS),
                                          keys.W_CK_CRITERION: criterion})
st.caption(choose_k.CRITERION_WORDS[criterion])
rec = choose_k.recommend(sel, criterion)
curves = choose_k.criterion_curves(sel)
for note in choose_k.sweep_notes(sel):
    st.warning(plain(note), icon=":material/warning:")

r1, r2 = st.columns([3, 1], vertical_alignment="center")
r1.success(rec.sentence, icon=":material/recommend:")
applied = session.value(keys.CHOOSE_K_APPLIED) == (rec.k, rec.covariance_type)
r2.button(f"Use k = {rec.k}, {rec.covariance_type} on Compare", key=keys.W_CK_APPLY,
          type="primary", on_click=session.use_on_compare, args=(rec.k, rec.covariance_type),
          width="stretch", disabled=applied)
if applied:
    st.page_link("pages/compare.py", label=f"Compare now uses k = {rec.k} with "
                 f"{rec.covariance_type} covariance: open Compare", icon=":material/compare:")
if rec.set_aside:
    st.info(plain(rec.set_aside), icon=":material/block:")
others = [choose_k.recommend(sel, c) for c in choose_k.CRITERIA if c != criterion]
differ = [f"{o.criterion.upper()} prefers {o.k} with {o.covariance_type} covariance"
          for o in others if (o.k, o.covariance_type) != (rec.k, rec.covariance_type)]
if differ:
    st.caption("; ".join(differ) + ".")

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(figures.criterion_figure(curves, criterion,
                                                best=(rec.k, rec.covariance_type)),
                    key="ck_main", config={"displaylogo": False})
    second = "aic" if criterion != "aic" else "bic"
    st.plotly_chart(figures.criterion_figure(curves, second,
                                                best=_best(choose_k.recommend(sel, second))),
                    key="ck_second", config={"displaylogo": False})
with right:
    st.plotly_chart(figures.kmeans_sweep_figure(km), key="ck_kmeans",
                    config={"displaylogo": False})
    st.caption("KMeans has no likelihood, so no BIC: the usual guides are the elbow of its "
               "inertia and the peak of its silhouette"
               + (plain(f" (computed on 5,000 of the {ds.n_rows:,} {noun}).")
                  if ds.n_rows > 5000 else ".")
               + " They assume round clusters of similar size."
               + (" KMeans cannot take a blank cell, so here a blank counts at its column's "
                  "mean." if ds.had_gaps.any() else ""))

n_bad = int((sel.table["degenerate"] != "").sum())
notes = [f"{len(sel.table):,} fits on all {ds.n_rows:,} {noun}"
         + ("" if ds.scaling == "none" else f" after {ds.scaling} scaling")
         + f" in {sel.table['seconds'].sum():.1f} s of fitting."]
if int(n_init) > 1:
    notes.append("Lines follow the best restart; the shaded band spans best to worst.")
if n_bad:
    notes.append(f"{n_bad} fit(s) are degenerate (a component on a few rows or on one rounded "
                 "value, kept alive only by regularisation): they are never recommended, and a "
                 "model whose every fit is degenerate is crossed out. 'Every fit' says why.")
if ds.had_gaps.any():
    notes.append(f"{int(ds.had_gaps.sum()):,} {noun} have blank cells: every mixture uses the "
                 "values they have and fills nothing in.")
notes.append(f"Each fit may take at most {FIT_LIMIT:.0f} s and the whole sweep "
             f"{SWEEP_LIMIT / 60:.0f} minutes; fits not started by then are skipped.")
st.caption(plain(" ".join(notes)))
st.subheader("Would the segments survive new data?")
st.caption(f"A second opinion beside {criterion.upper()}: for each k, the {rec.covariance_type} "
           "model is fitted to 20 random re-draws of the rows, and each segment counts as found "
           "again when a new segment shares at least 75% of its rows. Segments that are real "
           "keep being found; an extra segment split off by chance does not.")
if st.toggle("Check stability for each k", key=keys.W_CK_STABILITY,
             value=bool(session.value(keys.W_CK_STABILITY, False))):
    by_k = fit_or_stop(cache.stability_by_k, ds.fingerprint, X, ds.scaling, k_max,
                       rec.covariance_type, int(seed),
                       spinner=f"Refitting k = 2…{k_max} on re-draws of the rows…")
    st.plotly_chart(figures.stability_figure(by_k, best_k=rec.k), key="ck_stability",
                    config={"displaylogo": False})
with st.expander("Every fit"):
    st.dataframe(sel.table.drop(columns=["note_kinds"]), hide_index=True)
