"""Fuzzing (issue 8): the reader and the app's fits on hostile input say only what we document.

``tests/test_reader.py`` already throws random bytes and random CSV-like text at
the reader; here the *cells* are hostile numbers (1e300, 1e-300, duplicates,
constants), the *names* are script and markup, and the fits get random small
matrices.  What may come out: the reader returns clean finite features or
raises :class:`gmm_core.DataError`; a fit returns finite numbers or raises a
``ValueError`` (``DataError`` included) with a message, and warns only with
:class:`gmm_core.ConvergenceWarning`.  Every fit has a time budget, so none
can hang the test.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gmm_core
import gmm_core.analysis.choose_k
import gmm_core.analysis.explain
from gmm_core import ConvergenceWarning, DataError, read_table
from gmm_core.analysis.compare import compare_models
from gmm_core.data.reader import MAX_MAGNITUDE, MIN_SPREAD

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

HOSTILE_NUMBERS = st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, -1e-300, 1e150,
                                   1e-150, 5e-324, 1.7976931348623157e308, 3.0, 3.0, 3.0])
NUMBER = st.one_of(HOSTILE_NUMBERS, st.floats(-1e6, 1e6, allow_nan=False),
                   st.integers(-5, 5).map(float))
NAME = st.one_of(st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                                  "[x](javascript:alert(1))", "$\\LaTeX$", "**b**", "=cmd|' /C",
                                  "", " ", "a", "a", "id", "ID"]),
                 st.text(alphabet="ab<>[]()$*_=#&;\" ", max_size=8))


def _cell(value, decimal):
    text = repr(float(value))
    return text.replace(".", ",") if decimal == "," else text


@FUZZ
@given(st.lists(NAME, min_size=1, max_size=5),
       st.lists(st.lists(NUMBER, min_size=5, max_size=5), min_size=0, max_size=12),
       st.sampled_from([(",", "."), (";", ","), ("\t", "."), ("|", ".")]),
       st.sampled_from(["drop", "mean", "median"]))
def test_reader_on_hostile_numbers_and_names(names, table, dialect, missing):
    delimiter, decimal = dialect
    d = len(names)
    lines = [delimiter.join('"' + n.replace('"', '""') + '"' for n in names)]
    lines += [delimiter.join(_cell(v, decimal) for v in row[:d]) for row in table]
    data = ("\n".join(lines) + "\n").encode()
    try:
        result = read_table(data, "fuzz.csv", missing=missing)
    except DataError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    X = result.features.to_numpy()
    assert X.shape[0] >= 3 and X.shape[1] >= 2 and np.isfinite(X).all()
    assert np.abs(X).max() <= MAX_MAGNITUDE
    spread = X.max(axis=0) - X.min(axis=0)
    assert np.all((spread == 0) | (spread >= MIN_SPREAD))
    assert isinstance(result.report.summary(), str)


def _matrices():
    """Small (n, d) float matrices with duplicates, constant columns and extreme values."""
    @st.composite
    def build(draw):
        n = draw(st.integers(1, 25))
        d = draw(st.integers(1, 3))
        kind = draw(st.sampled_from(["random", "duplicates", "constant-column", "extreme",
                                     "line"]))
        if kind == "random":
            X = np.array(draw(st.lists(st.lists(NUMBER, min_size=d, max_size=d),
                                       min_size=n, max_size=n)), dtype=float)
        else:
            rng = np.random.RandomState(draw(st.integers(0, 2**16)))
            X = rng.normal(size=(n, d))
            if kind == "duplicates":
                X = X[rng.randint(0, max(1, n // 4), size=n)]
            elif kind == "constant-column":
                X[:, rng.randint(d)] = draw(HOSTILE_NUMBERS)
            elif kind == "extreme":
                X *= draw(st.sampled_from([1e300, 1e-300, 1e150, 1e-150, 1e12]))
            else:  # points on a line, in large units
                X = np.outer(X[:, 0], np.arange(1, d + 1)) * 1e8
        return X

    return build()


def _only_documented(call):
    """Run ``call``; return its result or None if it raised a ValueError with a message."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            result = call()
        except ValueError as exc:  # DataError is a ValueError
            assert str(exc).strip(), "an error without a message"
            result = None
    unexpected = [f"{r.category.__name__}: {r.message}" for r in records
                  if not issubclass(r.category, ConvergenceWarning)]
    assert not unexpected, unexpected
    return result


@FUZZ
@given(_matrices(), st.integers(1, 6), st.sampled_from(gmm_core.COVARIANCE_TYPES),
       st.sampled_from(["standard", "minmax", "none"]),
       st.sampled_from(["kmeans", "k-means++", "random", "random_from_data"]))
def test_compare_models_on_random_small_matrices(X, k, covariance_type, scaling, init):
    cmp = _only_documented(lambda: compare_models(
        X, k, scaling=scaling, covariance_type=covariance_type, init_params=init,
        random_state=0, max_time=5.0))
    if cmp is None:
        return
    assert cmp.gmm_labels.shape == (X.shape[0],)
    assert np.isfinite(cmp.proba).all() and np.allclose(cmp.proba.sum(axis=1), 1.0)
    assert np.isfinite(cmp.means).all()
    assert all(isinstance(w, str) and w for w in cmp.warnings)


@FUZZ
@given(_matrices(), st.integers(1, 6), st.sampled_from(gmm_core.COVARIANCE_TYPES))
def test_estimator_on_random_small_matrices(X, k, covariance_type):
    gm = gmm_core.GaussianMixture(k, covariance_type=covariance_type, random_state=0,
                                  max_time=5.0)
    fitted = _only_documented(lambda: gm.fit(X))
    if fitted is None:
        return
    assert np.isfinite(fitted.weights_).all() and np.isclose(fitted.weights_.sum(), 1.0)
    assert np.isfinite(fitted.score(X))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_matrices(), st.integers(2, 4), st.sampled_from(gmm_core.COVARIANCE_TYPES))
def test_em_run_and_sweep_on_random_small_matrices(X, k, covariance_type):
    assume(X.shape[1] >= 1)
    run = _only_documented(lambda: gmm_core.analysis.explain.em_run(
        X, k, covariance_type=covariance_type, init_params="random", max_time=5.0))
    if run is not None:
        assert np.all(np.diff(run.trajectory.log_likelihoods) > -1e-6)
        assert run.trajectory.stop_reason
    sel = _only_documented(lambda: gmm_core.analysis.choose_k.model_sweep(
        X, range(1, k + 1), (covariance_type,), max_time=10.0, fit_max_time=5.0))
    if sel is not None:
        assert len(sel.table) == 3 * min(k, X.shape[0])       # 3 starts per model
        assert set(sel.table["init"]) <= {"hierarchical", "kmeans"}
        assert gmm_core.analysis.choose_k.recommend(sel).k <= k


@pytest.mark.parametrize("covariance_type", gmm_core.COVARIANCE_TYPES)
def test_k_equal_to_n_on_duplicates_is_regularised_not_a_crash(covariance_type):
    X = np.repeat([[1.0, 2.0], [3.0, 4.0]], 3, axis=0)
    cmp = _only_documented(lambda: compare_models(X, 6, covariance_type=covariance_type))
    assert cmp is not None and any("2 distinct point" in w for w in cmp.warnings)
