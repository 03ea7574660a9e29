"""Tests for gmm_core.data.datasets: shapes, seeding, and the cases the demos exist for.

scikit-learn's ``GaussianMixture`` stands in for our own GMM here (test only;
``gmm_core`` never imports ``sklearn.mixture``): the pins say the *data* is a
case where a full-covariance mixture beats K-means.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from gmm_core.data.datasets import (
    CUSTOMER_SEGMENTS,
    DEMO_DATASETS,
    DemoDataset,
    load_iris_data,
    load_wine_data,
    make_customers,
    make_elongated_blobs,
)


def gmm_and_kmeans_ari(ds, k):
    X, y = ds.features.to_numpy(), ds.labels
    gmm = GaussianMixture(k, covariance_type="full", n_init=5, random_state=0).fit(X)
    km = KMeans(k, n_init=10, random_state=0).fit(X)
    return adjusted_rand_score(y, gmm.predict(X)), adjusted_rand_score(y, km.labels_)


def check_dataset(ds, n, d):
    assert isinstance(ds, DemoDataset)
    assert ds.features.shape == (n, d)
    assert (ds.features.dtypes == np.float64).all()
    assert np.isfinite(ds.features.to_numpy()).all()
    assert ds.labels.shape == (n,) and ds.labels.dtype.kind == "i"
    assert set(np.unique(ds.labels)) <= set(range(len(ds.label_names)))
    assert all(isinstance(name, str) for name in ds.label_names)
    assert isinstance(ds.name, str) and ds.name
    assert len(ds.frame) == n
    for column in ds.features:
        np.testing.assert_array_equal(ds.frame[column].to_numpy(), ds.features[column].to_numpy())


@pytest.mark.parametrize("name", list(DEMO_DATASETS))
def test_registry_entries_are_zero_argument_loaders(name):
    ds = DEMO_DATASETS[name]()
    check_dataset(ds, *ds.features.shape)
    assert ds.name == name
    assert ds.description


@pytest.mark.parametrize("factory", [make_elongated_blobs, make_customers])
def test_generators_are_seeded_and_shuffled(factory):
    a, b, c = factory(random_state=3), factory(random_state=3), factory(random_state=4)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not a.features.equals(c.features)
    # shuffled: labels are not in blocks
    assert np.count_nonzero(np.diff(a.labels)) > len(a.labels) / 4


def test_generators_accept_a_generator():
    rng = np.random.default_rng(5)
    assert make_elongated_blobs(50, random_state=rng).features.shape == (50, 2)


@pytest.mark.parametrize(
    "n_samples, n_components, n_features", [(600, 3, 2), (101, 4, 5), (7, 1, 2)]
)
def test_elongated_blobs_shapes_and_params(n_samples, n_components, n_features):
    ds = make_elongated_blobs(n_samples, n_components, n_features, random_state=0)
    check_dataset(ds, n_samples, n_features)
    p = ds.params
    assert p["weights"].shape == (n_components,)
    assert p["means"].shape == (n_components, n_features)
    assert p["covariances"].shape == (n_components, n_features, n_features)
    np.testing.assert_allclose(p["weights"].sum(), 1.0)
    assert list(ds.features.columns) == [f"x{j + 1} (a.u.)" for j in range(n_features)]


def test_elongated_blobs_geometry():
    ds = make_elongated_blobs(elongation=5.0, rotation=90.0)
    cov = ds.params["covariances"][0]
    eigvals, eigvecs = np.linalg.eigh(cov)
    np.testing.assert_allclose(np.sqrt(eigvals), [1.0, 5.0])
    np.testing.assert_allclose(np.abs(eigvecs[:, 1]), [0.0, 1.0], atol=1e-12)  # long axis vertical


def test_elongated_blobs_unequal_sizes():
    ds = make_elongated_blobs(600, 3, unequal_sizes=True)
    assert np.bincount(ds.labels).tolist() == [100, 200, 300]


def test_elongated_blobs_bad_arguments():
    with pytest.raises(ValueError, match="elongation"):
        make_elongated_blobs(elongation=0.5)
    with pytest.raises(ValueError, match="n_samples"):
        make_elongated_blobs(2, 3)


def test_elongated_defaults_defeat_kmeans_but_not_a_gmm():
    gmm_ari, km_ari = gmm_and_kmeans_ari(make_elongated_blobs(), 3)
    assert gmm_ari >= 0.9
    assert km_ari <= 0.7


def test_customers_columns_and_ranges():
    ds = make_customers()
    check_dataset(ds, 1000, 2)
    assert list(ds.features.columns) == ["Annual income (k$)", "Spending score (1-100)"]
    assert list(ds.frame.columns) == [
        "CustomerID", "Gender", "Age", "City", "Annual income (k$)", "Spending score (1-100)",
    ]
    score = ds.features["Spending score (1-100)"]
    assert score.between(1, 100).all() and (score == score.round()).all()
    assert ds.features["Annual income (k$)"].min() >= 5
    assert ds.frame["CustomerID"].is_unique
    assert ds.frame["Age"].between(18, 75).all()
    assert set(ds.frame["Gender"]) == {"Female", "Male"}
    sizes = np.bincount(ds.labels)
    assert sizes.max() > 2 * sizes.min()  # unequal segments


def test_customers_segment_names_are_exact():
    assert make_customers().label_names == list(CUSTOMER_SEGMENTS)
    assert make_customers(n_segments=4).label_names == [
        "Earn high, spend low",
        "Earn high, spend high",
        "Earn low, spend high",
        "Earn low, spend low",
    ]


def test_customers_segments_sit_where_their_names_say():
    ds = make_customers()
    income, score = ds.features.to_numpy().T
    for k, name in enumerate(ds.label_names):
        inc, sc = np.median(income[ds.labels == k]), np.median(score[ds.labels == k])
        if name.startswith("Earn high"):
            assert inc > 70
        if name.startswith("Earn low"):
            assert inc < 40
        if name.endswith("spend high"):
            assert sc > 65
        if name.endswith("spend low"):
            assert sc < 35


def test_customers_without_extra_columns():
    ds = make_customers(50, extra_columns=False, n_segments=4)
    assert list(ds.frame.columns) == list(ds.features.columns)
    assert ds.params["means"].shape == (4, 2)
    with pytest.raises(ValueError, match="n_segments"):
        make_customers(n_segments=3)


def test_customers_favour_a_gmm_over_kmeans():
    gmm_ari, km_ari = gmm_and_kmeans_ari(make_customers(), 5)
    assert gmm_ari >= 0.85
    assert gmm_ari > km_ari + 0.05


def test_iris_and_wine():
    iris, wine = load_iris_data(), load_wine_data()
    check_dataset(iris, 150, 4)
    check_dataset(wine, 178, 13)
    assert all("(cm)" in c for c in iris.features.columns)
    assert iris.params is None and wine.params is None
    assert iris.frame["Species"].iloc[0] == "Setosa"
    assert np.bincount(wine.labels).tolist() == [59, 71, 48]
    assert wine.features.columns[0] == "Alcohol (% vol)"
