"""Issue 19, items 1-3: degenerate fits recognised, a hierarchical start, ICL."""

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.datasets import load_iris
from sklearn.metrics import adjusted_rand_score

import gmm_core
from gmm_core.analysis.choose_k import criterion_curves, model_sweep, recommend
from gmm_core.mixture import degenerate_components, initial_params, select_model
from gmm_core.mixture._hierarchical import MAX_ROWS, hierarchical_labels

IRIS = load_iris()
FEATURES = ["sepal length", "sepal width", "petal length", "petal width"]


def _blobs(seed=0):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(7, 1, (200, 2))])


def test_a_sound_fit_has_no_degenerate_component():
    X = _blobs()
    gm = gmm_core.GaussianMixture(2, random_state=0).fit(X)
    assert degenerate_components(gm, X) == {}


def test_a_component_on_copies_of_one_row_is_degenerate():
    X = np.vstack([_blobs(), np.tile([[20.0, -5.0]], (8, 1))])
    gm = gmm_core.GaussianMixture(3, random_state=0).fit(X)
    found = degenerate_components(gm, X, ["income", "spend"])
    (j, why), = found.items()
    assert np.allclose(gm.means_[j], [20.0, -5.0]) and "copies of 1 distinct point" in why


def test_a_component_flat_on_one_rounded_value_is_degenerate():
    rng = np.random.RandomState(1)
    flat = np.c_[rng.normal(10, 1, 40), np.full(40, 3.0)]     # every row has spend = 3.0
    X = np.vstack([_blobs(), flat])
    gm = gmm_core.GaussianMixture(3, random_state=0).fit(X)
    found = degenerate_components(gm, X, ["income", "spend"])
    assert len(found) == 1
    assert "the same value of spend" in next(iter(found.values()))


def test_a_tiny_component_is_degenerate_by_size_for_its_covariance_type():
    X = np.vstack([_blobs(), [[30.0, 30.0], [30.5, 29.0]]])   # two far rows
    full = gmm_core.GaussianMixture(3, random_state=0).fit(X)
    assert any("fewer than the 3 needed" in w for w in degenerate_components(full, X).values())
    # a diagonal covariance needs only two rows: the same pair is a (tiny) sound component
    diag = gmm_core.GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    assert degenerate_components(diag, X) == {}


@pytest.mark.parametrize("n_init", [1, 3, 10])
def test_iris_is_never_recommended_a_degenerate_fit(n_init):
    """Issue 19: with 10 restarts Choose k recommended full k = 8 (ARI 0.39) before."""
    sel = model_sweep(IRIS.data, range(1, 9), n_init=n_init, random_state=0,
                      feature_names=FEATURES)
    rec = recommend(sel)
    assert rec.k <= 4
    best = sel.table.loc[sel.table["bic"].idxmin()]
    assert best["degenerate"], "the lowest BIC of all is a degenerate fit"
    assert "set aside" in rec.set_aside and "petal width" in rec.set_aside
    chosen = sel.best_model
    assert degenerate_components(chosen, gmm_core.Scaler("standard").fit_transform(IRIS.data)) == {}
    curves = criterion_curves(sel)
    bic = curves[curves["criterion"] == "bic"].set_index(["covariance_type", "n_components"])
    for (ct, k), fits in sel.table.groupby(["covariance_type", "n_components"]):
        sound = fits[fits["degenerate"] == ""]["bic"]
        if len(sound):                           # the line follows sound fits only
            assert bic.loc[(ct, k), "min"] == sound.min() and not bic.loc[(ct, k), "degenerate"]
        else:                                    # crossed out on the chart
            assert bic.loc[(ct, k), "degenerate"]
    assert bic["degenerate"].any() == (n_init == 1)
    assert not curves.query("covariance_type == @rec.covariance_type and "
                            "n_components == @rec.k")["degenerate"].any()


def test_select_model_skips_degenerate_fits_for_every_criterion():
    X = np.vstack([_blobs(), np.tile([[20.0, -5.0]], (8, 1))])
    sel = select_model(X, [2, 3], ["full"], n_init=2, random_state=0)
    assert (sel.table.query("n_components == 3")["degenerate"] != "").all()
    for criterion in ("bic", "aic", "icl"):
        again = select_model(X, [2, 3], ["full"], n_init=2, random_state=0, criterion=criterion)
        assert again.best["n_components"] == 2 and again.best_model.n_components == 2


def test_icl_is_bic_plus_twice_the_assignment_entropy():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(1.5, 1, (150, 2))])  # overlapping
    sel = select_model(X, [1, 2], ["full"], random_state=0)
    for _, row in sel.table.iterrows():
        gm = gmm_core.GaussianMixture(int(row["n_components"]),
                                      random_state=int(row["seed"])).fit(X)
        r = gm.predict_proba(X)
        entropy = -np.sum(r * np.log(np.clip(r, 1e-300, None)))
        assert row["icl"] == pytest.approx(row["bic"] + 2 * entropy, rel=1e-9)
        assert row["icl"] >= row["bic"]
    # the overlap costs ICL: one segment wins by ICL while BIC may split
    by_icl = select_model(X, [1, 2], ["full"], random_state=0, criterion="icl")
    assert by_icl.best["n_components"] == 1


def test_the_hierarchical_start_is_wards_clustering_and_deterministic():
    X = IRIS.data
    rows, labels = hierarchical_labels(X, 3)
    Z = (X - X.mean(0)) / X.std(0)
    want = fcluster(linkage(Z, "ward"), t=3, criterion="maxclust")
    assert rows.size == 150 and adjusted_rand_score(want, labels) == 1.0
    a = initial_params(X, 3, init_params="hierarchical", random_state=0)
    b = initial_params(X, 3, init_params="hierarchical", random_state=99)
    np.testing.assert_array_equal(a.means, b.means)               # random_state plays no part
    assert a.weights.sum() == pytest.approx(1.0)
    gm = gmm_core.GaussianMixture(3, init_params="hierarchical").fit(X)
    assert adjusted_rand_score(IRIS.target, gm.predict(X)) > 0.85    # mclust's VVV,3: 0.90


def test_the_hierarchical_start_samples_large_data():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (3000, 2)), rng.normal(8, 1, (3000, 2))])
    rows, labels = hierarchical_labels(X, 2)
    assert rows.size == MAX_ROWS and np.all(np.diff(rows) > 0)
    again, _ = hierarchical_labels(X, 2)
    np.testing.assert_array_equal(rows, again)
    truth = (np.arange(6000) >= 3000).astype(int)[rows]
    assert adjusted_rand_score(truth, labels) == 1.0
