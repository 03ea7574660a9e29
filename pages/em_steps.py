"""EM step by step: watch a Gaussian mixture being fitted, half-step by half-step.

A thin view: :func:`gmm_core.analysis.explain.em_run` records the fit once
(cached in :func:`ui.cache.em_run` on the data's fingerprint and the controls),
:func:`gmm_core.analysis.em_canvas.em_canvas` projects it once per view
(:func:`ui.cache.em_canvas`), and each step is drawn from that record
(:func:`gmm_core.analysis.em_canvas.em_frame`,
:func:`gmm_core.analysis.explain.explain_step`, :mod:`gmm_core.plots.em`).
The step control is :mod:`ui.stepper`: one step, shown by the chart, the
likelihood marker, the heatmap and the formulas alike; Play advances it from
a timed ``st.fragment``.
"""

import math
from functools import partial

import pandas as pd
import streamlit as st

import gmm_core
from gmm_core.analysis import em_canvas, explain, guarded, restarts
from gmm_core.plots import compare as figures
from gmm_core.plots import em as figures_em
from ui import cache, keys, session, stepper
from ui.widgets import fit_or_stop, plain, row_picker, stop, stop_unless, view_axes

MAX_POINTS = 2_000
MAX_HEATMAP = 400
COVARIANCE_HELP = ("full: any shape and tilt · tied: one shared shape · "
                   "diag: stretched along the axes only · spherical: round")
START_HELP = ("How EM picks its starting point. kmeans: near an answer. k-means++ and "
              "random_from_data: one seed point per component, every point to its nearest seed. "
              "random: random responsibilities, so all components start nearly identical at "
              "the overall mean, and EM may stay stuck there. your clicks: click k points "
              "on the chart.")
TIME_LIMIT = guarded.FIT_TIME_LIMIT  # seconds of EM a run may take
WHAT = {"init": "No E-step yet: the points are grey.",
        "E": "New responsibilities: the colours change.",
        "M": "Each component refitted to its points: the ellipses move."}

st.title("EM step by step")
st.caption("**E-step**: how much each component is responsible for each point (the colours). "
           "**M-step**: each component refitted to its points (the ellipses). Repeat until the "
           "log-likelihood stops rising. Click a point to explain it.")

ds = session.get_dataset()
noun = session.noun(ds)  # what one row is, in the sentences that count rows
stop_unless(ds.n_features >= 2 and ds.n_rows >= 2,
            "EM step by step needs at least two feature columns and two rows. "
            "Choose them on the Data page.")

# --- controls ------------------------------------------------------------------------------
saved = session.remembered(keys.EM_SETTINGS) or session.remembered(keys.COMPARE_SETTINGS)
default_k = len(ds.label_names) if ds.label_names else 3
k = session.seed_widget(keys.W_EM_K, saved.get(keys.W_EM_K,
                                               saved.get(keys.W_K, min(max(default_k, 1), 10))))
covariance_type = session.seed_widget(keys.W_EM_COVARIANCE,
                                      saved.get(keys.W_EM_COVARIANCE,
                                                saved.get(keys.W_COVARIANCE, "full")))
init_params = session.seed_widget(keys.W_EM_INIT, saved.get(keys.W_EM_INIT,
                                                            saved.get(keys.W_INIT, "kmeans")))
seed = session.seed_widget(keys.W_EM_SEED, saved.get(keys.W_EM_SEED, saved.get(keys.W_SEED, 0)))

side, main = st.columns([1, 3.3], gap="medium")
s1, s2 = side.columns([3, 2], vertical_alignment="bottom")
k = s1.slider("Number of components (k)", 1, 10, value=k, key=keys.W_EM_K)
covariance_type = side.selectbox(
    "Covariance type", gmm_core.COVARIANCE_TYPES, key=keys.W_EM_COVARIANCE, help=COVARIANCE_HELP,
    index=session.option_index(gmm_core.COVARIANCE_TYPES, covariance_type))
init_params = side.selectbox("Start (init method)", explain.EM_STARTS,
                             index=session.option_index(explain.EM_STARTS, init_params),
                             key=keys.W_EM_INIT, help=START_HELP)
seed = s2.number_input("Seed", 0, 10_000, value=seed, key=keys.W_EM_SEED)
settings = {keys.W_EM_K: k, keys.W_EM_COVARIANCE: covariance_type,
            keys.W_EM_INIT: init_params, keys.W_EM_SEED: int(seed)}
previous = session.remembered(keys.EM_SETTINGS)
if previous and previous != settings:
    stepper.restart()  # a new run starts at its first step
    if previous.get(keys.W_EM_K) != k or init_params != explain.START_CHOSEN:
        stepper.clear_seeds()
session.remember(keys.EM_SETTINGS, settings)

features = list(ds.features)
axes = view_axes(features, side, view_key=keys.W_EM_VIEW, x_key=keys.W_EM_AXIS_X,
                 y_key=keys.W_EM_AXIS_Y, widths=(1, 1),
                 help="EM is fitted on all features; the chart shows a 2-D view of them, "
                 "with the ellipses projected exactly into it.")
names = figures.segment_names(k)
X = ds.X
row_keys = ds.row_keys

# --- a start of one's own: click k points ----------------------------------------------------
chosen = stepper.chosen_seeds()
if init_params == explain.START_CHOSEN and len(chosen) < k:
    layout = fit_or_stop(cache.em_run, ds.fingerprint, X, ds.scaling, k, covariance_type,
                         "kmeans", int(seed), spinner="Preparing the chart…")
    canvas = fit_or_stop(cache.em_canvas, ds.fingerprint, ("layout", k, covariance_type, int(seed)),
                         axes, layout, X, tuple(features), MAX_POINTS)
    side.info(f"Click {k - len(chosen)} more point(s) on the chart to place the starting "
              f"components ({len(chosen)} of {k} placed). Each point then goes to its nearest "
              "chosen point and one M-step gives every component its weight and spread.",
              icon=":material/touch_app:")
    side.button("Clear my points", key=keys.W_EM_CLEAR, on_click=stepper.clear_seeds,
                disabled=not chosen)
    main.plotly_chart(figures_em.choose_start_figure(
        canvas.points, point_ids=canvas.rows, point_keys=row_keys[canvas.rows],
        chosen=[canvas.point(X, r) for r in chosen], x_range=canvas.x_range,
        y_range=canvas.y_range, axis_titles=canvas.axis_titles),
        key=keys.W_EM_CHART, on_select=partial(stepper.add_clicked_seed, keys.W_EM_CHART, k),
        selection_mode="points", config={"displaylogo": False})
    stop()

# --- fit once ----------------------------------------------------------------------------------
start_rows = tuple(chosen) if init_params == explain.START_CHOSEN else None
run_args = (ds.scaling, k, covariance_type, init_params, int(seed), start_rows)
run = fit_or_stop(cache.em_run, ds.fingerprint, X, *run_args,
                  spinner=f"Running EM with {k} components on {ds.n_rows:,} {plain(noun)} "
                          f"(at most {TIME_LIMIT:.0f} s)…")
canvas = cache.em_canvas(ds.fingerprint, run_args, axes, run, X, tuple(features), MAX_POINTS)
shown_keys = [f"{ds.key_name} {v}" + (f" ({note})" if note else "")  # hover names each point
              for v, note in zip(row_keys[canvas.rows], ds.row_notes[canvas.rows], strict=True)]
last = run.n_steps - 1
status = explain.run_status(run, names)
show = {"converged": side.success, "stuck": side.warning, "stopped": side.warning}[status.kind]
show(plain(status.headline) + ("" if status.kind == "converged" else " " + plain(status.detail)),
     icon=":material/check_circle:" if status.kind == "converged" else ":material/warning:")
side.caption((plain(status.detail) + " " if status.kind == "converged" else "")
             + "**Start:** " + explain.start_description(init_params))
for note in run.warnings:
    side.warning(plain(note), icon=":material/warning:")
if init_params == explain.START_CHOSEN:
    side.button("Choose again", key=keys.W_EM_CLEAR, help="Forget the points you clicked",
                on_click=stepper.clear_seeds)


# --- the step panel: one step, redrawn as a whole ----------------------------------------------
TIMED = stepper.playing()  # whether this run of the page starts the panel's timer


@st.fragment(run_every=stepper.PLAY_SECONDS if TIMED else None)
def step_panel():
    if stepper.playing() != TIMED:  # Play or Pause was pressed: restart the panel's timer
        st.rerun()
    if stepper.playing() and not stepper.tick(last):
        st.rerun()  # reached the end: stop the timer
    index = stepper.current(last)
    b1, b2, b3, b4 = st.columns([1.1, 1.1, 1.3, 4], vertical_alignment="bottom")
    b1.button("◀ Back", key=keys.W_EM_BACK, on_click=stepper.move, args=(-1, last),
              disabled=index <= 0, width="stretch")
    if stepper.playing():
        b2.button("❚❚ Pause", key=keys.W_EM_PAUSE, on_click=stepper.pause, width="stretch",
                  type="primary")
    else:
        b2.button("▶ Play", key=keys.W_EM_PLAY, on_click=stepper.play, args=(last,),
                  width="stretch")
    b3.button("Forward ▶", key=keys.W_EM_FORWARD, on_click=stepper.move, args=(1, last),
              disabled=index >= last, width="stretch")
    slider = stepper.slider_key()
    b4.slider("Step", 0, last, value=index, key=slider, on_change=stepper.slid, args=(slider,),
              label_visibility="collapsed", disabled=stepper.playing(),
              help="0 is the start; then each iteration is an E-step followed by an M-step.")
    step = run.steps[index]
    st.markdown(f"**Step {index} of {last}: {explain.step_label(step)}.** {WHAT[step.phase]} "
                f"Log-likelihood **{step.log_likelihood:.4f}**.")

    row = stepper.row_position(row_keys, session.seed_widget(keys.W_EM_ROW, str(row_keys[0])))
    frame = em_canvas.em_frame(run, canvas, index)
    fig = figures_em.em_step_figure(
        canvas.points, frame, canvas.log_likelihoods, x_range=canvas.x_range,
        y_range=canvas.y_range, axis_titles=canvas.axis_titles, names=names,
        point_ids=canvas.rows, point_keys=shown_keys,
        explained=(canvas.point(X, row), f"{ds.key_name} {row_keys[row]}"),
        seeds=canvas.seeds if index == 0 else None, gaps=canvas.gaps)
    st.plotly_chart(fig, key=keys.W_EM_CHART, selection_mode="points",
                    on_select=partial(stepper.explain_clicked, keys.W_EM_CHART, row_keys),
                    config={"displaylogo": False})
    notes = ["Flat from each M-step to the next E-step: an E-step only recolours the points; "
             "the likelihood moves when an M-step moves the components.",
             "Ellipses: solid 1σ (39%), dashed 2σ (86%), dotted the step before; ringed: the "
             "row in the formulas."]
    if canvas.points.shape[0] < canvas.n_total:
        notes.append(f"{canvas.points.shape[0]:,} of the {canvas.n_total:,} {noun} are drawn; "
                     "EM uses all of them.")
    if ds.had_gaps.any():
        notes.append(f"{int(ds.had_gaps.sum()):,} {noun} have blank cells: EM uses the values "
                     "they have, and the chart draws them where the final model expects "
                     "their blank cells.")
    st.caption(plain(" ".join(notes)))

    worked, heat, final = st.tabs(["Worked E-step and M-step", "Responsibilities",
                                   "Final parameters"])
    with worked:
        _worked_numbers(index, row)
    with heat:
        if step.phase == "init":
            st.info("Step 0 is the start: no E-step has run, so there are no responsibilities "
                    "yet and the points are grey. Step 1's E-step computes them.",
                    icon=":material/info:")
        else:
            rows, resp = em_canvas.heatmap_view(run, index, max_rows=MAX_HEATMAP, seed=0)
            frame_ = ds.frame[features]
            hover = [f"{ds.key_name} {row_keys[r]}: " + ", ".join(
                f"{c} = {v:.4g}" for c, v in zip(features, frame_.iloc[r], strict=True))
                for r in rows]
            st.plotly_chart(figures_em.responsibility_heatmap_figure(
                resp, hover, names=names,
                title=f"Responsibilities at step {index} ({len(rows)} of {ds.n_rows:,} points)"),
                key="em_heatmap", config={"displaylogo": False})
    with final:
        st.caption(plain(run.trajectory.stop_reason) + " Weights, means and covariances in "
                   "original units.")
        st.dataframe(explain.parameter_table(run, features, names), hide_index=True,
                     width="stretch")


def _worked_numbers(index, row):
    """The E-step for the explained row and the M-step from this step's responsibilities."""
    left, right = st.columns([2, 3])
    with left:
        row_picker(f"Row to explain ({plain(ds.key_name)}) – or click a point", row_keys,
                   key=keys.W_EM_ROW)
        ex = explain.explain_step(run, X, index, row)
        st.text(f"{ds.key_name} {row_keys[row]}: " + ", ".join(
            f"{c} = {v:.4g}" if math.isfinite(v) else f"{c} blank"
            for c, v in zip(features, ex.e.x, strict=True)))
        used = explain.used_columns(ex.e, features)
        if used:
            st.caption(plain(used[0].upper() + used[1:] + ": N(x_i | μ_k, Σ_k) is the density "
                             "of the values it has, under each component's own distribution "
                             "of those columns."))
        when = ("the E-step that step 1 will do" if run.steps[index].phase == "init"
                else f"the responsibilities shown at step {index}")
        st.markdown(f"**E-step at step {index}** ({when}): responsibility of component k "
                    "for this point")
        st.latex(r"r_{ik} = \frac{\pi_k\,\mathcal{N}(x_i \mid \mu_k, \Sigma_k)}"
                 r"{\sum_j \pi_j\,\mathcal{N}(x_i \mid \mu_j, \Sigma_j)}")
    with right:
        e = ex.e
        if e.underflow:
            st.dataframe(pd.DataFrame({
                "component": names, "π_k": e.weights, "log N(x_i | μ_k, Σ_k)": e.log_densities,
                "log π_k·N": e.log_weighted, "r_ik": e.resp}), hide_index=True, width="stretch",
                column_config={"π_k": st.column_config.NumberColumn(format="%.3f"),
                               "r_ik": st.column_config.NumberColumn(format="%.3f")})
            st.caption(f"Every density underflows: this point is so far from every component "
                       f"that each π_k · N is 0 in floating point, and dividing 0 by 0 gives no "
                       f"answer. In logs it works: log Σ π_k · N = {e.log_total:.6g}, and "
                       "r_ik = exp(log π_k·N − log Σ), which sum to 1.")
        else:
            st.dataframe(pd.DataFrame({
                "component": names, "π_k": e.weights, "N(x_i | μ_k, Σ_k)": e.densities,
                "π_k · N": e.weighted, "r_ik": e.resp}), hide_index=True, width="stretch",
                column_config={"π_k": st.column_config.NumberColumn(format="%.3f"),
                               "N(x_i | μ_k, Σ_k)": st.column_config.NumberColumn(format="%.3e"),
                               "π_k · N": st.column_config.NumberColumn(format="%.3e"),
                               "r_ik": st.column_config.NumberColumn(format="%.3f")})
            st.caption(f"Sum of π_k · N = {e.total:.4e} (the mixture's density at this point, in "
                       "the data's original units); dividing each π_k · N by it gives r_ik.")
    phase = run.steps[index].phase
    st.markdown(f"**M-step** from the responsibilities at step {index} – "
                + ("the parameters of this step:" if phase == "M"
                   else "they become the parameters of the next M-step:"))
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
    st.caption(plain(
        f"N = {int(ex.m.n_total):,} {noun}. Means and covariances in the data's original "
        "units" + ("" if ds.scaling == "none" else f" (EM runs on {ds.scaling}-scaled data "
                   "and they are mapped back)") + f"; the covariance type "
        f"'{covariance_type}' then constrains Σ_k, plus a tiny reg_covar on the diagonal."
        + (" A blank cell enters the sums as its expected value given the row's other values "
           "(and its uncertainty enters Σ_k), so no value is made up and kept."
           if ds.had_gaps.any() else "")))


with main:
    step_panel()

# --- restarts side by side ------------------------------------------------------------------
st.subheader("Restarts side by side")
st.caption("EM climbs to the optimum nearest its start. Run the same EM from several seeds "
           "(0, 1, 2, …) with the start method above: runs that end with the same partition, "
           "up to the components' names, are one optimum.")
if init_params == explain.START_CHOSEN:
    st.info("Restarts need a start method with a seed; choose one above.", icon=":material/info:")
else:
    r1, r2, _ = st.columns([1, 1, 3], vertical_alignment="bottom")
    n_starts = int(r1.number_input("Starts", 2, 30, value=12, key=keys.W_EM_RESTARTS))
    restart_settings = {keys.W_EM_K: k, keys.W_EM_COVARIANCE: covariance_type,
                        keys.W_EM_INIT: init_params}
    r2.button(f"Run {n_starts} starts", key=keys.W_EM_RESTARTS_RUN, on_click=stepper.show_restarts,
              args=(restart_settings, n_starts))
    if stepper.restarts_shown(restart_settings, n_starts):
        result = fit_or_stop(cache.em_restarts, ds.fingerprint, X, ds.scaling, k, covariance_type,
                             init_params, n_starts, 0,
                             spinner=f"Running EM from {n_starts} starts…")
        panels = restarts.restart_panels(result, canvas)
        found = len(result.optima)
        st.markdown(f"**{n_starts} starts found {found} distinct optim"
                    f"{'um' if found == 1 else 'a'}**" + (
                        f" (the {len(panels)} best drawn)." if len(panels) < found else "."))
        st.plotly_chart(figures_em.restarts_figure(
            canvas.points, panels, x_range=canvas.x_range, y_range=canvas.y_range,
            axis_titles=canvas.axis_titles, names=names), key="em_restarts_chart",
            config={"displaylogo": False})
        st.dataframe(pd.DataFrame({
            "optimum": [i + 1 for i in range(found)],
            "starts": [o.count for o in result.optima],
            "log-likelihood": [o.log_likelihood for o in result.optima],
            "agreement with the best (ARI)": [o.ari for o in result.optima],
            "seeds": [", ".join(str(v) for v in o.seeds) for o in result.optima],
            "stuck": ["yes" if o.stuck else "" for o in result.optima]}),
            hide_index=True, width="stretch",
            column_config={"log-likelihood": st.column_config.NumberColumn(format="%.4f"),
                           "agreement with the best (ARI)":
                               st.column_config.NumberColumn(format="%.2f")})
        picks = st.columns(min(found, 6))
        for i, (col, opt) in enumerate(zip(picks, result.optima, strict=False)):
            seed_ = result.runs[opt.best].seed
            col.button(f"Step through {i + 1} (seed {seed_})", key=f"{keys.W_EM_PICK}{i}",
                       on_click=stepper.step_through, args=(seed_,), width="stretch",
                       disabled=seed_ == int(seed))
