"""Unusual rows: flagged by share, count or threshold; the least likely under the model."""

import numpy as np
import pytest

import gmm_core
import gmm_core.mixture
from gmm_core.analysis.compare import compare_models
from gmm_core.analysis.segments import describe_segments
from gmm_core.analysis.unusual import unusual_frame, unusual_rows


@pytest.fixture(scope="module")
def customers():
    ds = gmm_core.make_customers(random_state=0)
    X = ds.features.to_numpy(dtype=float)
    cmp = compare_models(X, 5, random_state=0)
    summary = describe_segments(X, cmp.proba, cmp.means, list(ds.features.columns))
    return ds, X, cmp, summary


def test_unusual_rows_by_share_count_and_threshold():
    scores = np.array([1.0, 5.0, 2.0, 9.0, 3.0, 0.5, 7.0, 4.0, 6.0, 8.0])
    by_share = unusual_rows(scores, share=0.2)
    assert by_share.indices.tolist() == [3, 9] and by_share.threshold == 8.0
    assert unusual_rows(scores, count=3).indices.tolist() == [3, 9, 6]
    assert unusual_rows(scores, threshold=6.5).indices.tolist() == [3, 9, 6]
    assert unusual_rows(scores, share=0.0).indices.size == 0
    assert unusual_rows(scores, share=0.01).indices.size == 1  # rounded up: a share shows something
    assert unusual_rows(scores, count=3).mask.sum() == 3
    with pytest.raises(ValueError, match="exactly one"):
        unusual_rows(scores, share=0.1, count=2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        unusual_rows(scores, share=5)


def test_unusual_rows_are_far_from_every_segment(customers):
    """The most unusual rows under the model are the outlying ones (an oracle: distance)."""
    ds, X, cmp, s = customers
    scores = gmm_core.mixture.anomaly_score(cmp.gmm, cmp.scaler.transform(X))
    u = unusual_rows(scores, share=0.01)
    assert u.indices.size == 10
    np.testing.assert_allclose(scores, -cmp.gmm.score_samples(cmp.scaler.transform(X)))
    # flagged rows have lower density than all others
    assert scores[u.indices].min() >= np.delete(scores, u.indices).max()
    frame = unusual_frame(u, ds.frame, s.names, s.labels)
    # the ID column is the row key: first, once, with the cells as given
    assert list(frame.columns[:3]) == ["CustomerID", "unusualness", "segment"]
    assert list(frame.columns).count("CustomerID") == 1 and len(frame) == 10
    assert frame["CustomerID"].tolist() == ds.frame["CustomerID"].iloc[u.indices].tolist()


GAPPY = (b"id,income,spend\n" + b"".join(
    f"{i},{'' if i % 7 == 3 else 20 + (i % 5) * 2 + (40 if i > 60 else 0)},"
    f"{'' if i % 11 == 5 else 10 + (i % 3) + (30 if i > 60 else 0)}\n".encode()
    for i in range(1, 121)) + b"121,200,\n")


def test_rows_with_gaps_are_scored_by_their_marginal_density_and_marked():
    """Issue 20: a row with a blank cell is scored on the columns it has (the oracle is
    scipy's density of the observed block), and the unusual listing names its blank column."""
    from scipy.stats import multivariate_normal

    from gmm_core.data.reader import read_table

    result = read_table(GAPPY, "g.csv", missing="use")
    X = result.features.to_numpy()
    assert np.isnan(X).any()
    cmp = compare_models(X, 2, random_state=0)
    Xs = cmp.scaler.transform(X)
    scores = gmm_core.mixture.anomaly_score(cmp.gmm, Xs)
    assert np.isfinite(scores).all()
    g = cmp.gmm
    for i in np.flatnonzero(np.isnan(X).any(axis=1))[:5]:
        o = ~np.isnan(Xs[i])
        density = sum(w * multivariate_normal(m[o], c[np.ix_(o, o)]).pdf(Xs[i, o])
                      for w, m, c in zip(g.weights_, g.means_, g.full_covariances_, strict=True))
        assert scores[i] == pytest.approx(-np.log(density), rel=1e-9)
    flagged = unusual_rows(scores, count=1)
    assert flagged.indices.tolist() == [X.shape[0] - 1]     # income 200, spend blank
    names = ["A", "B"]
    table = unusual_frame(flagged, result.original, names, cmp.gmm_labels)
    assert table["id"].tolist() == ["121"]
    assert table["spend"].tolist() == [""] and table["had gaps"].tolist() == ["spend"]
