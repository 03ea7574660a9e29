"""GaussianMixture against scikit-learn (the oracle) and its own promises."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from conftest import COVARIANCE_TYPES, blobs, elongated, init_arrays
from gmm_core import ConvergenceWarning, GaussianMixture, NotFittedError

RTOL = 1e-8


def _fit_both(X, k, covariance_type, max_iter=25, **kw):
    w, m, p = init_arrays(X, k, covariance_type)
    params = dict(covariance_type=covariance_type, weights_init=w, means_init=m,
                  precisions_init=p, max_iter=max_iter, tol=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(k, **params).fit(X)
        theirs = SkGaussianMixture(k, **params).fit(X)
    return ours, theirs


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dataset", ["iris", "blobs"])
def test_agrees_with_scikit_learn_step_for_step(covariance_type, dataset):
    X = load_iris().data if dataset == "iris" else blobs()[0]
    ours, theirs = _fit_both(X, 3, covariance_type)
    for attr in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=RTOL,
                                   atol=1e-300, err_msg=attr)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=RTOL)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=RTOL)
    assert ours.n_iter_ == theirs.n_iter_ == 25
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=RTOL,
                               atol=1e-300)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=RTOL)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=RTOL)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=RTOL)
    assert ours._n_parameters() == theirs._n_parameters()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_converges_where_scikit_learn_does(covariance_type):
    X, _ = blobs()
    ours, theirs = _fit_both(X, 3, covariance_type, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        w, m, p = init_arrays(X, 3, covariance_type)
        kw = dict(covariance_type=covariance_type, weights_init=w, means_init=m,
                  precisions_init=p)
        a = GaussianMixture(3, **kw).fit(X)
    b = SkGaussianMixture(3, **kw).fit(X)
    assert a.n_iter_ == b.n_iter_ and a.converged_ and b.converged_


def test_iris_reaches_scikit_learns_likelihood_and_species():
    data = load_iris()
    gm = GaussianMixture(3, covariance_type="full", n_init=10, random_state=0).fit(data.data)
    assert gm.score(data.data) == pytest.approx(-1.2015, abs=1e-3)
    assert adjusted_rand_score(data.target, gm.predict(data.data)) >= 0.90


def test_wine_diag_recovers_cultivars():
    data = load_wine()
    gm = GaussianMixture(3, covariance_type="diag", n_init=10, random_state=0)
    assert adjusted_rand_score(data.target, gm.fit_predict(data.data)) >= 0.90


@pytest.mark.parametrize("covariance_type, init_params", [("full", "k-means++"),
                                                        ("tied", "kmeans")])
def test_recovers_elongated_clusters(covariance_type, init_params):
    """The best of ten starts finds the long clusters.

    Starts matter here, exactly as with scikit-learn: for "full", a k-means
    start cuts across the clusters and EM stays there (ARI 0.51) while
    k-means++ starts find them; for "tied", single-point k-means++ starts
    collapse into one shared ellipse (ARI 0.41) while k-means starts succeed.
    """
    X, y = elongated()
    gm = GaussianMixture(3, covariance_type=covariance_type, n_init=10,
                         init_params=init_params, random_state=0)
    assert adjusted_rand_score(y, gm.fit_predict(X)) > 0.95


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_method_fits(init_params):
    X, y = blobs()
    gm = GaussianMixture(3, init_params=init_params, n_init=3, random_state=0, max_iter=500)
    assert adjusted_rand_score(y, gm.fit_predict(X)) > 0.95


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_predict_equals_fit_then_predict(covariance_type):
    X, _ = blobs()
    a = GaussianMixture(3, covariance_type=covariance_type, random_state=3).fit_predict(X)
    b = GaussianMixture(3, covariance_type=covariance_type, random_state=3).fit(X).predict(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_weights_equal_repeated_rows(covariance_type):
    X, _ = blobs(n_per=20)
    counts = np.random.RandomState(0).randint(0, 4, len(X))
    counts[:3] = 1  # the init means come from these rows
    w, m, p = init_arrays(X[:3], 3, covariance_type, seed=0)
    kw = dict(covariance_type=covariance_type, weights_init=w, means_init=m,
              precisions_init=p, max_iter=20, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = GaussianMixture(3, **kw).fit(X, sample_weight=counts)
        repeated = GaussianMixture(3, **kw).fit(np.repeat(X, counts, axis=0))
    for attr in ("weights_", "means_", "covariances_", "lower_bound_"):
        np.testing.assert_allclose(getattr(weighted, attr), getattr(repeated, attr),
                                   rtol=1e-9, err_msg=attr)


def test_sample_weight_kmeans_init_runs():
    X, y = blobs()
    sw = np.random.RandomState(1).uniform(0.5, 2, len(X))
    gm = GaussianMixture(3, random_state=0).fit(X, sample_weight=sw)
    assert adjusted_rand_score(y, gm.predict(X)) > 0.95


def test_row_order_does_not_change_the_fit():
    X, _ = blobs()
    perm = np.random.RandomState(7).permutation(len(X))
    w, m, p = init_arrays(X, 3, "full")
    kw = dict(weights_init=w, means_init=m, precisions_init=p)
    a = GaussianMixture(3, **kw).fit(X)
    b = GaussianMixture(3, **kw).fit(X[perm])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)


def test_convergence_warning_when_max_iter_too_small():
    X, _ = blobs()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        gm = GaussianMixture(3, max_iter=2, tol=0, random_state=0).fit(X)
    assert not gm.converged_ and gm.n_iter_ == 2 and len(gm.lower_bounds_) == 2


def test_all_three_init_arrays_skip_initialisation():
    """Given weights, means and precisions, random_state must not matter."""
    X, _ = blobs()
    w, m, p = init_arrays(X, 3, "full")
    kw = dict(weights_init=w, means_init=m, precisions_init=p, max_iter=3, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = GaussianMixture(3, random_state=0, **kw).fit(X)
        b = GaussianMixture(3, random_state=99, **kw).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)


def test_warm_start_continues_from_last_solution():
    X, _ = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(3, warm_start=True, max_iter=1, random_state=0, tol=0)
        bounds = [gm.fit(X).lower_bound_ for _ in range(5)]
    assert np.all(np.diff(bounds) >= -1e-12)


def test_dataframe_input_records_feature_names():
    X, _ = blobs()
    df = pd.DataFrame(X, columns=["income", "spend"])
    gm = GaussianMixture(2, random_state=0).fit(df)
    assert list(gm.feature_names_in_) == ["income", "spend"] and gm.n_features_in_ == 2
    with pytest.raises(ValueError, match="feature names should match"):
        gm.predict(df.rename(columns={"spend": "age"}))


def test_sample_draws_from_the_mixture():
    X, _ = blobs(n_per=300)
    gm = GaussianMixture(3, random_state=0).fit(X)
    S, labels = gm.sample(3000)
    assert S.shape == (3000, 2) and np.bincount(labels).sum() == 3000
    for k in range(3):
        np.testing.assert_allclose(S[labels == k].mean(axis=0), gm.means_[k], atol=0.15)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_components=0), "n_components must be an integer >= 1"),
    (dict(covariance_type="round"), "covariance_type must be one of"),
    (dict(tol=-1), "tol must be"),
    (dict(reg_covar=-1), "reg_covar must be"),
    (dict(max_iter=-1), "max_iter must be"),
    (dict(n_init=0), "n_init must be"),
    (dict(init_params="magic"), "init_params must be one of"),
    (dict(weights_init=[0.2, 0.2]), "weights_init should have shape"),
    (dict(weights_init=[0.2, 0.2, 0.2]), "should be normalized"),
    (dict(means_init=np.zeros((3, 5))), "means_init should have shape"),
    (dict(precisions_init=-np.ones(3), covariance_type="spherical"), "should be positive"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    X, _ = blobs()
    kw = dict(n_components=3) | kwargs
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**kw).fit(X)


def test_more_components_than_rows_is_a_clear_value_error():
    with pytest.raises(ValueError, match="n_samples >= n_components.*fewer components"):
        GaussianMixture(5).fit(np.arange(8.0).reshape(4, 2))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(bad):
    X, _ = blobs()
    X[5, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinity.*row 5, column 1"):
        GaussianMixture(2).fit(X)


def test_values_whose_squares_overflow_are_refused_with_a_remedy():
    X, _ = blobs()
    X[3, 1] = 1e300
    with pytest.raises(ValueError, match="as large as 1e.300.*standardise"):
        GaussianMixture(2).fit(X)
    X[3, 1] = 1e149  # squares still fit in a double: accepted
    GaussianMixture(2, reg_covar=1e-3).fit(X / 1e140)


def test_collapsed_component_error_has_a_remedy():
    X = np.vstack([np.zeros((10, 2)), np.random.RandomState(0).normal(5, 1, (10, 2))])
    w, m = np.array([0.5, 0.5]), np.array([[0.0, 0.0], [5.0, 5.0]])
    gm = GaussianMixture(2, reg_covar=0.0, weights_init=w, means_init=m,
                         precisions_init=np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match=r"Component 0 collapsed.*increase reg_covar"):
        gm.fit(X)
    # the default regularisation keeps it usable
    gm.set_params(reg_covar=1e-6).fit(X)
    assert np.all(np.isfinite(gm.score_samples(X)))


def test_unfitted_model_says_so():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianMixture().predict(np.zeros((2, 2)))


def test_bic_aic_formulas_and_lower_is_better():
    X, _ = blobs()
    gm1 = GaussianMixture(1, random_state=0).fit(X)
    gm3 = GaussianMixture(3, random_state=0).fit(X)
    n, ll = len(X), gm3.score(X) * len(X)
    assert gm3.bic(X) == pytest.approx(-2 * ll + 17 * np.log(n))
    assert gm3.aic(X) == pytest.approx(-2 * ll + 2 * 17)
    assert gm3.bic(X) < gm1.bic(X)


@pytest.mark.parametrize("name, k, covariance_type", [
    ("iris", 3, "full"), ("wine", 3, "diag"), ("customers", 5, "full"), ("blobs", 3, "full")])
def test_cheap_default_start_fits_as_well_as_scikit_learns(name, k, covariance_type):
    """Our default start (k-means++ on a sample, <= 10 Lloyd passes) against scikit-learn's
    full KMeans start: over five seeds the fits are as good on the demo and real data."""
    import gmm_core

    X = {"iris": lambda: gmm_core.data.load_iris_data().features,
         "wine": lambda: gmm_core.data.load_wine_data().features,
         "customers": lambda: gmm_core.make_customers(2000).features,
         "blobs": lambda: gmm_core.make_elongated_blobs(1500).features}[name]().to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    ours = [GaussianMixture(k, covariance_type=covariance_type, random_state=s).fit(X).score(X)
            for s in range(5)]
    theirs = [SkGaussianMixture(k, covariance_type=covariance_type, random_state=s).fit(X)
              .score(X) for s in range(5)]
    assert np.mean(ours) >= np.mean(theirs) - 1e-3


def test_max_time_stops_em_keeps_best_and_warns():
    X = blobs(n_per=1000)[0]
    gm = GaussianMixture(3, max_iter=10_000, tol=0, n_init=3, max_time=1e-9, random_state=0)
    with pytest.warns(ConvergenceWarning, match="time limit"):
        gm.fit(X)
    assert gm.timed_out_ and not gm.converged_
    assert gm.n_iter_ == 1  # the iteration that crossed the budget is completed
    assert np.isfinite(gm.score(X))
    quick = GaussianMixture(3, random_state=0, max_time=60).fit(X)
    assert not quick.timed_out_ and quick.converged_


@pytest.mark.parametrize("bad", [0, -1.0, "1", True])
def test_max_time_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="max_time"):
        GaussianMixture(2, max_time=bad).fit(np.random.RandomState(0).rand(10, 2))


# ------------------------------------------------------------------ scikit-learn drop-in
def test_is_a_scikit_learn_density_estimator_with_its_params_api():
    from sklearn.base import BaseEstimator, DensityMixin, is_clusterer

    gm = GaussianMixture(3, covariance_type="diag")
    assert isinstance(gm, BaseEstimator) and isinstance(gm, DensityMixin)
    assert not is_clusterer(gm)  # as scikit-learn's: a density estimator, no labels_
    assert repr(gm) == "GaussianMixture(covariance_type='diag', n_components=3)"
    assert gm.get_params()["verbose_interval"] == 10
    with pytest.raises(ValueError, match="Invalid parameter 'colour'"):
        gm.set_params(colour=1)


def test_errors_are_scikit_learns_classes():
    """Filters and handlers written for scikit-learn's classes catch ours (issue 22)."""
    from sklearn import exceptions

    assert issubclass(ConvergenceWarning, exceptions.ConvergenceWarning)
    assert issubclass(NotFittedError, exceptions.NotFittedError)
    with pytest.raises(exceptions.NotFittedError):
        GaussianMixture().predict(np.zeros((2, 2)))
    X, _ = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=exceptions.ConvergenceWarning)
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_data_gives_float32_model_and_outputs(covariance_type):
    """As scikit-learn: float32 in, float32 fitted arrays, densities and probabilities out.

    The fit itself runs in float64, so it equals the float64 fit of the same values
    rounded to float32.
    """
    X = blobs()[0].astype(np.float32)
    gm32 = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    gm64 = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(
        X.astype(np.float64))
    for attr in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(gm32, attr).dtype == np.float32, attr
        np.testing.assert_array_equal(getattr(gm32, attr),
                                      getattr(gm64, attr).astype(np.float32), err_msg=attr)
    assert gm32.score_samples(X).dtype == gm32.predict_proba(X).dtype == np.float32
    assert gm32.score_samples(X.astype(np.float64)).dtype == np.float64
    assert gm64.predict_proba(X).dtype == np.float64
    assert gm64.means_.dtype == np.float64


def test_verbose_prints_as_scikit_learn(capsys):
    X, _ = blobs()
    params = dict(n_components=3, random_state=0, max_iter=12, tol=0, verbose_interval=5)
    for verbose in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            GaussianMixture(verbose=verbose, **params).fit(X)
            SkGaussianMixture(verbose=verbose, **params).fit(X)
        ours, theirs = capsys.readouterr().out.split("Initialization 0\n")[1:]
        def strip(out):  # the times differ; the rest is the same text
            return re.sub(r"time lapse [0-9.]+s", "time lapse Ts", out).splitlines()
        assert strip(ours) == strip(theirs)
        assert "  Iteration 5" in ours and "  Iteration 4" not in ours
    with pytest.raises(ValueError, match="verbose_interval must be an integer >= 1"):
        GaussianMixture(verbose=1, verbose_interval=0).fit(X)


def test_works_in_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs()
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0)).fit(X)
    assert adjusted_rand_score(y, pipe.predict(X)) > 0.95
    assert pipe.predict_proba(X).shape == (len(X), 3)
    assert np.isfinite(pipe.score(X))


def test_grid_search_by_bic_picks_the_true_number_of_components():
    """scikit-learn's gallery recipe: GridSearchCV scored by minus the BIC."""
    from sklearn.model_selection import GridSearchCV

    X, _ = blobs()
    search = GridSearchCV(GaussianMixture(random_state=0),
                          {"n_components": [1, 2, 3, 4], "covariance_type": ["full", "diag"]},
                          scoring=lambda est, X: -est.bic(X), cv=3).fit(X)
    assert search.best_params_["n_components"] == 3
    assert isinstance(search.best_estimator_, GaussianMixture)


def test_clone_copies_parameters_not_the_fit():
    from sklearn.base import clone

    X, _ = blobs()
    means = X[:3]
    gm = GaussianMixture(3, means_init=means, random_state=0).fit(X)
    twin = clone(gm)
    assert twin.get_params()["n_components"] == 3 and twin.means_init is not means
    np.testing.assert_array_equal(twin.means_init, means)
    assert not hasattr(twin, "means_")
    np.testing.assert_array_equal(twin.fit(X).means_, gm.means_)


def test_set_output_pandas_passes_frames_through_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs()
    frame = pd.DataFrame(X, columns=["a", "b"])
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0))
    pipe.set_output(transform="pandas").fit(frame)
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, ["a", "b"])
    assert adjusted_rand_score(y, pipe.predict(frame)) > 0.95
