"""Segment profiles, plain-language names, certainty and unusual rows
(gmm_core.analysis.segments)."""

import re

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import gmm_core
from gmm_core.analysis.compare import compare_models, contingency
from gmm_core.analysis.segments import (
    GLOSSARY,
    LEVELS,
    SURE,
    borderline_frame,
    describe_segments,
    feature_word,
    feature_words,
    level_of,
    name_levels,
    overview_sentence,
    plain_axis_title,
    segment_name,
    typical_frame,
    unique_names,
)


@pytest.fixture(scope="module")
def customers():
    return _customers(0)


def _generated_levels(name, n_features):
    """Levels a generated name states, clause i about feature i ("Earn high, spend low").

    "Average" alone means average on every feature.  Level words are matched
    as tokens, so the test reads the meaning of the name, not its wording.
    """
    clauses = [c.strip().lower() for c in name.split(",")]
    if clauses == ["average"]:
        return ["average"] * n_features
    return [next(t for t in re.findall(r"\w+", c) if t in LEVELS) for c in clauses]


def _customers(seed):
    ds = gmm_core.make_customers(random_state=seed)
    X = ds.features.to_numpy(dtype=float)
    cmp = compare_models(X, 5, random_state=0)
    summary = describe_segments(X, cmp.proba, cmp.means, list(ds.features.columns),
                                weights=cmp.gmm.weights_)
    return ds, X, cmp, summary


def _named_as_generated(customers):
    """How many fitted segments are named as generated (matched by Hungarian), and the pairs."""
    ds, X, cmp, summary = customers
    table = contingency(cmp.gmm_labels, ds.labels, 5)
    rows, cols = linear_sum_assignment(-table)
    words = summary.words
    hits = 0
    for fitted, true in zip(rows, cols, strict=True):
        got = name_levels(summary.names[fitted], words)
        want = dict(zip(words, _generated_levels(ds.label_names[true], len(words)), strict=True))
        hits += got == want
    return hits, list(zip(summary.names, [ds.label_names[c] for c in cols], strict=True))


def test_customers_demo_segments_get_the_names_they_were_generated_with(customers):
    """At least 4 of 5 fitted segments are named as generated."""
    hits, pairs = _named_as_generated(customers)
    assert hits >= 4, pairs


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_generated_names_on_other_draws_of_the_demo(seed):
    hits, pairs = _named_as_generated(_customers(seed))
    assert hits >= 4, pairs


def test_names_read_well_on_the_customers_demo(customers):
    _, _, _, summary = customers
    assert summary.words == ("income", "spending")
    assert len(set(summary.names)) == 5
    for name in summary.names:
        assert name[0].isupper() and "(" not in name  # units stripped, capitalised


def test_profiles_add_up(customers):
    _, X, cmp, s = customers
    assert sum(p.count for p in s.segments) == X.shape[0]
    assert sum(p.share for p in s.segments) == pytest.approx(1.0)
    np.testing.assert_array_equal(s.labels, cmp.gmm_labels)
    np.testing.assert_allclose(s.certainty, cmp.proba.max(axis=1))
    for p in s.segments:
        members = s.labels == p.index
        assert p.sure_share == pytest.approx(np.mean(cmp.proba[members, p.index] >= SURE))
        np.testing.assert_allclose(p.mean, cmp.means[p.index])
        # percentile: share of all rows below the typical member (continuous data: no ties)
        np.testing.assert_allclose(p.percentile, (X < p.mean).mean(axis=0), atol=0.01)
        np.testing.assert_allclose(p.std_difference, (p.mean - X.mean(0)) / X.std(0))
        assert p.levels == tuple(level_of(q) for q in p.percentile)


def test_borderline_members_are_the_least_sure_members(customers):
    _, X, cmp, s = customers
    for p in s.segments:
        members = np.flatnonzero(s.labels == p.index)
        lowest = np.sort(s.certainty[members])[: len(p.borderline)]
        np.testing.assert_allclose(s.certainty[p.borderline], lowest)
        assert set(p.borderline) <= set(members)
    frame = borderline_frame(s, 0, X, s.names)
    assert list(frame["row"]) == list(s.segments[0].borderline + 1)
    assert frame["next most likely"].str.contains("%").all()


def test_runner_up_is_the_second_most_likely_segment(customers):
    _, _, cmp, s = customers
    second = np.argsort(cmp.proba, axis=1)[:, -2]
    np.testing.assert_array_equal(s.runner_up, second)


@pytest.mark.parametrize("name, word", [
    ("Annual income (k$)", "income"),
    ("Spending score (1-100)", "spending"),
    ("Credit score", "credit score"),
    ("monthly_spend [EUR]", "spend"),
    ("Sepal length (cm)", "sepal length"),
    ("OD280/OD315 of diluted wines", "OD280/OD315 of diluted wines"),
    ("(k$)", "(k$)"),
])
def test_feature_word(name, word):
    assert feature_word(name) == word


def test_feature_words_stay_distinct():
    assert feature_words(["Annual income", "Monthly income"]) == ("annual income", "monthly income")
    assert feature_words(["x (cm)", "x (in)"]) == ("x (cm)", "x (in)")


def test_names_are_unique_even_when_levels_agree():
    """Two segments low on both features are told apart by the next feature or a number."""
    X = np.random.default_rng(0).normal(size=(300, 3))
    means = np.array([[-2.0, -2.0, 2.0], [-2.0, -2.0, -2.0], [2.0, 2.0, 0.0]])
    proba = np.full((300, 3), 1 / 3)
    s = describe_segments(X, proba, means, ["a", "b", "c"])
    assert len(set(s.names)) == 3
    assert s.names[0] != s.names[1]


def test_segment_name_picks_the_most_distinct_features_in_column_order():
    levels = ["high", "low", "high", "average"]
    dist = [0.2, 0.45, 0.4, 0.0]
    assert segment_name(levels, ["a", "b", "c", "d"], dist, n_terms=2) == "Low b, high c"
    assert segment_name(["average"] * 2, ["a", "b"], [0, 0]) == "Average"


def test_unique_names():
    assert unique_names(["x", "X", " ", "y"], fallback=["f0", "f1", "f2", "f3"]) == (
        "x", "X (2)", "f2", "y")


def test_typical_frame_and_sentence(customers):
    _, _, _, s = customers
    t = typical_frame(s, 0)
    assert list(t["feature"]) == list(s.features) and set(t["level"]) <= set(LEVELS)
    text = overview_sentence(s, s.names)
    assert "1,000 rows fall into 5 segments" in text
    biggest = max(s.segments, key=lambda p: p.count)
    assert s.names[biggest.index] in text


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="means must have shape"):
        describe_segments(np.zeros((4, 2)), np.full((4, 2), 0.5), np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="one row per row"):
        describe_segments(np.zeros((4, 2)), np.full((3, 2), 0.5), np.zeros((2, 2)), ["a", "b"])


def test_plain_words_have_no_jargon():
    text = " ".join(t + " " + d for t, d in GLOSSARY).lower()
    assert "covariance" not in text and "responsibilit" not in text
    assert plain_axis_title("PC2 (20% of variance)") == "Main direction 2 (20% of the spread)"


def test_segment_profiles_describe_the_values_given_and_count_rows_with_gaps():
    """Issue 20: with blank cells the population numbers are those of the observed values, a
    card can say how many of its rows had gaps and where, and complete rows say nothing."""
    from gmm_core.analysis.profiles import gap_counts, gap_sentence
    from gmm_core.data.reader import read_table

    rng = np.random.RandomState(0)
    lines = ["id,income,spend,Age"]
    for i in range(200):
        hi = i >= 100
        cells = [f"{rng.normal(70 if hi else 30, 4):.1f}", f"{rng.normal(60 if hi else 20, 4):.1f}",
                 f"{rng.normal(40, 8):.0f}"]
        if i % 9 == 0:
            cells[0] = ""
        if i % 13 == 0 and i % 9:
            cells[2] = ""
        lines.append(",".join([str(i + 1), *cells]))
    result = read_table("\n".join(lines).encode(), "c.csv", missing="use")
    X = result.features.to_numpy()
    features = list(result.features.columns)
    cmp = compare_models(X, 2, random_state=0)
    summary = describe_segments(X, cmp.proba, cmp.means, features)
    np.testing.assert_allclose(summary.population_mean, np.nanmean(X, axis=0))
    np.testing.assert_allclose(summary.population_std, np.nanstd(X, axis=0))
    income = X[:, 0][~np.isnan(X[:, 0])]
    for p in summary.segments:
        below = np.mean(income < p.mean[0]) + 0.5 * np.mean(income == p.mean[0])
        assert p.percentile[0] == pytest.approx(below)
    assert np.isfinite(np.array([p.percentile for p in summary.segments])).all()

    rows = result.original
    counts = gap_counts(rows, summary.labels, 2)
    gaps = np.isnan(X)
    for j in range(2):
        members = summary.labels == j
        want = {f: int(gaps[members, d].sum()) for d, f in enumerate(features)
                if gaps[members, d].any()}
        assert counts[j] == want
        n_gaps = int(gaps[members].any(axis=1).sum())
        assert gap_sentence(rows, summary.labels, j, noun="customers").startswith(
            f"{n_gaps} of its {int(members.sum())} customers had gaps (")
    complete = read_table(b"a,b\n1,2\n3,4\n5,7\n", "x.csv", missing="use").original
    assert gap_sentence(complete, [0, 0, 1], 0) == ""
