"""A fitted segmentation as a JSON file: save it, load it back, assign new rows.

A :class:`SegmentModel` is everything needed to give a new row its segment:
the feature names (in order), the scaling that was applied before fitting
(``x' = (x - offset) / scale``), the Gaussian mixture fitted on the scaled
data, and the segments' names.  :meth:`SegmentModel.to_json` writes it as
plain JSON -- readable, diffable, safe to open -- and :func:`load_model` reads
it back so that ``predict`` gives the same labels and probabilities bit for
bit (floats are written with Python's shortest round-trip ``repr``).

The file (format ``"gmm-explorer-model"``, version 1)::

    {
      "format": "gmm-explorer-model", "version": 1,
      "features": ["annual income (k$)", "spending score (1-100)"],
      "segment_names": ["Earn low, spend high", ...],          # K names
      "scaling": {"method": "standard", "offset": [...], "scale": [...]},   # D each
      "mixture": {"covariance_type": "full",
                  "weights": [...],                              # K, sum 1
                  "means": [[...], ...],                         # K x D, scaled units
                  "covariances": [[[...]]]},                     # by type, scaled units
      "original_units": {"means": ..., "covariances": ...},      # for people; must agree
      "fit": {"n_rows": 200, "log_likelihood": -2.1, ...}        # for people; finite numbers
    }

Covariances are shaped by ``covariance_type`` as in scikit-learn: full
``(K, D, D)``, tied ``(D, D)``, diag ``(K, D)``, spherical ``(K,)``.

Loading never evaluates anything: the text is parsed by :func:`json.loads`
(``NaN`` and ``Infinity`` refused, a key that appears twice in one object
refused, whole numbers of more than 20 digits read as floats so that no long
digit string reaches ``int()``), then every key, type, shape and value is
checked -- weights that sum to one, names that are unique short strings,
symmetric positive definite covariances, and every number finite and within
the limits of :mod:`gmm_core.errors` (sizes up to
:data:`~gmm_core.errors.MAX_MAGNITUDE`, scales from
:data:`~gmm_core.errors.MIN_SPREAD`, variances from its square); the
``original_units``, when present, must be what the mixture and scaling give.
Last, the built model scores rows of its own (each segment's mean, a few means
one standard deviation away, the scaling offsets) and must agree with the
direct formula there: a file whose numbers are in range one by one but
together overflow, underflow or cancel is refused too, so a loaded model never
answers NaN at its own segments.  Anything else is refused with
:class:`ModelFileError`, a :class:`~gmm_core.DataError` whose message says
what is wrong, where (e.g. ``'mixture.means'[2][1]``) and what to do.  The
checks themselves live in :mod:`gmm_core.outputs._model_checks`.

Examples
--------
>>> import numpy as np
>>> from gmm_core import GaussianMixture, Scaler
>>> X = np.array([[1.0, 2.0], [1.2, 1.9], [0.8, 2.2], [9.0, 9.0], [9.3, 8.7], [8.8, 9.1]])
>>> scaler = Scaler("standard").fit(X)
>>> gmm = GaussianMixture(2, random_state=0).fit(scaler.transform(X))
>>> model = SegmentModel(gmm, scaler, ("x", "y"), ("Low", "High"))
>>> again = SegmentModel.from_json(model.to_json())
>>> bool((again.predict_proba(X) == model.predict_proba(X)).all())
True
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from gmm_core.data.scaling import SCALINGS, Scaler
from gmm_core.errors import MIN_SPREAD, DataError
from gmm_core.mixture import COVARIANCE_TYPES, GaussianMixture, GMMParams
from gmm_core.outputs._model_checks import (
    MAX_SCALE,
    MAX_VARIANCE,
    ModelFileError,
    array,
    check_agrees,
    check_computes,
    check_numbers,
    check_variances,
    fail,
    kind,
    num,
    parse_strict_json,
    section,
    short,
)

if TYPE_CHECKING:
    import os

    import pandas as pd

    from gmm_core.analysis.compare import Comparison

__all__ = ["SegmentModel", "ModelFileError", "load_model", "save_model", "check_names",
           "FORMAT", "VERSION"]

FORMAT = "gmm-explorer-model"
VERSION = 1
MAX_BYTES = 50_000_000       # a K=100, D=500 full model is ~40 MB of JSON
MAX_COMPONENTS = 100
MAX_FEATURES = 500
MAX_NAME_LENGTH = 200
_TOP_KEYS = {"format", "version", "features", "segment_names", "scaling", "mixture",
             "original_units", "fit"}
_REQUIRED_KEYS = ("format", "version", "features", "segment_names", "scaling", "mixture")


@dataclass(frozen=True, eq=False)
class SegmentModel:
    """A fitted segmentation: scaling + Gaussian mixture + feature and segment names.

    Parameters
    ----------
    gmm : GaussianMixture
        Fitted on the *scaled* data.
    scaler : Scaler
        Fitted; maps original units to the units ``gmm`` was fitted in.
    features : tuple of str
        Column names, in the order of the model's features.
    segment_names : tuple of str
        One unique name per component, in component order.
    """

    gmm: GaussianMixture
    scaler: Scaler
    features: tuple
    segment_names: tuple

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(str(f) for f in self.features))
        object.__setattr__(self, "segment_names", tuple(str(n) for n in self.segment_names))
        K, D = np.shape(self.gmm.means_)
        if len(self.features) != D or np.size(self.scaler.scale_) != D:
            raise ValueError(f"the mixture has {D} features but {len(self.features)} feature "
                             f"names and {np.size(self.scaler.scale_)} scaling columns were given.")
        if len(self.segment_names) != K:
            raise ValueError(f"the mixture has {K} components but {len(self.segment_names)} "
                             "segment names were given.")

    # ------------------------------------------------------------ building
    @classmethod
    def from_comparison(cls, comparison: Comparison, features: Sequence[str],
                        segment_names: Sequence[str] | None = None) -> SegmentModel:
        """The GMM of a :class:`~gmm_core.analysis.compare.Comparison` with its scaler and names."""
        k = comparison.n_components
        names = segment_names or tuple(f"Segment {j + 1}" for j in range(k))
        return cls(comparison.gmm, comparison.scaler, tuple(features), tuple(names))

    def with_names(self, names: Sequence[str]) -> SegmentModel:
        """The same model with other segment names."""
        return SegmentModel(self.gmm, self.scaler, self.features, tuple(names))

    @property
    def n_components(self) -> int:
        return int(np.shape(self.gmm.means_)[0])

    @property
    def scaling(self) -> str:
        return self.scaler.method

    @property
    def means_original(self) -> np.ndarray:
        """Segment means in the data's original units, (K, D)."""
        return self.scaler.inverse_means(self.gmm.means_)

    @property
    def covariances_original(self) -> np.ndarray:
        """Segment covariances in original units, (K, D, D)."""
        return self.scaler.inverse_covariances(self.gmm.full_covariances_)

    # ------------------------------------------------------------ assigning
    def scaled(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Rows in original units -> the scaled matrix the mixture expects.

        ``X`` is an array with the model's features in order, or a DataFrame
        whose columns are picked by name (others are ignored).  A missing
        value (NaN) stays missing: the row is assigned by its observed
        columns, as the app assigns rows with gaps.
        """
        if hasattr(X, "columns"):
            missing = [f for f in self.features if f not in X.columns]
            if missing:
                raise DataError(
                    f"The data has no column {_quote(missing)} that the model needs "
                    f"(it uses {_quote(self.features)}). Rename the columns or choose the "
                    "model that was fitted on these columns.", column=missing[0])
            values = []
            for f in self.features:
                col = X[f]
                try:
                    values.append(np.asarray(col, dtype=float))
                except (TypeError, ValueError):
                    raise DataError(f"Column {_quote([f])} has values that are not numbers; "
                                    "the model needs numbers there.", column=f) from None
            A = np.column_stack(values) if values else np.empty((len(X), 0))
        else:
            A = np.asarray(X, dtype=float)
            if A.ndim != 2 or A.shape[1] != len(self.features):
                raise DataError(f"Expected rows of {len(self.features)} values "
                                f"({_quote(self.features)}), got an array of shape {A.shape}.")
        # a blank cell (NaN) is left out of the row's density, as in the app; a row needs a value
        bad = np.isinf(A).any(axis=1) | (np.isnan(A).all(axis=1) if A.shape[1] else False)
        if bad.any():
            raise DataError(f"{int(bad.sum())} row(s) have an infinite value or no value at all "
                            f"(the first is row {int(np.flatnonzero(bad)[0]) + 1}). Fix or "
                            "drop them before assigning segments.",
                            row=int(np.flatnonzero(bad)[0]) + 1)
        return self.scaler.transform(A)

    def predict(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Segment label (component index) of each row."""
        return self.gmm.predict(self.scaled(X))

    def predict_proba(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Probability of each segment for each row, (N, K)."""
        return self.gmm.predict_proba(self.scaled(X))

    def score_samples(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Log-density of each row under the mixture, in the scaled units it was fitted in."""
        return self.gmm.score_samples(self.scaled(X))

    # ------------------------------------------------------------ JSON
    def to_dict(self, *, fit_info: dict | None = None) -> dict:
        """The model as plain JSON-able Python objects (see the module docstring)."""
        g = self.gmm
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "features": list(self.features),
            "segment_names": list(self.segment_names),
            "scaling": {"method": self.scaler.method,
                        "offset": _floats(self.scaler.offset_),
                        "scale": _floats(self.scaler.scale_)},
            "mixture": {"covariance_type": g.covariance_type,
                        "weights": _floats(g.weights_),
                        "means": _floats(g.means_),
                        "covariances": _floats(g.covariances_)},
            "original_units": {"means": _floats(self.means_original),
                               "covariances": _floats(self.covariances_original)},
        }
        info = {"n_iter": getattr(g, "n_iter_", None), "converged": getattr(g, "converged_", None),
                "log_likelihood": _float_or_none(getattr(g, "lower_bound_", None))}
        info.update(fit_info or {})
        doc["fit"] = {k: v for k, v in info.items() if v is not None}
        return doc

    def to_json(self, *, indent: int | None = 1, fit_info: dict | None = None) -> str:
        """The model as JSON text; :meth:`from_json` reads it back exactly."""
        return json.dumps(self.to_dict(fit_info=fit_info), indent=indent, ensure_ascii=False,
                          allow_nan=False)

    @classmethod
    def from_dict(cls, doc: object) -> SegmentModel:
        """Validate a parsed model file and build the model; :class:`ModelFileError` if bad."""
        return _build(doc)

    @classmethod
    def from_json(cls, text: str | bytes) -> SegmentModel:
        """Parse and validate model JSON (``str`` or ``bytes``)."""
        return _build(_parse(text))


def save_model(model: SegmentModel, path: str | os.PathLike, **kwargs: Any) -> None:
    """Write ``model`` as JSON to ``path`` (UTF-8)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(model.to_json(**kwargs))


def load_model(source: str | bytes | os.PathLike) -> SegmentModel:
    """A :class:`SegmentModel` from a path, or from JSON text or bytes.

    Raises
    ------
    ModelFileError
        The file is missing, too large, not JSON, or not a valid model; the
        message says what is wrong.
    """
    if isinstance(source, (bytes, bytearray)) or (isinstance(source, str)
                                                 and source.lstrip().startswith("{")):
        return SegmentModel.from_json(source)
    try:
        with open(source, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ModelFileError(f"Cannot read the model file {str(source)!r}: "
                             f"{exc.strerror or exc}. Check the path.") from None
    return SegmentModel.from_json(data)


# ---------------------------------------------------------------- validation


def _parse(text):
    return parse_strict_json(text, fail, max_bytes=MAX_BYTES)


def check_names(value: object, where: str, limit: int) -> tuple[str, ...]:
    """The loader's rule for a list of names (segments, features); ``ValueError`` says what
    is wrong.

    Non-empty, unique text of at most :data:`MAX_NAME_LENGTH` characters, at
    most ``limit`` of them.  The CLI checks ``--names`` and ``--columns`` with it
    before it fits, so it never writes a model its own ``assign`` refuses.

    >>> check_names(["A", "A"], "--names", 10)
    Traceback (most recent call last):
    ...
    ValueError: '--names' contains the same name twice
    """
    if not isinstance(value, list) or not value:
        raise ValueError(f"'{where}' must be a non-empty list of names, got {kind(value)}")
    if len(value) > limit:
        raise ValueError(f"'{where}' has {len(value)} entries, more than the limit of {limit}")
    for v in value:
        if not isinstance(v, str) or not v.strip():
            raise ValueError(f"'{where}' must contain non-empty text, found {kind(v)}")
        if len(v) > MAX_NAME_LENGTH:
            raise ValueError(f"a name in '{where}' is longer than {MAX_NAME_LENGTH} characters")
    if len(set(value)) != len(value):
        raise ValueError(f"'{where}' contains the same name twice")
    return tuple(value)


def _names(value, where, limit):
    try:
        return check_names(value, where, limit)
    except ValueError as exc:
        reason = str(exc)
    fail(reason)


def _build(doc):
    if not isinstance(doc, dict):
        fail(f"the top level must be an object, got {kind(doc)}")
    if doc.get("format") != FORMAT:
        fail(f"'format' must be {FORMAT!r}, got {short(doc.get('format'))}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        fail(f"'version' must be {VERSION} (this GMM Explorer reads version {VERSION}), "
             f"got {short(version)}")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        fail(f"unknown key(s) {', '.join(repr(u) for u in unknown[:5])}")
    for key in _REQUIRED_KEYS:
        if key not in doc:
            fail(f"it has no '{key}'")

    features = _names(doc["features"], "features", MAX_FEATURES)
    names = _names(doc["segment_names"], "segment_names", MAX_COMPONENTS)
    D, K = len(features), len(names)

    scaling = section(doc, "scaling", ("method", "offset", "scale"))
    if scaling["method"] not in SCALINGS:
        fail(f"'scaling.method' must be one of {', '.join(SCALINGS)}, got "
             f"{short(scaling['method'])}")
    offset = array(scaling["offset"], (D,), "'scaling.offset'")
    scale = array(scaling["scale"], (D,), "'scaling.scale'", MAX_SCALE)
    small = ~(scale >= MIN_SPREAD)
    if small.any():
        j = int(np.flatnonzero(small)[0])
        fail(f"'scaling.scale'[{j}] is {num(scale[j])}, but a scale must be positive and at "
             f"least {MIN_SPREAD:.0e} (a smaller scale overflows when divided by)")

    mixture = section(doc, "mixture", ("covariance_type", "weights", "means", "covariances"))
    ct = mixture["covariance_type"]
    if ct not in COVARIANCE_TYPES:
        fail(f"'mixture.covariance_type' must be one of {', '.join(COVARIANCE_TYPES)}, "
             f"got {short(ct)}")
    weights = array(mixture["weights"], (K,), "'mixture.weights'")
    if (weights < 0).any() or not math.isclose(float(weights.sum()), 1.0, abs_tol=1e-6):
        fail("'mixture.weights' must be non-negative and sum to 1")
    means = array(mixture["means"], (K, D), "'mixture.means'")
    cov_shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[ct]
    where = "'mixture.covariances'"
    covariances = array(mixture["covariances"], cov_shape, where, MAX_VARIANCE)
    if ct == "full":
        check_variances(np.diagonal(covariances, axis1=1, axis2=2), where,
                        lambda i: (i // D, i % D, i % D))
    elif ct == "tied":
        check_variances(np.diag(covariances), where, lambda i: (i, i))
    else:
        check_variances(covariances, where, lambda i: np.unravel_index(i, cov_shape))
    if ct in ("full", "tied"):
        mats = covariances if ct == "full" else covariances[None]
        if not np.allclose(mats, np.swapaxes(mats, 1, 2), rtol=1e-10, atol=0.0):
            fail("'mixture.covariances' must be symmetric matrices")
    try:
        with np.errstate(all="ignore"):
            params = GMMParams.from_covariances(weights, means, covariances, ct)
    except ValueError:
        fail("a covariance in 'mixture.covariances' is not positive definite")
    for key in ("original_units", "fit"):
        if key in doc and not isinstance(doc[key], dict):
            fail(f"'{key}' must be an object, got {kind(doc[key])}")
        check_numbers({k: v for k, v in doc.get(key, {}).items()  # these two: array() below
                       if key == "fit" or k not in ("means", "covariances")}, (key,))
    original = doc.get("original_units", {})
    stated = {}
    if "means" in original:
        stated["means"] = array(original["means"], (K, D), "'original_units.means'",
                                MAX_VARIANCE, "no model of data the reader accepts has "
                                "means this large")
    if "covariances" in original:
        stated["covariances"] = array(  # finite: squares of values up to MAX_MAGNITUDE
            original["covariances"], (K, D, D), "'original_units.covariances'",
            np.finfo(float).max)

    gmm = GaussianMixture(K, covariance_type=ct, nan_policy="marginalize")  # rows with gaps too
    gmm._set_params(params)
    gmm.n_features_in_ = D
    fit = doc.get("fit", {})
    gmm.converged_ = bool(fit.get("converged", True))
    n_iter = fit.get("n_iter")
    gmm.n_iter_ = n_iter if isinstance(n_iter, int) and not isinstance(n_iter, bool) else 0
    ll = fit.get("log_likelihood")
    gmm.lower_bound_ = float(ll) if isinstance(ll, numbers.Real) else float("nan")
    model = SegmentModel(gmm, Scaler.from_parameters(scaling["method"], offset, scale),
                         features, names)
    check_computes(model)
    for key, values in stated.items():
        check_agrees(values, getattr(model, f"{key}_original"), f"'original_units.{key}'")
    return model


# ---------------------------------------------------------------- small helpers
def _floats(a):
    return np.asarray(a, dtype=float).tolist()


def _float_or_none(v):
    return None if v is None or not np.isfinite(v) else float(v)


def _quote(names):
    return ", ".join(repr(str(n)) for n in names)
