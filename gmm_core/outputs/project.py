"""The project file: one JSON file that holds a whole piece of work, to open on any machine.

A project is what a user needs to get their work back exactly: the table (the
bytes of the file as uploaded, base64, at most :data:`MAX_TABLE_BYTES`; or the
demo's name and generator parameters), the choices made on it (features,
scaling, known-label column, what one row is), each page's settings, the
segment names and the chosen model.  Fits are deterministic for given data and
settings, so the model is refitted on opening; the model JSON
(:mod:`gmm_core.outputs.model_file`) rides along so that :func:`mismatch` can
say what is wrong when the table and the model do not belong together.

:func:`load_project` validates the way the model loader does: JSON only (no
pickle, nothing executed), a size limit, each key of the right type and in
range, unknown keys refused by name, a key written twice refused, the table's
SHA-256 checked against its bytes.  A refusal is a :class:`ProjectFileError`
whose message names the key and says what to do.

Examples
--------
>>> text = project_json(data={"kind": "demo", "name": "Mall customers"},
...                     choices={"features": ["Age", "Annual income (k$)"],
...                              "scaling": "standard", "label": None},
...                     noun="customers", settings={"compare": {"w_k": 5}})
>>> p = load_project(text)
>>> p.data["name"], p.noun, p.settings["compare"]["w_k"], p.table is None
('Mall customers', 'customers', 5, True)
>>> load_project(text.replace('"w_k": 5', '"w_k": 50'))
Traceback (most recent call last):
...
gmm_core.outputs.project.ProjectFileError: This is not a usable project file:
'settings.compare.w_k' is 50, expected a whole number from 1 to 10. Use a project saved by
GMM Explorer ('Save project').
"""

from __future__ import annotations

import base64
import hashlib
import json
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

from gmm_core.data.reader import MISSING_POLICIES
from gmm_core.data.scaling import SCALINGS
from gmm_core.mixture import COVARIANCE_TYPES, INIT_METHODS
from gmm_core.outputs._model_checks import ModelFileError, parse_strict_json, where_text
from gmm_core.outputs.model_file import SegmentModel

__all__ = ["FORMAT", "MAX_BYTES", "MAX_TABLE_BYTES", "Project", "ProjectFileError",
           "load_project", "mismatch", "project_json"]

FORMAT = "gmm-explorer-project"
VERSION = 1
#: The uploaded table a project may carry, in bytes (before base64).
MAX_TABLE_BYTES = 25 * 1024 * 1024
#: The whole project file, in bytes: the table in base64 and a model.
MAX_BYTES = 4 * MAX_TABLE_BYTES // 3 + 60_000_000
MAX_TEXT = 200
MISSING = MISSING_POLICIES
_HINT = "Use a project saved by GMM Explorer ('Save project')."


class ProjectFileError(ModelFileError):
    """A project file that cannot be opened; the message says what is wrong and what to do."""


def _fail(what):
    raise ProjectFileError(f"This is not a usable project file: {what}. {_HINT}")


# --- the checks of one value ------------------------------------------------------------------

def _text(v, where, *, limit=MAX_TEXT, empty=False):
    if not isinstance(v, str) or len(v) > limit or (not empty and not v.strip()):
        _fail(f"{where_text(where)} must be {'' if empty else 'non-empty '}text of at most "
              f"{limit} characters, got {_short(v)}")
    return v


def _whole(v, where, lo, hi):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not lo <= v <= hi:
        _fail(f"{where_text(where)} is {_short(v)}, expected a whole number from {lo} to {hi}")
    return int(v)


def _real(v, where, lo, hi):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo <= float(v) <= hi:
        _fail(f"{where_text(where)} is {_short(v)}, expected a number from {lo} to {hi}")
    return float(v)


def _one_of(v, where, options):
    if v not in options:
        _fail(f"{where_text(where)} is {_short(v)}, expected one of {', '.join(options)}")
    return v


def _flag(v, where):
    if not isinstance(v, bool):
        _fail(f"{where_text(where)} is {_short(v)}, expected true or false")
    return v


def _short(v):
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, (bytes, bytearray)) else "bytes"
    return text if len(text) <= 40 else text[:37] + "..."


def _types(v, where):
    if not isinstance(v, list) or not v or len(v) > len(COVARIANCE_TYPES):
        _fail(f"{where_text(where)} must be a list of covariance types")
    return [_one_of(t, (*where, i), COVARIANCE_TYPES) for i, t in enumerate(v)]


def _obj(doc, where, allowed, required=()):
    if not isinstance(doc, dict):
        _fail(f"{where_text(where) if where else 'the file'} must be a JSON object")
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        _fail(f"{where_text((*where, unknown[0]))} is not a key of a project file")
    missing = [k for k in required if k not in doc]
    if missing:
        _fail(f"{where_text((*where, missing[0]))} is missing")
    return doc


#: Each page's settings: key -> check.  The same ranges as the pages' widgets.
_SETTINGS = {
    "compare": {"w_k": lambda v, w: _whole(v, w, 1, 10),
                "w_covariance": lambda v, w: _one_of(v, w, COVARIANCE_TYPES),
                "w_init": lambda v, w: _one_of(v, w, INIT_METHODS),
                "w_n_init": lambda v, w: _whole(v, w, 1, 10),
                "w_seed": lambda v, w: _whole(v, w, 0, 10_000)},
    "em": {"w_em_k": lambda v, w: _whole(v, w, 1, 10),
           "w_em_covariance": lambda v, w: _one_of(v, w, COVARIANCE_TYPES),
           "w_em_init": lambda v, w: _one_of(v, w, INIT_METHODS),
           "w_em_seed": lambda v, w: _whole(v, w, 0, 10_000)},
    "choose_k": {"w_ck_kmax": lambda v, w: _whole(v, w, 2, 15),
                 "w_ck_types": _types,
                 "w_ck_n_init": lambda v, w: _whole(v, w, 1, 10),
                 "w_ck_seed": lambda v, w: _whole(v, w, 0, 10_000),
                 "w_ck_criterion": lambda v, w: _text(v, w, limit=20)},
    "segments": {"unusual": lambda v, w: _real(v, w, 0.0, 10.0)},
    "views": {k: (lambda v, w: v if isinstance(v, bool) else _text(v, w, limit=MAX_TEXT))
              for k in ("w_view", "w_axis_x", "w_axis_y", "w_regions", "w_gmm_shade",
                        "w_disagree", "w_levels", "w_em_view", "w_em_axis_x", "w_em_axis_y",
                        "w_seg_view", "w_seg_axis_x", "w_seg_axis_y", "w_seg_skip_filled")},
}
_BLOBS = {"n_components": (1, 8), "n_samples": (100, 50_000), "random_state": (0, 10_000)}
_BLOB_REALS = {"elongation": (1.0, 12.0), "rotation": (-90.0, 90.0), "separation": (1.0, 15.0)}


# --- the project ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Project:
    """A validated project file.

    Attributes
    ----------
    data : dict
        ``{"kind": "demo", "name"}``, ``{"kind": "blobs", ...parameters}`` or
        ``{"kind": "upload", "filename", "missing"}``.
    table : bytes or None
        The uploaded file's bytes (an upload), else ``None``.
    choices : dict
        ``features`` (list of str), ``scaling``, ``label`` (str or None).
    noun : str
    settings : dict
        Page -> ``{widget key: value}`` (see ``_SETTINGS``).
    names : dict
        ``{"edits": {segment: name}, "shown": [names], "order": [...], "slots": [...]}``.
    model : SegmentModel or None
    """

    data: dict
    table: bytes | None
    choices: dict
    noun: str
    settings: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    model: SegmentModel | None = None


def project_json(*, data: dict, choices: dict, noun: str = "rows", settings: dict | None = None,
                 names: dict | None = None, table: bytes | None = None,
                 model: SegmentModel | None = None) -> str:
    """The project file's text.  ``table``: the upload's bytes; ``model``: a SegmentModel."""
    doc = {"format": FORMAT, "version": VERSION, "data": dict(data),
           "choices": {"features": list(choices["features"]), "scaling": choices["scaling"],
                       "label": choices.get("label")},
           "noun": str(noun), "settings": settings or {}, "names": names or {}}
    if table is not None:
        if len(table) > MAX_TABLE_BYTES:
            raise ValueError(f"The table is {len(table):,} bytes; a project file carries at most "
                             f"{MAX_TABLE_BYTES:,}. Save a smaller sample of the rows instead.")
        doc["data"]["table_base64"] = base64.b64encode(bytes(table)).decode("ascii")
        doc["data"]["table_sha256"] = hashlib.sha256(bytes(table)).hexdigest()
    if model is not None:
        doc["model"] = model.to_dict()
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)


def _parse(source):
    return parse_strict_json(source, _fail, max_bytes=MAX_BYTES)


def _data(doc):
    kind = _one_of(_obj(doc, ("data",), ("kind", "name", "filename", "missing", "table_base64",
                                         "table_sha256", *_BLOBS, *_BLOB_REALS),
                        ("kind",))["kind"], ("data", "kind"), ("demo", "blobs", "upload"))
    if kind == "demo":
        return {"kind": kind, "name": _text(doc.get("name"), ("data", "name"))}, None
    if kind == "blobs":
        out = {"kind": kind}
        for k, (lo, hi) in _BLOBS.items():
            out[k] = _whole(doc.get(k), ("data", k), lo, hi)
        for k, (lo, hi) in _BLOB_REALS.items():
            out[k] = _real(doc.get(k), ("data", k), lo, hi)
        return out, None
    name = _text(doc.get("filename"), ("data", "filename"), limit=255)
    missing = _one_of(doc.get("missing", "drop"), ("data", "missing"), MISSING)
    coded = doc.get("table_base64")
    if not isinstance(coded, str):
        _fail("'data.table_base64' is missing: an uploaded table travels inside the file")
    if len(coded) > 4 * MAX_TABLE_BYTES // 3 + 4:
        _fail(f"its table is larger than {MAX_TABLE_BYTES // (1024 * 1024)} MB")
    try:
        table = base64.b64decode(coded, validate=True)
    except ValueError:
        _fail("'data.table_base64' is not base64")
    digest = _text(doc.get("table_sha256"), ("data", "table_sha256"), limit=64)
    if hashlib.sha256(table).hexdigest() != digest:
        _fail("the table's bytes do not match 'data.table_sha256': the file was changed or cut")
    return {"kind": kind, "filename": name, "missing": missing}, table


def _names(doc):
    _obj(doc, ("names",), ("edits", "shown", "order", "slots"))
    edits = _obj(doc.get("edits", {}), ("names", "edits"), [str(j) for j in range(100)])
    out = {"edits": {int(j): _text(v, ("names", "edits", j), limit=80) for j, v in edits.items()}}
    for key, check in (("shown", lambda v, w: _text(v, w, limit=100)),
                       ("order", lambda v, w: _whole(v, w, 0, 99)),
                       ("slots", lambda v, w: _whole(v, w, 0, 99))):
        values = doc.get(key, [])
        if not isinstance(values, list) or len(values) > 100:
            _fail(f"{where_text(('names', key))} must be a list of at most 100 values")
        out[key] = [check(v, ("names", key, i)) for i, v in enumerate(values)]
    if out["order"] and sorted(out["order"]) != list(range(len(out["order"]))):
        _fail(f"{where_text(('names', 'order'))} must number the segments 0 to k - 1 once each")
    if len(set(out["slots"])) != len(out["slots"]) or len(out["slots"]) != len(out["order"]):
        _fail(f"{where_text(('names', 'slots'))} must give each segment of 'names.order' its "
              "own colour slot")
    return out


def load_project(source: str | bytes) -> Project:
    """A :class:`Project` from project JSON (``str`` or ``bytes``); :class:`ProjectFileError`
    if bad."""
    doc = _obj(_parse(source), (), ("format", "version", "data", "choices", "noun", "settings",
                                    "names", "model"), ("format", "version", "data", "choices"))
    if doc["format"] != FORMAT:
        _fail(f"'format' is {_short(doc['format'])}, expected {FORMAT!r}")
    if doc["version"] != VERSION:
        _fail(f"it is version {_short(doc['version'])}; this GMM Explorer opens version {VERSION}")
    data, table = _data(doc["data"])
    ch = _obj(doc["choices"], ("choices",), ("features", "scaling", "label"),
              ("features", "scaling"))
    if not isinstance(ch["features"], list) or not 1 <= len(ch["features"]) <= 500:
        _fail("'choices.features' must be a list of 1 to 500 column names")
    choices = {"features": [_text(f, ("choices", "features", i))
                            for i, f in enumerate(ch["features"])],
               "scaling": _one_of(ch["scaling"], ("choices", "scaling"), SCALINGS),
               "label": None if ch.get("label") is None else _text(ch["label"],
                                                                   ("choices", "label"))}
    noun = _text(doc.get("noun", "rows"), ("noun",), limit=40)
    settings = {}
    for page, values in _obj(doc.get("settings", {}), ("settings",), _SETTINGS).items():
        checks = _SETTINGS[page]
        _obj(values, ("settings", page), checks)
        settings[page] = {k: checks[k](v, ("settings", page, k)) for k, v in values.items()}
    names = _names(doc.get("names", {}))
    model = None
    if "model" in doc:
        try:
            model = SegmentModel.from_dict(doc["model"])
        except ModelFileError as exc:
            _fail("its model: " + str(exc).split(": ", 1)[-1].split(". Use ")[0])
    return Project(data=data, table=table, choices=choices, noun=noun, settings=settings,
                   names=names, model=model)


def mismatch(project: Project, columns: Sequence[str], features: Sequence[str],
             n_components: int) -> str | None:
    """What is wrong between the project's model and its table, or ``None`` when they agree.

    ``columns`` are the table's numeric columns as read, ``features`` the
    features chosen, ``n_components`` the segments of the refitted model.

    >>> p = Project(data={}, table=None, choices={}, noun="rows")
    >>> mismatch(p, ["a", "b"], ["a", "b"], 3) is None        # no model: nothing to compare
    True
    """
    model = project.model
    if model is None:
        return None
    absent = [f for f in model.features if f not in columns]
    if absent:
        return (f"The model was fitted on the column “{absent[0]}”, which the table does not "
                f"have (its numeric columns: {', '.join(columns)}). Was the file changed?")
    if list(model.features) != list(features):
        return (f"The model was fitted on {', '.join(model.features)}, but the project chooses "
                f"{', '.join(features)}.")
    if model.n_components != n_components:
        return (f"The model has {model.n_components} segments, but the project's settings give "
                f"{n_components}.")
    return None
