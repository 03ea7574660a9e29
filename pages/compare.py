"""Compare page: KMeans and a Gaussian mixture side by side on the loaded data.

A thin view: :func:`ui.cache.chosen_comparison` fits both (cached on the data's
fingerprint and the controls, one cache entry shared with the Segments page),
:func:`gmm_core.analysis.compare.comparison_view` projects and subsamples for drawing,
:mod:`gmm_core.plots.compare` draws.
"""

import streamlit as st

import gmm_core
import gmm_core.analysis.compare
from gmm_core.analysis import geometry, guarded
from gmm_core.plots import compare as figures
from gmm_core.plots.theme import RowHover
from ui import cache, keys, session
from ui.widgets import fit_or_stop, plain, stop_unless, view_axes

MAX_SHOWN = 20_000
LEVELS = {
    "1σ and 2σ": ((geometry.sigma_level(1), geometry.sigma_level(2)),
                  ("1σ ellipse (39% of the segment)", "2σ ellipse (86%)")),
    "50% and 90%": ((0.5, 0.9), ("50% ellipse", "90% ellipse")),
    "95%": ((0.95,), ("95% ellipse",)),
}
COVARIANCE_HELP = ("full: any shape and tilt · tied: one shared shape · "
                   "diag: stretched along the axes only · spherical: round")


st.title("Compare KMeans and a Gaussian mixture")
st.caption("Both models split the same data into k segments. KMeans draws straight borders "
           "between round groups; a Gaussian mixture (GMM) lets each segment be stretched and "
           "tilted, and says how sure it is about every point.")

ds = session.get_dataset()
noun = session.noun(ds)  # what one row is, in the sentences that count rows
stop_unless(ds.n_features >= 2, "The comparison needs at least two feature columns. "
            "Choose them on the Data page.")
stop_unless(ds.n_rows >= 2, "The loaded data has fewer than two rows. "
            "Load more data on the Data page.")

# --- controls ------------------------------------------------------------------------------
now = {key: session.seed_widget(key, value) for key, value in session.compare_settings(ds).items()}

c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 1, 1])
k = c1.slider("Number of segments (k)", 1, 10, value=now[keys.W_K], key=keys.W_K)
covariance_type = c2.selectbox(
    "GMM covariance type", gmm_core.COVARIANCE_TYPES, key=keys.W_COVARIANCE, help=COVARIANCE_HELP,
    index=session.option_index(gmm_core.COVARIANCE_TYPES, now[keys.W_COVARIANCE]))
init_params = c3.selectbox("GMM start", gmm_core.INIT_METHODS, key=keys.W_INIT,
                           index=session.option_index(gmm_core.INIT_METHODS, now[keys.W_INIT]),
                           help="How EM picks its starting point.")
n_init = c4.number_input("Restarts", 1, 10, value=now[keys.W_N_INIT], key=keys.W_N_INIT,
                         help="Both models keep the best of this many starts.")
seed = c5.number_input("Seed", 0, 10_000, value=now[keys.W_SEED], key=keys.W_SEED)
session.remember(keys.COMPARE_SETTINGS, {
    keys.W_K: k, keys.W_COVARIANCE: covariance_type, keys.W_INIT: init_params,
    keys.W_N_INIT: int(n_init), keys.W_SEED: int(seed)})

features = list(ds.features)
d1, d2, d3, d4 = st.columns([5, 3, 2, 2])  # the x/y boxes need room for column names
axes = view_axes(features, d1, view_key=keys.W_VIEW, x_key=keys.W_AXIS_X,
                 y_key=keys.W_AXIS_Y,
                 help="With more than two features the chart shows a 2-D view of them; "
                 "ellipses are projected exactly into it.")
regions, gmm_shade = False, None
if ds.n_features == 2:  # in a 2-D view of more features a region depends on the hidden ones
    regions = d2.toggle("Shade regions", value=True, key=keys.W_REGIONS,
                        help="Colour the background by the segment each model would give a new "
                             "point (only for data with exactly two features).")
    gmm_shade = d3.selectbox("GMM background", ("decision regions", "density contours"),
                             key=keys.W_GMM_SHADE, disabled=not regions,
                             format_func={"decision regions": "regions",
                                          "density contours": "density"}.get,
                             help="The GMM's most likely segment, or contour lines of its density.")
disagree_on = d2.toggle("Ring disagreements", value=False, key=keys.W_DISAGREE,
                        help="Ring the points the two models put in different segments.")
level_name = d4.selectbox("GMM ellipses", tuple(LEVELS), key=keys.W_LEVELS,
                          help="Each ellipse holds this share of its segment's Gaussian.")

# --- fit ----------------------------------------------------------------------------------------
X = ds.X
cmp = fit_or_stop(cache.chosen_comparison, ds,  # shared with the Segments page
                  spinner=f"Fitting KMeans and a {k}-component GMM on {ds.n_rows:,} {plain(noun)} "
                          "(the GMM "
                          f"stops after {guarded.FIT_TIME_LIMIT:.0f} s)…")
for message in cmp.warnings:
    st.warning(plain(message), icon=":material/warning:")

projection = gmm_core.analysis.compare.view_projection(cmp, X, features, axes=axes)
view = gmm_core.analysis.compare.comparison_view(cmp, X, projection, max_points=MAX_SHOWN, seed=0)
# names typed on Segments, else the slots' letters
names = session.chosen_segment_names(ds) or figures.segment_names(k, cmp.slots)
hover = RowHover(ds.key_name, ds.row_keys[view.index], tuple(features), X[view.index],
                 cmp.proba[view.index], tuple(names), proba_label="GMM probability",
                 notes=ds.row_notes[view.index])

# --- metrics -------------------------------------------------------------------------------
m = cmp.metrics
cols = st.columns(5 if ds.labels is not None else 3)
cols[0].metric("Models agree (ARI)", f"{m['ari_models']:.2f}",
               help="Adjusted Rand index: 1 = the same segments, 0 = no better than chance.")
cols[1].metric("Log-likelihood / row", f"{m['log_likelihood']:.3f}",
               help="Average log-density of the rows under the GMM (on the scaled data); "
                    "higher fits better.")
cols[2].metric("GMM BIC", f"{m['bic']:,.0f}",
               help="Bayesian information criterion: fit penalised by model size; lower is better.")
if ds.labels is not None:
    # one number a metric, so it fits at 1280 px; the NMI is in the help
    cols[3].metric("GMM vs labels (ARI)", f"{m['ari_gmm_truth']:.2f}",
                   help="How well the GMM's segments match the known labels: adjusted Rand "
                        f"index (1 = perfectly, 0 = chance); normalised mutual information "
                        f"{m['nmi_gmm_truth']:.2f}.")
    cols[4].metric("KMeans vs labels (ARI)", f"{m['ari_kmeans_truth']:.2f}",
                   help="How well KMeans' clusters match the known labels: adjusted Rand "
                        f"index (1 = perfectly, 0 = chance); normalised mutual information "
                        f"{m['nmi_kmeans_truth']:.2f}.")

st.info(plain(gmm_core.analysis.compare.describe_comparison(cmp, names)),
        icon=":material/lightbulb:")

# --- charts ---------------------------------------------------------------------------------
km_regions = gmm_regions = density = None
settings = (k, covariance_type, init_params, int(n_init), int(seed), ds.scaling)
if regions and view.is_plane:
    km_regions = cache.decision_grid(ds.fingerprint, settings, cmp, view.x_range, view.y_range,
                                   "kmeans")
    if gmm_shade == "density contours":
        density = cache.decision_grid(ds.fingerprint, settings, cmp, view.x_range, view.y_range,
                                    "density")
    else:
        gmm_regions = cache.decision_grid(ds.fingerprint, settings, cmp, view.x_range, view.y_range,
                                        "gmm")
disagree = view.disagree if disagree_on else None
levels, level_names = LEVELS[level_name]

left, right = st.columns(2)
with left:
    st.plotly_chart(figures.kmeans_figure(
        view.points, view.kmeans_labels, view.centroids, x_range=view.x_range,
        y_range=view.y_range, axis_titles=view.axis_titles, regions=km_regions,
        disagree=disagree, names=names, slots=cmp.slots, hover=hover, title=f"KMeans, k = {k}",
        gaps=view.gaps),
        key="cmp_kmeans", config={"displaylogo": False})
with right:
    st.plotly_chart(figures.gmm_figure(
        view.points, view.gmm_labels, view.certainty, view.means, view.covariances,
        x_range=view.x_range, y_range=view.y_range, axis_titles=view.axis_titles,
        levels=levels, level_names=level_names, regions=gmm_regions, density=density,
        disagree=disagree, names=names, slots=cmp.slots, hover=hover,
        title=f"Gaussian mixture, k = {k} ({covariance_type})", gaps=view.gaps),
        key="cmp_gmm", config={"displaylogo": False})

units = ("the charts show the original units" if axes is not None else
         "the charts show the data's first two principal components, a 2-D view of all features")
notes = [f"Both models were fitted on all {view.n_total:,} {noun}"
         + ("" if ds.scaling == "none" else f" after {ds.scaling} scaling") + f"; {units}."]
if view.n_shown < view.n_total:
    notes.append(f"The charts draw a fixed random sample of {view.n_shown:,} {noun}.")
notes.append("In the GMM panel faint points are ones the model is unsure about.")
n_gaps = int(cmp.had_gaps.sum())
if n_gaps:
    notes.append(f"{n_gaps:,} {noun} had blank cells: the GMM places them by the values they "
                 "have, but KMeans cannot take a blank, so it was run on the values the GMM "
                 "expects for those cells; both charts draw those rows there, as hollow markers.")
if not view.is_plane:
    notes.append("Decision regions are drawn only for data with exactly two features: "
                 "in a 2-D view of more features a region depends on the hidden coordinates.")
if disagree_on:
    n_dis = int(cmp.disagreement.sum())
    notes.append(f"Ringed: the {n_dis:,} {noun} where the models disagree." if n_dis
                 else "The models agree on every row, so nothing is ringed.")
st.caption(plain(" ".join(notes)))
