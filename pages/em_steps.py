"""EM step by step: watch a Gaussian mixture being fitted, half-step by half-step.

A thin view: :func:`gmm_core.analysis.explain.em_run` records the fit (cached in
:func:`ui.cache.em_run` on the data's fingerprint and the controls),
:func:`gmm_core.analysis.explain.em_view` and
:func:`gmm_core.analysis.explain.explain_step` give what is drawn and the formulas' numbers,
:mod:`gmm_core.plots.em` draws.
"""

import pandas as pd
import streamlit as st

import gmm_core
import gmm_core.analysis.compare
import gmm_core.analysis.explain
from gmm_core.analysis import guarded
from gmm_core.plots import compare as figures
from gmm_core.plots import em as figures_em
from ui import cache, keys, session
from ui.widgets import fit_or_stop, plain, stop_unless, view_axes

MAX_FRAMES = 60
MAX_POINTS = 2_000
MAX_HEATMAP = 400
COVARIANCE_HELP = ("full: any shape and tilt · tied: one shared shape · "
                   "diag: stretched along the axes only · spherical: round")
TIME_LIMIT = guarded.FIT_TIME_LIMIT  # seconds of EM a run may take


def _move(delta, last):
    """Button callback: step forward or back (runs before the slider is drawn)."""
    now = int(session.value(keys.W_EM_STEP, 0))
    session.set_value(keys.W_EM_STEP, min(max(now + delta, 0), last))


st.title("EM step by step")
st.caption("A Gaussian mixture is fitted by Expectation-Maximization: the **E-step** works out "
           "how much each component is responsible for each point (the colours change), the "
           "**M-step** moves each component to fit the points it is responsible for (the "
           "ellipses move). Repeat until the log-likelihood stops rising.")

ds = session.get_dataset()
stop_unless(ds.n_features >= 2 and ds.n_rows >= 2,
            "EM step by step needs at least two feature columns and two rows. "
            "Choose them on the Data page.")

# --- controls ------------------------------------------------------------------------------
saved = session.remembered(keys.EM_SETTINGS) or session.remembered(keys.COMPARE_SETTINGS)
default_k = len(ds.label_names) if ds.label_names else 3
k = session.seed_widget(keys.W_EM_K, saved.get(keys.W_EM_K, saved.get(keys.W_K, min(max(default_k, 1), 10))))
covariance_type = session.seed_widget(keys.W_EM_COVARIANCE, saved.get(keys.W_EM_COVARIANCE, saved.get(keys.W_COVARIANCE, "full")))
init_params = session.seed_widget(keys.W_EM_INIT, saved.get(keys.W_EM_INIT, saved.get(keys.W_INIT, "kmeans")))
seed = session.seed_widget(keys.W_EM_SEED, saved.get(keys.W_EM_SEED, saved.get(keys.W_SEED, 0)))

c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
k = c1.slider("Number of components (k)", 1, 10, value=k, key=keys.W_EM_K)
covariance_type = c2.selectbox(
    "Covariance type", gmm_core.COVARIANCE_TYPES, key=keys.W_EM_COVARIANCE, help=COVARIANCE_HELP,
    index=session.option_index(gmm_core.COVARIANCE_TYPES, covariance_type))
init_params = c3.selectbox("Start (init method)", gmm_core.INIT_METHODS,
                           index=session.option_index(gmm_core.INIT_METHODS, init_params),
                           key=keys.W_EM_INIT, help="How EM picks its starting point. "
                           "'random' starts far from the answer, so there is more to watch.")
seed = c4.number_input("Seed", 0, 10_000, value=seed, key=keys.W_EM_SEED)
settings = {keys.W_EM_K: k, keys.W_EM_COVARIANCE: covariance_type,
            keys.W_EM_INIT: init_params, keys.W_EM_SEED: int(seed)}
previous = session.remembered(keys.EM_SETTINGS)
if previous and previous != settings:
    session.forget(keys.W_EM_STEP)  # a new run starts at its first step
session.remember(keys.EM_SETTINGS, settings)

features = list(ds.features)
axes = view_axes(features, st, view_key=keys.W_EM_VIEW, x_key=keys.W_EM_AXIS_X,
                 y_key=keys.W_EM_AXIS_Y, widths=(1, 1, 2),
                 help="EM is fitted on all features; the chart shows a 2-D view of them, "
                 "with the ellipses projected exactly into it.")

# --- fit ----------------------------------------------------------------------------------------
X = ds.X
run = fit_or_stop(cache.em_run, ds.fingerprint, X, ds.scaling, k, covariance_type, init_params,
                  int(seed), spinner=f"Running EM with {k} components on {ds.n_rows:,} rows "
                                     f"(at most {TIME_LIMIT:.0f} s)…")
traj = run.trajectory
last = run.n_steps - 1

icon = ":material/check_circle:" if traj.converged else ":material/warning:"
message = (f"EM ran {traj.n_iter} iterations ({run.n_steps} steps counting the start and each "
           f"E- and M-half-step). {traj.stop_reason}")
(st.success if traj.converged else st.warning)(plain(message), icon=icon)
for note in run.warnings:
    st.warning(plain(note), icon=":material/warning:")

# --- stepping ------------------------------------------------------------------------------
if session.seed_widget(keys.W_EM_STEP, 0) > last:
    session.set_value(keys.W_EM_STEP, last)
b1, b2, b3 = st.columns([1, 1, 8], vertical_alignment="bottom")
b1.button("◀ Back", key=keys.W_EM_BACK, on_click=_move, args=(-1, last),
          disabled=session.value(keys.W_EM_STEP) <= 0, width="stretch")
b2.button("Forward ▶", key=keys.W_EM_FORWARD, on_click=_move, args=(1, last),
          disabled=session.value(keys.W_EM_STEP) >= last, width="stretch")
index = b3.slider("Step", 0, last, value=session.value(keys.W_EM_STEP), key=keys.W_EM_STEP,
                  help="0 is the start; then each iteration is an E-step followed by an M-step.")
step = run.steps[index]
what = {"init": "The starting point EM was given.",
        "E": "E-step: new responsibilities from the current components, so the colours change.",
        "M": "M-step: the components move to fit the points they are responsible for."}[step.phase]
st.markdown(f"**Step {index} of {last}: {gmm_core.analysis.explain.step_label(step)}.** {what} "
            f"Log-likelihood per point: **{step.log_likelihood:.4f}**.")

# --- the animated chart ---------------------------------------------------------------------
projection = gmm_core.analysis.compare.view_projection(run, X, features, axes=axes)
view = gmm_core.analysis.explain.em_view(run, X, projection, current=index, max_frames=MAX_FRAMES,
                        max_points=MAX_POINTS, seed=0)
names = figures.segment_names(k)
current = [f["index"] for f in view.frames].index(index)
st.plotly_chart(figures_em.em_animation_figure(
    view.points, view.frames, view.log_likelihoods, x_range=view.x_range, y_range=view.y_range,
    axis_titles=view.axis_titles, current=current, names=names),
    key="em_animation", config={"displaylogo": False})
notes = ["▶ Play animates the run in your browser"
         + (f" ({len(view.frames)} of the {run.n_steps} steps, evenly spread)"
            if len(view.frames) < run.n_steps else "") + ".",
         "Each point takes the colour of the component most responsible for it, faded when "
         "the responsibilities are shared (as on Compare); before the first E-step points are grey.",
         "Solid ellipses hold 39% (1σ) and dashed 86% (2σ) of a component; dotted ones are the "
         "previous step's."]
if view.points.shape[0] < view.n_total:
    notes.append(f"The chart draws a fixed random sample of {view.points.shape[0]:,} of the "
                 f"{view.n_total:,} rows; EM uses all of them.")
if axes is None:
    notes.append("The axes are the first two principal components of all features.")
st.caption(" ".join(notes))

# --- heatmap and formulas -------------------------------------------------------------------
left, right = st.columns([3, 2])
resp = run.responsibilities(index)
rows = gmm_core.analysis.explain.heatmap_rows(resp, max_rows=MAX_HEATMAP, seed=0)
frame = ds.frame[features]
hover = [f"row {r}: " + ", ".join(f"{c} = {v:.4g}" for c, v in zip(features, frame.iloc[r]))
         for r in rows]
with left:
    st.plotly_chart(figures_em.responsibility_heatmap_figure(
        resp[rows], hover, names=names,
        title=f"Responsibilities at step {index} ({len(rows)} of {ds.n_rows:,} points)"),
        key="em_heatmap", config={"displaylogo": False})

with right:
    row = st.number_input(f"Row to explain (0 – {ds.n_rows - 1:,})", 0, ds.n_rows - 1,
                          value=0, key=keys.W_EM_ROW)
    ex = gmm_core.analysis.explain.explain_step(run, X, index, int(row))
    st.text("Row " + str(ex.row) + ": " + ", ".join(
        f"{c} = {v:.4g}" for c, v in zip(features, ex.e.x)))
    st.markdown("**E-step** – responsibility of component k for this point:")
    st.latex(r"r_{ik} = \frac{\pi_k\,\mathcal{N}(x_i \mid \mu_k, \Sigma_k)}"
             r"{\sum_j \pi_j\,\mathcal{N}(x_i \mid \mu_j, \Sigma_j)}")
    st.dataframe(pd.DataFrame({
        "component": names, "π_k": ex.e.weights, "N(x_i | μ_k, Σ_k)": ex.e.densities,
        "π_k · N": ex.e.weighted, "r_ik": ex.e.resp}),
        hide_index=True, width="stretch",
        column_config={"π_k": st.column_config.NumberColumn(format="%.3f"),
                       "N(x_i | μ_k, Σ_k)": st.column_config.NumberColumn(format="%.3e"),
                       "π_k · N": st.column_config.NumberColumn(format="%.3e"),
                       "r_ik": st.column_config.NumberColumn(format="%.3f")})
    st.caption(f"Sum of π_k · N = {ex.e.total:.4e} (the mixture's density at this point, in "
               "the data's original units); dividing each π_k · N by it gives r_ik, which sum to 1.")

st.markdown("**M-step** – each component refitted to the points it is responsible for "
            f"(from the responsibilities at step {index}; "
            + ("these are the parameters of this step)." if step.phase == "M"
               else "these become the parameters of the next M-step)."))
st.latex(r"N_k = \sum_{i=1}^{N} r_{ik},\quad \pi_k = \frac{N_k}{N},\quad "
         r"\mu_k = \frac{1}{N_k}\sum_{i} r_{ik}\,x_i,\quad "
         r"\Sigma_k = \frac{1}{N_k}\sum_{i} r_{ik}\,(x_i-\mu_k)(x_i-\mu_k)^\top")
m_table = pd.DataFrame({"component": names, "N_k": ex.m.n_k, "π_k = N_k / N": ex.m.weights})
for d, c in enumerate(features):
    m_table[f"μ_k: {c}"] = ex.m.means[:, d]
for a in range(len(features)):
    for b in range(a, len(features)):
        m_table[f"Σ_k[{features[a]}, {features[b]}]"] = ex.m.covariances[:, a, b]
st.dataframe(m_table, hide_index=True, width="stretch")
st.caption(f"N = {int(ex.m.n_total):,} rows. Means and covariances in the data's original units"
           + ("" if ds.scaling == "none" else f" (EM runs on {ds.scaling}-scaled data and they "
              "are mapped back)") + f"; the covariance type '{covariance_type}' then constrains "
           "Σ_k (tied: one shared; diag: diagonal only; spherical: one variance), plus a tiny "
           "reg_covar on the diagonal.")

# --- where EM stopped ---------------------------------------------------------------------------
st.subheader("Final parameters")
st.caption(plain(traj.stop_reason) + " Weights, means and covariances in original units.")
st.dataframe(gmm_core.analysis.explain.parameter_table(run, features, names), hide_index=True, width="stretch")
