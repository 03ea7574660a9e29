"""Fuzzing the estimator's arguments and mutated CSV files (issue 23, item 8).

* **Estimator**: random constructor arguments (odd types, NaN, infinities,
  negative or huge numbers, ``*_init`` arrays of the wrong shape or with
  non-finite values), odd data (NaN, text, datetimes, nullable integers,
  constant columns, huge values) and odd ``sample_weight``.  What may come out:
  a ``ValueError`` or ``TypeError`` with a message, or a fitted model whose
  parameters, probabilities and scores are finite (probabilities summing to
  one); warnings only :class:`~gmm_core.ConvergenceWarning` and scikit-learn's
  feature-name ``UserWarning``.
* **CSV files**: a valid export mutated byte by byte and field by field (long
  digit runs, quotes, delimiters, non-ASCII text, footers, truncation, binary
  bytes).  :func:`~gmm_core.read_table` returns finite features or raises
  :class:`~gmm_core.DataError` -- nothing else.

Every input must finish within a few seconds.  The CI runs 120 of each; for
more, set ``GMM_FUZZ_EXAMPLES``; run the module as a script to see the outcomes
counted::

    GMM_FUZZ_EXAMPLES=2000 python tests/test_fuzz_inputs.py
"""

import collections
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if __name__ == "__main__":  # run as a script: find gmm_core
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gmm_core import ConvergenceWarning, DataError, GaussianMixture, read_table

EXAMPLES = int(os.environ.get("GMM_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SECONDS = 10.0  # per input, generously: a fit here takes milliseconds
OUTCOMES = {"estimator": collections.Counter(), "csv": collections.Counter()}

ODD = st.sampled_from([0, -1, 1.5, True, None, "2", 10 ** 6, np.nan, np.inf, -np.inf, 1e300,
                       -1e-300, 5e-324, [], "full"])


def _maybe(strategy):
    return st.one_of(strategy, ODD)


def _arrays(draw, shape_options):
    shape = draw(st.sampled_from(shape_options))
    values = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, np.nan, np.inf, 1e300,
                                            1e-300, 0.25]),
                           min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=float).reshape(shape)


@st.composite
def estimator_cases(draw):
    """Valid arguments, then up to two of them (or the data, or the weights) made odd."""
    d, n = draw(st.integers(1, 3)), draw(st.integers(1, 40))
    kk = draw(st.integers(1, 4))
    ct = draw(st.sampled_from(["full", "tied", "diag", "spherical"]))
    params = dict(n_components=kk, covariance_type=ct, tol=1e-3,
                  reg_covar=draw(st.sampled_from([1e-6, 0.0, 1e-2])),
                  max_iter=draw(st.integers(0, 30)), n_init=draw(st.integers(1, 3)),
                  init_params=draw(st.sampled_from(["kmeans", "k-means++", "random",
                                                    "random_from_data"])),
                  random_state=draw(st.integers(0, 5)), max_time=5.0)
    inits = {"weights_init": lambda: (np.full(kk, 1.0 / kk) if draw(st.booleans())
                                      else _arrays(draw, [(kk,), (kk + 1,)])),
             "means_init": lambda: _arrays(draw, [(kk, d), (kk, d + 1), (d,)]),
             "precisions_init": lambda: _arrays(draw, [
                 {"full": (kk, d, d), "tied": (d, d), "diag": (kk, d), "spherical": (kk,)}[ct],
                 (kk, d, d), (kk,)])}
    for name in draw(st.lists(st.sampled_from(sorted(inits)), max_size=2, unique=True)):
        params[name] = inits[name]()
    odd = draw(st.lists(st.sampled_from([*params, "data", "weights"]), max_size=2, unique=True))
    for name in odd:
        if name in params:
            params[name] = draw(ODD)
    kind = draw(st.sampled_from(["nan", "huge", "constant", "text", "datetime", "nullable",
                                 "list", "empty", "object"])) if "data" in odd else "normal"
    rng = np.random.RandomState(draw(st.integers(0, 10)))
    X = rng.normal(size=(n, d)) + rng.randint(0, 2, (n, 1)) * 6.0
    if kind == "nan":
        X[rng.randint(n), rng.randint(d)] = np.nan
    elif kind == "huge":
        X[rng.randint(n), rng.randint(d)] = 1e300
    elif kind == "constant":
        X[:] = 3.0
    elif kind == "text":
        X = pd.DataFrame(X, columns=[f"c{j}" for j in range(d)]).assign(t=["a"] * n)
    elif kind == "datetime":
        X = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=n)})
    elif kind == "nullable":
        X = pd.DataFrame({f"c{j}": pd.array(rng.randint(0, 9, n), dtype="Int64")
                          for j in range(d)})
        if draw(st.booleans()):
            X.iloc[0, 0] = pd.NA
    elif kind == "list":
        X = X.tolist()
    elif kind == "empty":
        X = np.empty((0, d))
    elif kind == "object":
        X = X.astype(object)
        X[0, 0] = draw(st.sampled_from(["a", None, {"x": 1}, "1.5", b"2"]))
    weight = (draw(st.sampled_from(["zeros", "negative", "huge", "nan", "short", "scalar"]))
              if "weights" in odd else draw(st.sampled_from([None, "ones", "random"])))
    sw = {None: None, "ones": np.ones(n), "random": rng.uniform(0.1, 3.0, n),
          "zeros": np.zeros(n), "negative": -np.ones(n), "huge": np.full(n, 1e308),
          "nan": np.full(n, np.nan), "short": np.ones(max(0, n - 1)), "scalar": 2.0}[weight]
    return params, X, sw


def run_estimator(params, X, sw):
    """'refused' (a documented error) or 'fitted' (and sound); raises on anything else."""
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gm = GaussianMixture(**params).fit(X, sample_weight=sw)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), f"an empty message for {type(exc).__name__}"
            outcome = "refused"
        else:
            Xa = np.asarray(X, dtype=float) if isinstance(X, list) else X
            for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
                assert np.all(np.isfinite(getattr(gm, name))), (name, params)
            proba = gm.predict_proba(Xa)
            assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0), params
            assert np.all(np.isfinite(gm.score_samples(Xa))), params
            outcome = "fitted"
    for w in caught:
        assert issubclass(w.category, ConvergenceWarning) or "feature names" in str(w.message), (
            w.category, str(w.message))
    assert time.monotonic() - start < SECONDS
    return outcome


@FUZZ
@given(estimator_cases())
def test_estimator_arguments_give_a_sound_fit_or_a_documented_error(case):
    outcome = run_estimator(*case)  # asserts soundness, warnings and time itself
    assert outcome in ("refused", "fitted")
    OUTCOMES["estimator"][outcome] += 1


# ---------------------------------------------------------------- mutated CSV files
BASE = (pd.DataFrame({"CustomerID": np.arange(1, 41), "Gender": ["F", "M"] * 20,
                      "Income": np.round(np.random.RandomState(0).normal(60, 15, 40), 1),
                      "Spend": np.random.RandomState(1).randint(1, 100, 40)})
        .to_csv(index=False, sep=";", decimal=","))
INSERTS = ["9" * 5000, "9" * 5000 + "x", "é", '"', '""', ";", ",", "\n", "\r\n", "\t", "NA",
           "1e400", "-", "Total;;31.234,5;25.000\n", "\x00", "\ufeff", "1.234.567,8", " ", ""]


@st.composite
def mutated_csvs(draw):
    text = BASE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        piece = draw(st.one_of(st.sampled_from(INSERTS), st.text(max_size=5)))
        if how == "insert":
            text = text[:at] + piece + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)):]
        elif how == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            text = text[:at]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # a stray binary byte
        i = draw(st.integers(0, max(0, len(data) - 1)))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
    return data


def run_reader(data):
    start = time.monotonic()
    try:
        result = read_table(data, "mutated.csv", missing=("drop", "mean")[len(data) % 2])
    except DataError as exc:
        assert str(exc).strip()
        outcome = "refused"
    else:
        values = result.features.to_numpy(dtype=float)
        assert values.ndim == 2 and values.shape[1] >= 2 and np.all(np.isfinite(values))
        outcome = "read"
    assert time.monotonic() - start < SECONDS
    return outcome


@FUZZ
@given(mutated_csvs())
def test_a_mutated_csv_reads_soundly_or_is_refused(data):
    outcome = run_reader(data)  # asserts finite features or a DataError, and time
    assert outcome in ("read", "refused")
    OUTCOMES["csv"][outcome] += 1


if __name__ == "__main__":
    for test in (test_estimator_arguments_give_a_sound_fit_or_a_documented_error,
                 test_a_mutated_csv_reads_soundly_or_is_refused):
        started = time.monotonic()
        test()
        print(test.__name__, dict(OUTCOMES), f"{time.monotonic() - started:.0f} s")
