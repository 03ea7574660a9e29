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
