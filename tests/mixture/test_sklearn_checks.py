"""scikit-learn's own estimator checks, run on our GaussianMixture.

Skipped checks, each with its reason, are listed in ``EXPECTED_FAILED``.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gmm_core import GaussianMixture

EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "random initialisation draws differently over weighted rows than over repeated "
        "rows, so the starts differ; from the same initial parameters integer weights equal "
        "repeated rows to 1e-9 "
        "(mixture/test_estimator.py::test_integer_weights_equal_repeated_rows)"),
}


def expected_failed(estimator):
    # With one component there is no initialisation to differ, so that check passes.
    if estimator.n_components == 1:
        return {k: v for k, v in EXPECTED_FAILED.items() if "sample_weight" not in k}
    return EXPECTED_FAILED


@parametrize_with_checks([GaussianMixture(n_components=2, random_state=0),
                          GaussianMixture(n_components=1, covariance_type="diag",
                                          random_state=0),
                          # tagged allow_nan: the check that NaN is refused does not apply
                          GaussianMixture(n_components=2, random_state=0,
                                          nan_policy="marginalize")],
                         expected_failed_checks=expected_failed)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
