"""Issue 19, items 4-5: stability per segment (Hennig's bootstrap) and the other columns
described."""

import numpy as np
import pytest

from gmm_core.analysis.choose_k import stability_sweep
from gmm_core.analysis.profiles import column_profiles, default_columns, profile_frame
from gmm_core.analysis.stability import FOUND, jaccard_matrix, segment_stability
from gmm_core.data.reader import read_table


def _three(seed=0, n=150):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.normal(c, 1.0, (n, 2)) for c in ((0, 0), (9, 0), (0, 9))])


def test_jaccard_matrix_against_sets():
    a, b = np.array([0, 0, 1, 1, 2]), np.array([1, 1, 0, 1, 0])
    J = jaccard_matrix(a, b, 3, 2)
    for i in range(3):
        for j in range(2):
            A, B = set(np.flatnonzero(a == i)), set(np.flatnonzero(b == j))
            assert J[i, j] == pytest.approx(len(A & B) / len(A | B))


def test_well_separated_segments_are_found_in_every_resample():
    s = segment_stability(_three(), 3, n_boot=20, random_state=0)
    assert s.n_boot == 20 and s.found.tolist() == [20, 20, 20]
    assert (s.jaccard >= FOUND).all() and s.mean_rate == 1.0
    assert np.allclose(s.shares.mean(axis=0), 1 / 3, atol=0.03)
    assert (s.centre_spread() < 0.3).all()               # the centres barely move
    assert "stable segment" in s.sentence(0, noun="customers")
    assert "20 of 20 random re-draws of the customers" in s.sentence(0, noun="customers")


def test_a_segment_split_off_by_chance_is_not_stable():
    """Two true groups fitted with k = 3: the extra split moves from resample to resample."""
    rng = np.random.RandomState(1)
    X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(10, 1, (200, 2))])
    s = segment_stability(X, 3, covariance_type="spherical", n_boot=20, random_state=0)
    two = segment_stability(X, 2, covariance_type="spherical", n_boot=20, random_state=0)
    assert two.found.tolist() == [20, 20]
    assert s.rate.min() < 0.85 and s.mean_rate < two.mean_rate
    weak = int(np.argmin(s.rate))
    assert "not stable" in s.sentence(weak) or "dissolves" in s.sentence(weak)


def test_the_check_stops_at_its_time_limit_and_says_so():
    s = segment_stability(_three(n=2000), 3, n_boot=200, max_time=0.5, n_jobs=1)
    assert 0 <= s.n_boot < 200 and s.n_asked == 200
    if s.n_boot == 0:
        assert "could not be checked" in s.sentence(0)


def test_large_data_is_resampled_at_most_max_rows():
    s = segment_stability(_three(n=3000), 3, n_boot=3, max_rows=1000)
    assert s.resample_rows == 1000 and s.found.tolist() == [3, 3, 3]


def test_stability_per_k_prefers_the_true_k():
    table = stability_sweep(_three(), [2, 3, 4, 5], n_boot=10, covariance_type="spherical")
    assert table["k"].tolist() == [2, 3, 4, 5] and (table["n_boot"] == 10).all()
    assert table.set_index("k")["least"][3] == 1.0
    assert table.set_index("k")["least"][5] < 1.0


CUSTOMERS = ("CustomerID,Gender,City,Age,income,spend\n" + "".join(
    f"{i + 1},{'Female' if (i % 3 == 0) == (i < 60) else 'Male'},{['Oslo', 'Rome'][i % 2]},"
    f"{25 + i % 10 if i < 60 else 55 + i % 10},{20 + i % 7 if i < 60 else 80 + i % 7},"
    f"{30 + i % 5}\n" for i in range(120))).encode()


def test_the_other_columns_are_described_against_everyone():
    r = read_table(CUSTOMERS, "c.csv")
    rows = r.original
    features = ["income", "spend"]
    assert default_columns(rows, features) == ["Gender", "City", "Age"]   # no ID
    labels = (np.arange(120) >= 60).astype(int)
    young, old = column_profiles(rows, labels, 2, ["Gender", "Age", "City"])
    gender, age, city = young
    # young: Female only when i % 3 == 0, so men are over-represented: 67% against 50%
    assert gender.kind == "mix" and gender.level == "Male"
    assert gender.segment == "67%" and gender.share == pytest.approx(40 / 60)
    assert gender.overall == 0.5 and gender.everyone == "50%"
    assert gender.sentence == "Gender: 67% Male (50% of everyone)"
    assert age.kind == "typical" and age.segment == "30" and age.everyone == "44"  # as integers
    assert old[1].segment == "60"
    assert city.kind == "mix" and city.overall == 0.5
    table = profile_frame(young)
    assert table.columns.tolist() == ["column", "this segment", "everyone"]
    assert table["this segment"][1] == "30"


def test_choose_k_and_stability_work_with_rows_with_gaps():
    """Issue 20: the sweep's shared starts come from the column means, every fit marginalises
    the blank cells, KMeans' curves count a blank at its column mean, and the bootstrap
    finds two well-separated segments again."""
    from gmm_core.analysis.choose_k import kmeans_sweep, model_sweep, recommend
    from tests.conftest import blobs, with_gaps

    X0, _ = blobs(n_per=60, centers=((0.0, 0.0, 0.0), (8.0, 8.0, 8.0)))
    X = with_gaps(X0, 0.2, seed=4)
    sel = model_sweep(X, range(1, 4), ["full", "diag"], n_init=1)
    assert (sel.table["error"] == "").all()
    assert sel.best_model.nan_policy == "marginalize"
    assert recommend(sel).k == 2
    km = kmeans_sweep(X, [1, 2, 3])
    assert np.isfinite(km["inertia"]).all() and km["silhouette"].idxmax() == 1
    s = segment_stability(X, 2, n_boot=4, n_jobs=1)
    assert s.n_boot == 4 and s.mean_rate == 1.0
    assert np.isfinite(s.centres).all()
