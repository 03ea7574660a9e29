"""KMeans next to the GMM: aligned colours, metrics, original units, the sentence."""

import numpy as np
import pytest

import gmm_core
import gmm_core.analysis.compare
import gmm_core.analysis.guarded
from conftest import blobs, elongated, with_gaps
from gmm_core.analysis.compare import (
    compare_models,
    contingency,
    decision_grid,
    describe_comparison,
)


@pytest.fixture(scope="module")
def blob_cmp():
    X, y = blobs(n_per=80, seed=3)
    X = X * [10.0, 0.5] + [100.0, -3.0]  # unequal units: scaling matters
    return X, y, compare_models(X, 3, random_state=0, y_true=y)


def test_colours_are_aligned_between_models(blob_cmp):
    X, y, cmp = blob_cmp
    assert cmp.metrics["ari_models"] == pytest.approx(1.0)
    np.testing.assert_array_equal(cmp.kmeans_labels, cmp.gmm_labels)
    assert not cmp.disagreement.any()
    # the aligned centroid j sits on the GMM mean j
    np.testing.assert_allclose(cmp.centroids, cmp.means, atol=0.5)


def test_means_and_covariances_are_in_original_units(blob_cmp):
    X, y, cmp = blob_cmp
    for j in range(3):
        rows = X[cmp.gmm_labels == j]
        np.testing.assert_allclose(cmp.means[j], rows.mean(axis=0), rtol=0.05, atol=0.05)
        np.testing.assert_allclose(np.diag(cmp.covariances[j]), rows.var(axis=0), rtol=0.3)


def test_metrics_against_truth(blob_cmp):
    _, _, cmp = blob_cmp
    m = cmp.metrics
    assert m["ari_gmm_truth"] == pytest.approx(1.0)
    assert m["nmi_kmeans_truth"] == pytest.approx(1.0)
    assert np.isfinite(m["bic"]) and np.isfinite(m["log_likelihood"])


def test_metrics_without_truth_are_none():
    X, _ = blobs(n_per=30)
    m = compare_models(X, 3, random_state=0).metrics
    assert m["ari_gmm_truth"] is None and m["nmi_kmeans_truth"] is None


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_every_covariance_type_gives_full_matrices(covariance_type):
    X, _ = blobs(n_per=40)
    cmp = compare_models(X, 3, covariance_type=covariance_type, random_state=1)
    assert cmp.covariances.shape == (3, 2, 2)
    assert np.all(np.linalg.eigvalsh(cmp.covariances) > 0)


def test_sentence_says_kmeans_cuts_across_elongated_clusters():
    """Regression: the sentence is derived from the fit, not a fixed string."""
    X, y = elongated(n_per=150)
    cmp = compare_models(X, 3, scaling="none", init_params="k-means++", n_init=5,
                         random_state=0, y_true=y)
    assert cmp.metrics["ari_gmm_truth"] > 0.9
    assert cmp.metrics["ari_kmeans_truth"] < 0.6
    text = describe_comparison(cmp, ["A", "B", "C"])
    assert "KMeans cuts across" in text or "KMeans splits" in text
    assert "stretched" in text and "segment" in text
    X2, _ = blobs(n_per=60)
    assert describe_comparison(compare_models(X2, 3, random_state=0)).startswith("Both models")


def test_sentence_blames_round_kmeans_only_when_a_disputed_segment_is_stretched():
    """Regression (issue 16): "the GMM's are stretched" was said whenever any component was.

    Two round groups of different spread (the models draw their border differently) and a
    far, stretched group both models agree on: the sentence must not blame the stretch.
    """
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal([0, 0], 2.0, (600, 2)), rng.normal([5, 0], 0.7, (200, 2)),
                   rng.normal([0, 0], [1.2, 0.3], (300, 2)) + [2, 16]])
    cmp = compare_models(X, 3, scaling="none", random_state=0, n_init=3)
    evals = np.linalg.eigvalsh(cmp.gmm.full_covariances_)
    assert np.max(evals[:, -1] / evals[:, 0]) > 4.0  # one component is stretched...
    text = describe_comparison(cmp, ["A", "B", "C"])
    assert "draw the borders differently" in text  # ...but it is not the one they dispute
    assert "stretched" not in text and "round" not in text
    assert "segment A" in text or "segment B" in text


def test_sentence_for_one_component():
    X, _ = blobs(n_per=20)
    assert "k = 1" in describe_comparison(compare_models(X, 1, random_state=0))


def test_contingency_counts():
    table = contingency([0, 1, 1, 2], [1, 1, 0, 2], 3)
    assert table.sum() == 4 and table[1, 1] == 1 and table[1, 0] == 1


def test_decision_grid_labels_the_centroids_region(blob_cmp):
    _, _, cmp = blob_cmp
    lo, hi = cmp.centroids.min(axis=0) - 1, cmp.centroids.max(axis=0) + 1
    for kind in ("kmeans", "gmm"):
        xs, ys, z = decision_grid(cmp, (lo[0], hi[0]), (lo[1], hi[1]), kind=kind, resolution=120)
        assert z.shape == (120, 120)
        for j, c in enumerate(cmp.centroids):
            i_y = np.abs(ys - c[1]).argmin()
            i_x = np.abs(xs - c[0]).argmin()
            assert z[i_y, i_x] == j
    _, _, dens = decision_grid(cmp, (lo[0], hi[0]), (lo[1], hi[1]), kind="density", resolution=20)
    assert np.all(dens >= 0)


def test_decision_grid_needs_two_features():
    rng = np.random.default_rng(0)
    cmp = compare_models(rng.normal(size=(60, 3)), 2, random_state=0)
    with pytest.raises(ValueError, match="two features"):
        decision_grid(cmp, (0, 1), (0, 1))


def test_bad_k_is_a_value_error_with_remedy():
    with pytest.raises(ValueError, match="smaller k"):
        compare_models(np.zeros((3, 2)), 5)


def test_comparison_is_picklable_for_st_cache_data(blob_cmp):
    import pickle

    _, _, cmp = blob_cmp
    again = pickle.loads(pickle.dumps(cmp))
    np.testing.assert_array_equal(again.gmm_labels, cmp.gmm_labels)


def test_public_names_exported():
    """The Compare page's numbers live in gmm_core.analysis, the ellipses in its geometry."""
    import gmm_core.analysis.geometry

    for name in ("compare_models", "comparison_view", "describe_comparison", "decision_grid"):
        assert name in gmm_core.analysis.compare.__all__
    assert "ellipse_points" in gmm_core.analysis.geometry.__all__


def test_pca_view_projects_points_and_ellipses_consistently():
    """The PCA view of the scaled data, written as a map of original units."""
    rng = np.random.default_rng(2)
    X = rng.multivariate_normal([0, 0, 0], [[4, 1, 0], [1, 2, 0], [0, 0, 1]], 400) * [1, 100, 0.01]
    cmp = compare_models(X, 1, random_state=0)
    proj = gmm_core.analysis.compare.view_projection(cmp, X, ["a", "b", "c"])
    P = proj.project_points(X)
    np.testing.assert_allclose(P.mean(axis=0), 0, atol=1e-9)
    # the projected covariance of the single component is the covariance of the projected points
    np.testing.assert_allclose(proj.project_covariances(cmp.covariances)[0], np.cov(P.T, bias=True),
                               rtol=1e-3, atol=1e-6)
    view = gmm_core.analysis.compare.comparison_view(cmp, X, proj, max_points=100)
    assert view.points.shape == (100, 2) and view.n_total == 400 and not view.is_plane
    axes = gmm_core.analysis.compare.view_projection(cmp, X, ["a", "b", "c"], axes=("c", "a"))
    np.testing.assert_allclose(axes.project_points(X[:3]), X[:3][:, [2, 0]])


def test_convergence_warning_is_captured_not_raised(monkeypatch):
    import warnings

    class Impatient(gmm_core.GaussianMixture):
        def __init__(self, *args, **kwargs):
            kwargs["max_iter"] = 1
            kwargs["tol"] = 1e-12
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(gmm_core.analysis.guarded, "GaussianMixture", Impatient)
    X, _ = elongated(n_per=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmm_core.ConvergenceWarning)
        cmp = compare_models(X, 3, random_state=0)
    assert cmp.warnings and all(isinstance(w, str) and w for w in cmp.warnings)


def test_rows_with_gaps_fit_marginalised_and_kmeans_clusters_the_gmms_most_likely_values():
    """Issue 20: the GMM fits blank cells by their observed columns; KMeans, which cannot,
    clusters the GMM's imputed values -- the same values the charts draw such rows at."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    X0, y = blobs(n_per=80, seed=3)
    X = with_gaps(X0, 0.2, seed=1)
    gaps = np.isnan(X).any(axis=1)
    assert 40 < gaps.sum() < X.shape[0]
    cmp = compare_models(X, 3, random_state=0, y_true=y)
    assert cmp.gmm.nan_policy == "marginalize"
    assert cmp.had_gaps.tolist() == gaps.tolist()
    assert not np.isnan(cmp.filled).any()
    np.testing.assert_array_equal(cmp.filled[~np.isnan(X)], X[~np.isnan(X)])  # given values kept
    Xs = cmp.scaler.transform(X)
    imputed = cmp.scaler.inverse_transform(cmp.gmm.impute(Xs))
    np.testing.assert_allclose(cmp.filled[np.isnan(X)], imputed[np.isnan(X)])
    km = KMeans(n_clusters=3, n_init=1, random_state=0).fit(cmp.gmm.impute(Xs))
    assert adjusted_rand_score(km.labels_, cmp.kmeans.labels_) == 1.0
    complete = ~gaps  # a row with one of two values may be ambiguous; the complete ones are not
    assert adjusted_rand_score(y[complete], cmp.gmm_labels[complete]) > 0.95
    assert adjusted_rand_score(y[complete], cmp.kmeans_labels[complete]) > 0.95
    centres = np.array([(0.0, 0.0), (6.0, 1.0), (1.0, 7.0)])
    nearest = np.linalg.norm(cmp.means[:, None] - centres[None], axis=2).min(axis=1)
    assert nearest.max() < 0.5

    projection = gmm_core.analysis.compare.view_projection(cmp, X, ["a", "b"])  # PCA view
    view = gmm_core.analysis.compare.comparison_view(cmp, X, projection, max_points=10_000)
    assert view.n_shown == X.shape[0] and np.isfinite(view.points).all()  # none dropped
    assert view.gaps.tolist() == gaps[view.index].tolist()


def test_complete_data_has_no_filled_values():
    X, _ = blobs(n_per=30)
    cmp = compare_models(X, 3, random_state=0)
    assert cmp.filled is None and cmp.gaps is None and not cmp.had_gaps.any()
    assert cmp.gmm.nan_policy == "raise"


def test_a_row_with_no_chosen_value_is_refused_in_words():
    X, _ = blobs(n_per=10)
    X[4] = np.nan
    with pytest.raises(gmm_core.DataError, match="no value in any of the chosen feature columns"):
        compare_models(X, 2)
