"""scikit-learn's own GaussianMixture tests, run on our GaussianMixture.

The test files ship in scikit-learn's wheel (``sklearn/mixture/tests``).  This
module reads their source, swaps *only* the import of ``GaussianMixture`` for
``from gmm_core import GaussianMixture`` (on the same line, so tracebacks show
scikit-learn's own source at the right line), compiles each file in a namespace
of its own and publishes its ``test_*`` functions here, so pytest reports every
scikit-learn test by name with its parametrized cases.  Nothing else in the
files is edited: their helpers, data, tolerances and the messages they match
are scikit-learn's.

``global_dtype`` and ``global_random_seed`` are scikit-learn's conftest
fixtures; they are defined below (float32 always runs here, where scikit-learn
runs it only under ``SKLEARN_RUN_FLOAT32_TESTS=1``).

Tests that exercise scikit-learn's private helpers rather than the estimator
are skipped, each with its reason, in :data:`SKIPPED`; so are the cases of
``BayesianGaussianMixture``, which we do not implement.  The one test that
matches a scikit-learn message we word differently on purpose is a strict
xfail in :data:`XFAIL`.
"""

import importlib.resources

import numpy as np
import pytest
from sklearn.mixture import BayesianGaussianMixture

_OURS = "from gmm_core import GaussianMixture"

#: file -> (scikit-learn's import line, what replaces it on the same line)
_SWAPS = {
    "test_gaussian_mixture.py": ("from sklearn.mixture import GaussianMixture", _OURS),
    "test_mixture.py": ("from sklearn.mixture import BayesianGaussianMixture, GaussianMixture",
                        "from sklearn.mixture import BayesianGaussianMixture; " + _OURS),
}

_PRIVATE = "exercises scikit-learn's private helper {} only, not the estimator"

#: test -> why it does not run on our estimator
SKIPPED = {
    "test_suffstat_sk_full": _PRIVATE.format("_estimate_gaussian_covariances_full"),
    "test_suffstat_sk_tied": _PRIVATE.format("_estimate_gaussian_covariances_tied"),
    "test_suffstat_sk_diag": _PRIVATE.format("_estimate_gaussian_covariances_diag"),
    "test_gaussian_suffstat_sk_spherical": _PRIVATE.format(
        "_estimate_gaussian_covariances_spherical"),
    "test_compute_log_det_cholesky": _PRIVATE.format(
        "_compute_log_det_cholesky (and _compute_precision_cholesky)"),
    "test_gaussian_mixture_log_probabilities": _PRIVATE.format("_estimate_log_gaussian_prob"),
    "test_gaussian_mixture_estimate_log_prob_resp": (
        "calls BaseMixture's private _estimate_log_prob_resp and "
        "_estimate_weighted_log_prob, which our estimator does not have (its E-step is "
        "gmm_core.mixture.log_densities / responsibilities)"),
    "test_gaussian_mixture_precisions_init": (
        "exercises scikit-learn's private _estimate_gaussian_parameters, "
        "_compute_precision_cholesky and BaseMixture's _set_parameters / _initialize(X, resp)"),
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters": (
        "counts calls to scikit-learn's private _estimate_gaussian_parameters, which our "
        "engine never calls"),
    "test_gaussian_mixture_array_api_compliance": (
        "array API (torch, cupy, array_api_strict) inputs: the engine computes in numpy"),
    "test_gaussian_mixture_raises_where_array_api_not_implemented": (
        "array API (torch, cupy, array_api_strict) inputs: the engine computes in numpy"),
}

BAYESIAN = "BayesianGaussianMixture is scikit-learn's, not ours: not implemented here"

#: test -> why it fails on purpose (strict: it must fail, and only by the assertion named)
XFAIL = {
    "test_check_weights": (
        "scikit-learn 1.9.1's _check_weights prints the minimum as 'max value' and the maximum "
        "as 'min value', and its test matches that swapped text; ours names them the right "
        "way round. Its other checks (shape, normalisation, float32 tolerance) are held in "
        "mixture/test_input_checks.py::test_weights_init_messages_carry_scikit_learns_phrases"),
}


def _load(filename):
    """The ``test_*`` functions of one of scikit-learn's test files, with our estimator."""
    resource = importlib.resources.files("sklearn.mixture.tests") / filename
    source = resource.read_text(encoding="utf-8")
    theirs, ours = _SWAPS[filename]
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip("\n") == theirs]
    assert len(hits) == 1, f"{filename}: expected one line {theirs!r}, found {len(hits)}"
    lines[hits[0]] = ours + "\n"
    namespace = {"__name__": __name__, "__file__": str(resource)}
    exec(compile("".join(lines), str(resource), "exec"), namespace)
    return {name: obj for name, obj in namespace.items()
            if name.startswith("test_") and callable(obj)}


_TESTS = {}
for _file in _SWAPS:
    for _name, _test in _load(_file).items():
        assert _name not in _TESTS, f"{_name} is defined twice"
        _TESTS[_name] = _test
assert set(SKIPPED) | set(XFAIL) <= set(_TESTS), "unknown skip or xfail"
for _name, _reason in XFAIL.items():
    _TESTS[_name] = pytest.mark.xfail(strict=True, raises=AssertionError,
                                      reason=_reason)(_TESTS[_name])
globals().update(_TESTS)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def global_dtype(request):
    """scikit-learn's conftest fixture: the dtype of the data, float32 and float64."""
    return request.param


@pytest.fixture(params=[42])
def global_random_seed(request):
    """scikit-learn's conftest fixture at its default seed, 42."""
    return request.param


@pytest.fixture(autouse=True)
def _skip_what_is_not_ours(request):
    reason = SKIPPED.get(request.node.originalname)
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and isinstance(callspec.params.get("estimator"),
                                           BayesianGaussianMixture):
        reason = BAYESIAN
    if reason:
        pytest.skip(reason)
