"""The model loader's checks: every number finite and in range, named by its key.

Helpers of :mod:`gmm_core.outputs.model_file` (kept apart so that module stays
short): the JSON hooks that refuse a key written twice and keep long digit
strings away from ``int()``, the checks of arrays, variances and sections with
messages that name the value (``'mixture.means'[2][1]``), and the last check of
a built model -- it must score rows of its own like the direct formula does.
The limits come from :mod:`gmm_core.errors`, the reader's limits on data.
"""

import json
import math
import numbers

import numpy as np

from gmm_core.errors import MAX_MAGNITUDE, MIN_SPREAD, DataError

#: Whole numbers with more digits than this are read as floats: no long digit string
#: reaches ``int()`` (quadratic, and refused beyond ``sys.get_int_max_str_digits()``).
MAX_INT_DIGITS = 20


# The limits on stored numbers, from gmm_core.errors (the reader's limits on data):
# values and means up to MAX_MAGNITUDE; scales (a standard deviation or a max - min
# range of such values) from MIN_SPREAD up to twice MAX_MAGNITUDE; variances -- squares
# of those -- from MIN_SPREAD**2 up to MAX_MAGNITUDE**2.
MAX_SCALE = 2 * MAX_MAGNITUDE
MIN_VARIANCE = MIN_SPREAD ** 2
MAX_VARIANCE = MAX_MAGNITUDE ** 2


class ModelFileError(DataError):
    """A model file that cannot be used; the message says what is wrong and what to do."""


_HINT = ("Use a model file exported by GMM Explorer (Segments page, 'Model (JSON)') or "
         "written by 'python -m gmm_core fit'.")
_TOO_LARGE = "is too large to be a number (beyond 1.8e308, the largest double)"
_SQUARED = "values this large overflow when squared"


def fail(what):
    raise ModelFileError(f"This is not a usable model file: {what}. {_HINT}")


def reject_constant(name):
    fail(f"it contains {name}, which is not a number")


def parse_int(digits):
    """A JSON whole number; beyond :data:`MAX_INT_DIGITS` digits, a float (maybe ``inf``).

    ``int()`` is never called on a long digit string: it is quadratic and refuses
    more than ``sys.get_int_max_str_digits()`` digits; ``float()`` is neither, and
    the checks then refuse the value by its key as too large to be a number.
    """
    return int(digits) if len(digits) <= MAX_INT_DIGITS else float(digits)


class Duplicated(dict):
    """A parsed JSON object in which the key ``duplicate`` appeared more than once."""

    __slots__ = ("duplicate",)


def find_duplicated(doc):
    """The first :class:`Duplicated` object in ``doc`` (document order) and its path."""
    stack = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Duplicated):
            return node, path
        if isinstance(node, dict):
            stack.extend((v, path + (k,)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, path + (i,)) for i, v in reversed(list(enumerate(node))))
    raise AssertionError("no duplicated object")  # pragma: no cover


def parse_strict_json(source, fail, *, max_bytes):
    """``source`` (JSON text or UTF-8 bytes) parsed as the loaders need it, or ``fail(what)``.

    The one parser of the model file and the project file: at most
    ``max_bytes``; no ``NaN``/``Infinity``; whole numbers never ``int()``-ed
    beyond :data:`MAX_INT_DIGITS` digits (:func:`parse_int`); a key written twice
    in one object is refused with where it is (JSON would silently keep the
    last one); too-deep nesting is refused, not a crash.
    """
    if isinstance(source, (bytes, bytearray)):
        if len(source) > max_bytes:
            fail(f"it is larger than {max_bytes // 1_000_000} MB")
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError:
            fail("it is not UTF-8 text")
    elif not isinstance(source, str):
        fail(f"expected JSON text, got {type(source).__name__}")
    if len(source) > max_bytes:
        fail(f"it is larger than {max_bytes // 1_000_000} MB")
    duplicates = []

    def pairs_to_object(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            obj = Duplicated(obj)
            obj.duplicate = key
            duplicates.append(key)
        return obj

    def constant(name):
        fail(f"it contains {name}, which is not a number")

    try:
        doc = json.loads(source, parse_constant=constant, parse_int=parse_int,
                         parse_float=float, object_pairs_hook=pairs_to_object)
    except RecursionError:
        fail("its JSON is nested too deeply")
    except json.JSONDecodeError as exc:
        fail(f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    if duplicates:
        obj, path = find_duplicated(doc)
        place = "at the top level" if not path else f"in {where_text(path)}"
        fail(f"the key {obj.duplicate!r} appears twice {place} (JSON keeps only the "
             "last one, so the file is ambiguous); keep one of them")
    return doc


def where_text(path):
    """A location for messages: ``("mixture", "means", 2, 1)`` -> ``'mixture.means'[2][1]``."""
    keys = []
    for part in path:
        if not isinstance(part, str):
            break
        keys.append(part)
    text = f"'{'.'.join(keys)}'" if keys else "the top level"
    for part in path[len(keys):]:
        text += f"[{part}]" if isinstance(part, int) else f"[{part!r}]"
    return text


def check_numbers(value, path):
    """Every number anywhere in ``value`` (a section kept for people) must be finite."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, where + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            fail(f"{where_text(where)} {_TOO_LARGE}")
        elif isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > 1023:
            fail(f"{where_text(where)} {_TOO_LARGE}")


def section(doc, key, required):
    value = doc.get(key)
    if not isinstance(value, dict):
        fail(f"'{key}' must be an object, got {kind(value)}")
    unknown = sorted(set(value) - set(required))
    if unknown:
        fail(f"'{key}' has unknown key(s) {', '.join(repr(u) for u in unknown[:5])}")
    for name in required:
        if name not in value:
            fail(f"'{key}' has no '{name}'")
    return value


def array(value, shape, where, limit=MAX_MAGNITUDE, why=_SQUARED):
    """A float array of exactly ``shape`` from nested JSON lists, every value finite, |v| <= limit.

    ``where`` is the quoted key (``"'mixture.means'"``); a bad value is named by its
    position too (``'mixture.means'[2][1]``).
    """
    def leaf(v, index):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            fail(f"{where} must contain numbers, found {kind(v)} at {at(where, index)}")
        if isinstance(v, numbers.Integral) and int(v).bit_length() > 1023:
            fail(f"{at(where, index)} {_TOO_LARGE}")

    def check(v, index):
        depth = len(index)
        if not isinstance(v, list):
            fail(f"{where} must be a list nested {len(shape)} deep "
                 f"(shape {_shape_text(shape)}), found {kind(v)}")
        if len(v) != shape[depth]:
            fail(f"{where} must have shape {_shape_text(shape)}, but a list at depth "
                 f"{depth + 1} has {len(v)} entries instead of {shape[depth]}")
        if depth + 1 < len(shape):
            for i, item in enumerate(v):
                check(item, index + (i,))
            return
        for i, item in enumerate(v):
            if type(item) is not float:  # floats, nearly all of them, need no more checks
                leaf(item, index + (i,))

    check(value, ())
    arr = np.array(value, dtype=float).reshape(shape)
    finite = np.isfinite(arr)
    if not finite.all():
        fail(f"{at(where, first_index(~finite))} {_TOO_LARGE}")
    with np.errstate(invalid="ignore"):
        big = np.abs(arr) > limit
    if big.any():
        index = first_index(big)
        fail(f"{at(where, index)} is {num(arr[index])}, beyond the largest size a model "
             f"can compute with here ({limit:.0e}); {why}")
    return arr


def first_index(mask):
    """The index (a tuple) of the first True in ``mask``."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def at(where, index):
    return where + "".join(f"[{i}]" for i in index)


def check_variances(variances, where, index_of):
    """Variances must be positive and at least ``MIN_SPREAD ** 2``; ``index_of(i)`` names one."""
    flat = np.ravel(variances)
    bad = np.flatnonzero(~(flat >= MIN_VARIANCE))
    if bad.size:
        index = index_of(int(bad[0]))
        value = flat[bad[0]]
        if value <= 0:
            fail(f"{at(where, index)} is a variance of {num(value)}: a covariance in "
                 f"{where} is not positive definite")
        fail(f"{at(where, index)} is a variance of {num(value)}, smaller than "
             f"{MIN_VARIANCE:.0e}: it underflows when divided by")


def check_agrees(stated, derived, where):
    """The original-unit values written for people must be those the model computes.

    :meth:`SegmentModel.to_dict` writes them from the same numbers, so a file from GMM
    Explorer agrees to the last bit; a difference means one place was edited by hand.
    """
    tolerance = 1e-9 * float(np.abs(derived).max(initial=0.0))
    off = ~np.isclose(stated, derived, rtol=1e-9, atol=tolerance)
    if off.any():
        index = first_index(off)
        fail(f"{at(where, index)} is {num(stated[index])}, but the model's scaling and "
             f"mixture give {num(derived[index])}: the file was edited in one place and not "
             f"the other. Restore the file, or delete {where} (it is recomputed on saving) "
             "if the mixture is what you meant")


def check_computes(model):
    """Refuse a model that cannot score rows of its own: numbers in range one by one may
    still overflow, underflow or cancel together (a huge mean over a tiny variance, ...).

    The rows: each segment's mean in original units, the first few segments' means one
    standard deviation above and below in every feature, and (unless the scaling is
    ``none``, whose offset 0 may lie anywhere) the scaling offsets.  The model's
    probabilities and log-densities there must be finite and agree with the direct
    formula (:func:`_direct`), which has none of the fast path's cancellation, and the
    original-unit means and covariances (which :meth:`SegmentModel.to_json` writes) must
    be finite, so that a loaded model can be saved again.
    """
    scaler = model.scaler
    try:
        with np.errstate(all="ignore"):
            means, variances = model.means_original, _variances(model.gmm) * scaler.scale_ ** 2
            sd = np.sqrt(variances[:_SPREAD_ROWS])
            rows = [means, means[:_SPREAD_ROWS] + sd, means[:_SPREAD_ROWS] - sd]
            if scaler.method != "none":
                rows.append(scaler.offset_[None])
            rows = np.vstack(rows)
            # finite variances (original units) make every covariance finite: the matrices
            # are positive definite, so |c_ij| <= sqrt(c_ii c_jj)
            ok = (np.isfinite(means).all() and np.abs(means).max() <= MAX_VARIANCE
                  and np.isfinite(variances).all() and np.isfinite(rows).all())
            if ok:
                proba, log_density = model.predict_proba(rows), model.score_samples(rows)
                expected_proba, expected_density = _direct(model.gmm, model.scaled(rows))
                ok = (np.isfinite(expected_density).all()
                      and np.isfinite(proba).all() and np.isfinite(log_density).all()
                      and np.allclose(proba, expected_proba, rtol=0, atol=1e-6)
                      and np.allclose(log_density, expected_density, rtol=1e-6, atol=1e-6))
    except (ArithmeticError, ValueError):
        ok = False
    if not ok:
        fail("its numbers are each in range but together too large or too small to compute "
             "with (at the segments' own means its probabilities come out infinite, NaN or "
             "wrong), so the model would assign wrong segments")


_SPREAD_ROWS = 4  # segments whose mean +- one standard deviation is scored (K may be 100)


def _variances(gmm):
    """Each component's variances (K, D), in the units the mixture was fitted in."""
    cov, (K, D) = gmm.covariances_, np.shape(gmm.means_)
    if gmm.covariance_type == "full":
        return np.diagonal(cov, axis1=1, axis2=2)
    if gmm.covariance_type == "tied":
        return np.broadcast_to(np.diag(cov), (K, D))
    return cov if gmm.covariance_type == "diag" else np.repeat(cov[:, None], D, axis=1)


def _direct(gmm, X):
    """Probabilities (N, K) and log-densities (N,) by ``log w_k + log N(x | mu_k, Sigma_k)``
    with ``||(x - mu_k) L_k||^2`` computed as it reads, ``L_k`` the precision Cholesky factor."""
    ct, pc, (K, D) = gmm.covariance_type, gmm.precisions_cholesky_, np.shape(gmm.means_)
    wlp = np.empty((len(X), K))
    for k in range(K):
        diff = X - gmm.means_[k]
        if ct in ("full", "tied"):
            factor = pc[k] if ct == "full" else pc
            y, log_det = diff @ factor, np.log(np.diag(factor)).sum()
        else:
            y = diff * pc[k]
            log_det = np.log(pc[k]).sum() if ct == "diag" else D * np.log(pc[k])
        wlp[:, k] = (np.log(gmm.weights_[k]) + log_det
                     - 0.5 * (D * np.log(2 * np.pi) + np.einsum("ij,ij->i", y, y)))
    top = wlp.max(axis=1, keepdims=True)
    total = np.exp(wlp - top).sum(axis=1, keepdims=True)
    return np.exp(wlp - top) / total, (top + np.log(total))[:, 0]


def num(v):
    return repr(float(v))


def kind(v):
    if v is None:
        return "nothing"
    return {bool: "true/false", str: "text", list: "a list", dict: "an object"}.get(
        type(v), "a number" if isinstance(v, numbers.Real) else type(v).__name__)


def short(v):
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _shape_text(shape):
    return " x ".join(str(s) for s in shape)
