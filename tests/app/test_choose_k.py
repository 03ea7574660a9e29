"""Choose k: gmm_core.analysis.choose_k against independent computations, and the page's
AppTest flows."""

import base64
import json
import pathlib

import numpy as np
import pytest
from sklearn.cluster import KMeans
from streamlit.testing.v1 import AppTest

import gmm_core
import gmm_core.analysis.choose_k
import gmm_core.data
from ui import dataset, keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOUR_BLOBS = dict(n_components=4, n_samples=600, elongation=2.0, rotation=30,
                  separation=10.0, random_state=0)


@pytest.fixture(scope="module")
def four_blobs():
    return dataset.load_blobs(**FOUR_BLOBS)


@pytest.fixture(scope="module")
def sweep(four_blobs):
    calls = []
    sel = gmm_core.analysis.choose_k.model_sweep(
        four_blobs.X, range(1, 7), ("full", "tied", "spherical"), n_init=2, random_state=0,
        progress=lambda done, total: calls.append((done, total)))
    return sel, calls


def test_sweep_recommends_the_true_k_and_reports_progress(sweep):
    sel, calls = sweep
    rec = gmm_core.analysis.choose_k.recommend(sel)
    assert rec.k == 4
    assert rec.sentence.startswith("Recommended: 4 components with ")
    assert rec.sentence.endswith("covariance (lowest BIC among sound fits).")
    assert calls[-1] == (36, 36) and len(calls) == 36
    assert len(sel.table) == 36


def test_criterion_curves_spread_over_restarts(sweep):
    sel, _ = sweep
    curves = gmm_core.analysis.choose_k.criterion_curves(sel)
    assert set(curves["criterion"]) == {"bic", "aic", "icl"}
    assert len(curves) == 3 * 3 * 6
    assert (curves["min"] <= curves["mean"]).all() and (curves["mean"] <= curves["max"]).all()
    assert (curves["n_fits"] == 2).all()
    full4 = sel.table.query("covariance_type == 'full' and n_components == 4")["bic"]
    row = curves.query("criterion == 'bic' and covariance_type == 'full' and n_components == 4")
    assert row["min"].item() == pytest.approx(full4.min())


def test_recommend_by_aic_and_rejects_unknown_criterion(sweep):
    sel, _ = sweep
    assert gmm_core.analysis.choose_k.recommend(sel, "aic").criterion == "aic"
    with pytest.raises(ValueError, match="criterion"):
        gmm_core.analysis.choose_k.recommend(sel, "likelihood")


def test_kmeans_sweep_matches_sklearn_and_subsamples_silhouette(four_blobs):
    from sklearn.metrics import silhouette_score

    X = four_blobs.X
    out = gmm_core.analysis.choose_k.kmeans_sweep(X, [1, 3, 4], random_state=0, max_silhouette=300)
    assert out["k"].tolist() == [1, 3, 4] and np.isnan(out["silhouette"].iloc[0])
    Xs = gmm_core.Scaler("standard").fit_transform(X)
    km = KMeans(n_clusters=4, n_init=1, random_state=0).fit(Xs)
    assert out["inertia"].iloc[2] == pytest.approx(km.inertia_)
    rows = gmm_core.data.display_subsample(X.shape[0], 300, seed=0)
    assert out["silhouette"].iloc[2] == pytest.approx(silhouette_score(Xs[rows], km.labels_[rows]))
    assert out["silhouette"].idxmax() == 2  # k = 4
    again = gmm_core.analysis.choose_k.kmeans_sweep(X, [1, 3, 4], random_state=0,
                                                    max_silhouette=300)
    assert again.equals(out)


# --- AppTest flows ----------------------------------------------------------------------------

def _array(value):
    """A plotly array from a figure spec (plain list or base64 ``bdata``)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()


def _load_four_blobs(at):
    """Generate the 4-blob data on the Data page, as a user would."""
    at.selectbox(key=keys.W_DEMO).set_value("Elongated clusters").run()
    at.slider(key=keys.W_BLOB_K).set_value(FOUR_BLOBS["n_components"])
    at.slider(key=keys.W_BLOB_N).set_value(FOUR_BLOBS["n_samples"])
    at.slider(key=keys.W_BLOB_ELONGATION).set_value(FOUR_BLOBS["elongation"])
    at.slider(key=keys.W_BLOB_SEPARATION).set_value(FOUR_BLOBS["separation"]).run()
    at.button(key=keys.W_DEMO_LOAD).click().run()
    assert at.session_state[keys.DATASET].name.startswith("Elongated clusters (k=4")
    return at


def test_choose_k_recommends_4_on_four_blobs_and_sends_it_to_compare():
    at = _load_four_blobs(_app())
    at.switch_page("pages/choose_k.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    sentence = at.success[0].value
    assert sentence.startswith("Recommended: 4 components with ")
    ctype = sentence.split(" with ")[1].split(" covariance")[0]
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert len(charts) == 3
    bic = charts[0]
    assert [t["name"] for t in bic["data"] if t.get("mode") == "lines+markers"] == \
        ["full", "tied", "diag", "spherical"]
    assert any("lower is better" in a["text"] for a in bic["layout"]["annotations"])
    apply = at.button(key=keys.W_CK_APPLY)
    assert apply.label == f"Use k = 4, {ctype} on Compare"
    apply.click().run()
    assert not at.exception
    assert at.button(key=keys.W_CK_APPLY).proto.disabled  # already applied
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    assert at.slider(key=keys.W_K).value == 4
    assert at.selectbox(key=keys.W_COVARIANCE).value == ctype


def test_apply_overrides_a_k_already_chosen_on_compare():
    at = _app()
    at.switch_page("pages/compare.py").run()
    at.slider(key=keys.W_K).set_value(2).run()
    at.switch_page("pages/choose_k.py").run()
    at.slider(key=keys.W_CK_KMAX).set_value(6).run()
    assert not at.exception
    rec_k = int(at.button(key=keys.W_CK_APPLY).label.split("k = ")[1].split(",")[0])
    assert rec_k != 2
    at.button(key=keys.W_CK_APPLY).click().run()
    at.switch_page("pages/compare.py").run()
    assert at.slider(key=keys.W_K).value == rec_k


def test_controls_restarts_and_no_types_guard():
    at = _app()
    at.switch_page("pages/choose_k.py").run()
    at.slider(key=keys.W_CK_KMAX).set_value(4)
    at.multiselect(key=keys.W_CK_TYPES).set_value(["full", "diag"])
    at.number_input(key=keys.W_CK_N_INIT).set_value(2).run()
    assert not at.exception and not at.error
    bic = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in bic["data"] if t.get("mode") == "lines+markers"] == ["full", "diag"]
    at.multiselect(key=keys.W_CK_TYPES).set_value([]).run()
    assert not at.exception
    assert at.info and "at least one covariance type" in at.info[0].value


def test_choose_by_icl_and_check_stability_per_k():
    """Issue 19: ICL selectable, stability per k as a second opinion, degenerate fits named."""
    at = _load_four_blobs(_app())
    at.switch_page("pages/choose_k.py").run()
    assert at.number_input(key=keys.W_CK_N_INIT).value == 3          # 3 starts by default
    radio = at.radio(key=keys.W_CK_CRITERION)
    assert radio.options == ["BIC", "AIC", "ICL"] or list(radio.options) == ["bic", "aic", "icl"]
    radio.set_value("icl").run()
    assert not at.exception
    assert "(lowest ICL among sound fits)" in at.success[0].value
    assert any("overlap" in c.value for c in at.caption)
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert charts[0]["layout"]["yaxis"]["title"]["text"] == "ICL"
    at.toggle(key=keys.W_CK_STABILITY).set_value(True).run()
    assert not at.exception
    spec = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                if el.proto.id.endswith("ck_stability"))
    bars = spec["data"][0]
    x, y = (_array(bars[a]) for a in ("x", "y"))
    assert x.tolist() == list(range(2, 11))
    stability = dict(zip(x.tolist(), y.tolist(), strict=True))
    assert stability[4] == 1.0                        # the four true blobs: always found again
    table = next(t.value for t in at.dataframe if "degenerate" in t.value.columns)
    assert "init" in table.columns and set(table["init"]) == {"hierarchical", "kmeans"}


def test_the_sweep_shares_each_start_across_covariance_types_without_changing_a_fit():
    """One k-means (or hierarchical) start per (k, restart), reused for the four types."""
    from gmm_core.analysis.guarded import fit_mixture, scale_for_fit

    X = dataset.load_blobs(**FOUR_BLOBS).X
    sel = gmm_core.analysis.choose_k.model_sweep(X, range(1, 5), n_init=2, random_state=0)
    _, Xs, _ = scale_for_fit(X, "standard")
    for _, row in sel.table.iterrows():
        gm, _ = fit_mixture(Xs, int(row["n_components"]), covariance_type=row["covariance_type"],
                            init_params=row["init"], random_state=int(row["seed"]))
        assert row["log_likelihood"] == pytest.approx(gm.score(Xs), rel=1e-9, abs=1e-9)
