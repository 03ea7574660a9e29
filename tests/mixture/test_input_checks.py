"""No input gives a silent wrong answer or an internal message (issue 23, items 4 and 5).

Found by fuzzing the estimator's arguments: NaN in ``precisions_init`` gave NaN means with
only a ConvergenceWarning; ``reg_covar=inf`` a NaN model or a misleading "collapsed";
pandas ``Int64`` with ``pd.NA``, datetimes, categories and text ended in Python's own
messages (``float() argument must be ... not 'NAType'``); a DataFrame of only datetime
columns was fitted as epoch microseconds; ``sample_weight`` of 1e308 ended in
"probabilities do not sum to 1".  Each now fails up front with a message that names the
parameter or column and says what to do.
"""

import numpy as np
import pandas as pd
import pytest

from gmm_core import GaussianMixture

X = np.random.RandomState(0).normal(size=(60, 2))


def _frame(first):
    return pd.DataFrame({"first": first, "second": X[:, 1]})


@pytest.mark.parametrize("data, error, words", [
    (_frame(pd.array([1, None] + list(range(58)), dtype="Int64")), ValueError,
     ["NaN", "column 'first'", "impute"]),
    (_frame(pd.date_range("2020-01-01", periods=60)), TypeError,
     ["Column 'first'", "dates or times", "days since"]),
    (pd.DataFrame({"when": pd.date_range("2020-01-01", periods=60)}), TypeError,
     ["Column 'when'", "dates or times"]),
    (_frame(pd.Categorical(["a", "b"] * 30)), TypeError, ["Column 'first'", "categories",
                                                          "one-hot"]),
    (_frame(["a", "b"] * 30), TypeError, ["Column 'first'", "not numbers",
                                         "select_dtypes"]),
    (np.array([["a", 1.0]] * 60, dtype=object), TypeError,
     ["not a number", "'a'", "could not convert string to float"]),
    (pd.date_range("2020-01-01", periods=60).values.reshape(-1, 1), TypeError,
     ["dates or times"]),
], ids=["Int64-with-NA", "datetime", "datetime-only", "category", "text", "object-array",
        "datetime-array"])
def test_columns_that_are_not_numbers_are_named(data, error, words):
    with pytest.raises(error) as info:
        GaussianMixture(2, random_state=0).fit(data)
    for word in words:
        assert word in str(info.value)


def test_nullable_numbers_without_gaps_fit_like_floats():
    frame = _frame(pd.array(np.arange(60), dtype="Int64"))
    plain = _frame(np.arange(60, dtype=float))
    a = GaussianMixture(2, random_state=0).fit(frame)
    b = GaussianMixture(2, random_state=0).fit(plain)
    np.testing.assert_array_equal(a.means_, b.means_)


@pytest.mark.parametrize("params, words", [
    (dict(reg_covar=np.inf), ["reg_covar", "finite"]),
    (dict(reg_covar=np.nan), ["reg_covar", "finite"]),
    (dict(tol=np.nan), ["tol", "finite"]),
    (dict(tol=np.inf), ["tol", "finite"]),
    (dict(max_time=np.inf), ["max_time"]),
    (dict(covariance_type="spherical", precisions_init=np.array([np.nan, 1.0])),
     ["precisions_init", "finite", "index (0,)"]),
    (dict(covariance_type="diag", precisions_init=np.array([[1.0, np.inf], [1.0, 1.0]])),
     ["precisions_init", "index (0, 1)"]),
    (dict(means_init=np.array([[0.0, np.nan], [1.0, 1.0]])), ["means_init", "index (0, 1)"]),
    (dict(means_init=np.array([[0.0, 1e300], [1.0, 1.0]])), ["means_init", "1e+150"]),
    (dict(weights_init=np.array([np.nan, 0.5])), ["weights_init", "finite"]),
])
def test_non_finite_parameters_are_refused_by_name(params, words):
    with pytest.raises(ValueError) as info:
        GaussianMixture(2, random_state=0, **params).fit(X)
    for word in words:
        assert word in str(info.value)


def test_huge_sample_weights_are_refused_with_a_remedy():
    with pytest.raises(ValueError, match="too large to compute with: rescale the weights"):
        GaussianMixture(2, random_state=0).fit(X, sample_weight=np.full(60, 1e308))
    # the same ratios, rescaled, fit
    gm = GaussianMixture(2, random_state=0).fit(X, sample_weight=np.full(60, 1.0))
    assert np.all(np.isfinite(gm.means_))


def test_weights_init_messages_carry_scikit_learns_phrases():
    """Shape, range and normalisation of weights_init are refused in scikit-learn's words.

    The range message names the maximum as "max value" (scikit-learn 1.9.1 swaps them, so
    its test_check_weights is a strict xfail in test_sklearn_suite.py).
    """
    X = np.random.RandomState(0).normal(size=(40, 2))
    cases = [(np.full((2, 1), 0.5), r"The parameter 'weights' should have the shape of "
              r"\(2,\), but got \(2, 1\).*one weight per component"),
             (np.array([1.2, 1.5]), r"The parameter 'weights' should be in the range \[0, 1\], "
              r"but got max value 1\.50000, min value 1\.20000"),
             (np.array([0.3, 0.3]), r"The parameter 'weights' should be normalized, but got "
              r"sum\(weights\) = 0\.60000.*divide weights_init by its sum")]
    for weights, match in cases:
        with pytest.raises(ValueError, match=match):
            GaussianMixture(2, weights_init=weights).fit(X)


def test_float32_weights_init_is_allowed_float32_rounding():
    """float32 weights that sum to one in float32 are accepted (1e-6, as scikit-learn)."""
    X = np.random.RandomState(0).normal(size=(40, 2))
    weights = np.array([0.1, 0.2, 0.7], dtype=np.float32) + np.float32(2e-7)
    assert abs(float(weights.sum(dtype=np.float32)) - 1) > 1e-8
    GaussianMixture(3, weights_init=weights, random_state=0).fit(X)
    with pytest.raises(ValueError, match="should be normalized"):
        GaussianMixture(3, weights_init=weights.astype(np.float64), random_state=0).fit(X)
