"""Model selection by BIC/AIC."""

import numpy as np
import pytest

from conftest import blobs
from gmm_core import select_model


def test_bic_finds_the_number_of_blobs_and_tabulates_every_fit():
    X, _ = blobs(n_per=80, centers=((0, 0), (8, 0), (0, 8), (8, 8)))
    sel = select_model(X, range(1, 7), ("full", "spherical"), n_init=2, random_state=0)
    assert len(sel.table) == 6 * 2 * 2
    assert list(sel.table.columns[:14]) == ["n_components", "covariance_type", "restart",
                                             "init", "seed", "bic", "aic", "icl",
                                             "log_likelihood", "n_parameters", "converged",
                                             "n_iter", "seconds", "degenerate"]
    assert sel.best["n_components"] == 4 and sel.best_model.n_components == 4
    assert sel.best_model.bic(X) == pytest.approx(sel.table["bic"].min())
    assert set(sel.summary()["covariance_type"]) == {"full", "spherical"}


def test_progress_is_reported_and_bad_arguments_refused():
    X, _ = blobs()
    calls = []
    select_model(X, [1, 2], ["diag"], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 2), (2, 2)]
    with pytest.raises(ValueError, match="criterion"):
        select_model(X, [1], criterion="loglik")
    with pytest.raises(ValueError, match="Unknown covariance"):
        select_model(X, [1], ["round"])


def test_failed_fits_are_recorded_not_raised():
    X = np.vstack([np.zeros((6, 2)), np.random.RandomState(0).normal(5, 1, (20, 2))])
    sel = select_model(X, [1, 2, 3], ["full"], reg_covar=0.0)
    assert sel.table["error"].str.contains("collapsed").any()
    assert sel.best_model is not None
