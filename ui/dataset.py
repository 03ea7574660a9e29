"""The loaded data as one value: :class:`Dataset`, and the loaders that build it.

A :class:`Dataset` is immutable: a changed choice (features, scaling, label
column) is a new value made with :func:`dataclasses.replace`, which keeps its
:attr:`Dataset.token`; every load gets a new token.  Its
:attr:`Dataset.fingerprint` is the cache key of every fit (:mod:`ui.cache`).

The loaders wrap :mod:`gmm_core` (demo generators, the CSV reader) and know
nothing of the session: :mod:`ui.session` decides which dataset is loaded.
"""

import hashlib
import itertools
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

import gmm_core
from gmm_core.data.bounded import read_table_bounded
from gmm_core.data.original import OriginalRows

NO_LABEL = "(none)"
KNOWN_LABEL = "known groups (from the generator)"
DEFAULT_DEMO = "Mall customers"
SCALINGS = ("standard", "minmax", "none")
#: The Data page's choices for rows with gaps, the default first: use them as they are.
MISSING_POLICIES = ("use", "drop", "mean", "median")
DEFAULT_MISSING = MISSING_POLICIES[0]

#: Every Dataset built in this process gets the next number (see Dataset.token).
_TOKENS = itertools.count(1)


@dataclass(frozen=True, eq=False)
class Dataset:
    """The loaded data: numeric columns in original units plus the user's choices."""

    name: str
    frame: pd.DataFrame
    features: tuple
    scaling: str = "standard"
    label_column: str | None = None
    labels: np.ndarray | None = None
    label_names: tuple | None = None
    label_options: tuple = ()
    source: str = "demo"
    origin: object = field(default=None, repr=False)
    #: How to build this data again (:mod:`ui.saved`): ``{"kind": "demo", "name": ...}``,
    #: ``{"kind": "blobs", ...parameters}`` or ``{"kind": "upload", "filename", "missing"}``
    #: (an upload's bytes are kept beside it, not in it).
    recipe: dict = field(default_factory=dict, repr=False)
    #: Which load this is: kept by ``replace`` (a changed choice), new for each load.
    token: int = field(default_factory=lambda: next(_TOKENS), repr=False)

    @property
    def X(self):
        """The chosen features as a float array (n_rows, n_features)."""
        return self.frame[list(self.features)].to_numpy(dtype=float)

    @property
    def n_rows(self):
        return int(self.frame.shape[0])

    @property
    def n_features(self):
        return len(self.features)

    @cached_property
    def original(self):
        """The user's rows as given (:class:`gmm_core.data.original.OriginalRows`)."""
        return original_rows(self)

    @property
    def key_name(self):
        """Name of the row key: the ID column, ``"line"`` (the file line) or ``"row"``."""
        return self.original.key_name

    @property
    def row_keys(self):
        """The key of each fitted row, as text, aligned with :attr:`X`.

        An upload's ID cells as written in the file (or its 1-based file line
        numbers); a demo's ID column or 1-based row numbers.  Every table,
        hover, picker and export names a row by this key, under :attr:`key_name`.
        """
        return self.original.fitted_keys

    @cached_property
    def row_notes(self):
        """Per fitted row: ``"gaps filled in: Age"`` when cells were filled, else ``""``.

        A row used with its gaps gets what a chart draws it at:
        ``"Age was blank; drawn at the value the model expects"``.
        """
        filled = self.original.filled_columns()
        blank = np.isnan(self.X)
        names = list(self.features)
        return np.array([f"gaps filled in: {c}" if c else
                         _gap_note(", ".join(n for n, b in zip(names, row, strict=True) if b))
                         for c, row in zip(filled, blank, strict=True)], dtype=object)

    @cached_property
    def had_gaps(self):
        """Per fitted row: True when a chosen feature cell is blank (the fit uses the others)."""
        return np.isnan(self.X).any(axis=1)

    @property
    def report(self):
        """What the CSV reader did (uploads only)."""
        return getattr(self.origin, "report", None) if self.source == "upload" else None

    @cached_property
    def fingerprint(self):
        """Hash of the fitted data and choices: the cache key of every fit."""
        h = hashlib.blake2b(digest_size=16)
        X = np.ascontiguousarray(self.X)
        h.update(repr((X.shape, self.features, self.scaling, self.label_column)).encode())
        h.update(X.tobytes())
        if self.labels is not None:
            h.update(np.ascontiguousarray(self.labels).tobytes())
        return h.hexdigest()

    def summary(self, noun="rows"):
        """``"1,000 customers × 2 features"`` for the sidebar (``noun``: what one row is)."""
        return f"{self.n_rows:,} {noun} × {self.n_features} features"


def _gap_note(columns):
    """What a chart says of a row drawn with blank ``columns`` ("" for none).

    >>> _gap_note("income"), _gap_note("")
    ('income was blank; drawn at the value the model expects', '')
    """
    if not columns:
        return ""
    if ", " in columns:
        return f"{columns} were blank; drawn at the values the model expects"
    return f"{columns} was blank; drawn at the value the model expects"


def _from_generated(result, name):
    frame = result.features.reset_index(drop=True)
    labels = getattr(result, "labels", None)
    names = getattr(result, "label_names", None)
    return Dataset(
        name=name,
        frame=frame,
        features=tuple(frame.columns),
        labels=None if labels is None else np.asarray(labels),
        label_names=None if names is None else tuple(str(n) for n in names),
        label_column=None if labels is None else KNOWN_LABEL,
        label_options=() if labels is None else (KNOWN_LABEL,),
        source="demo",
        origin=result,
    )


def demo_names():
    """Names of the built-in datasets, the default first."""
    names = list(gmm_core.DEMO_DATASETS)
    return sorted(names, key=lambda n: n != DEFAULT_DEMO)


def load_demo(name):
    """Build one of ``gmm_core.DEMO_DATASETS`` with its defaults."""
    return replace(_from_generated(gmm_core.DEMO_DATASETS[name](), name),
                   recipe={"kind": "demo", "name": str(name)})


def load_blobs(*, n_components, n_samples, elongation, rotation, separation, random_state):
    """Elongated Gaussian blobs, the case where KMeans and a GMM disagree most."""
    result = gmm_core.make_elongated_blobs(
        n_samples=n_samples, n_components=n_components, elongation=elongation,
        rotation=rotation, separation=separation, random_state=random_state)
    recipe = {"kind": "blobs", "n_components": int(n_components), "n_samples": int(n_samples),
              "elongation": float(elongation), "rotation": float(rotation),
              "separation": float(separation), "random_state": int(random_state)}
    return replace(_from_generated(result, f"Elongated clusters (k={n_components}, "
                                           f"seed={random_state})"), recipe=recipe)


def load_upload(data, filename, *, missing=DEFAULT_MISSING):
    """Read an uploaded file into a Dataset; raises :class:`gmm_core.DataError`."""
    result = read_table_bounded(data, filename, missing=missing)  # in a worker: see its docs
    frame = result.features.reset_index(drop=True)
    return Dataset(
        name=filename,
        frame=frame,
        features=tuple(frame.columns),
        label_options=tuple(result.label_candidates),
        source="upload",
        origin=result,
        recipe={"kind": "upload", "filename": str(filename), "missing": str(missing)},
    )


def with_label(ds, column):
    """The dataset with ``column`` as its true labels (``NO_LABEL`` for none)."""
    if column in (None, NO_LABEL):
        return replace(ds, label_column=None, labels=None, label_names=None)
    if column == KNOWN_LABEL:
        res = ds.origin
        return replace(ds, label_column=column, labels=np.asarray(res.labels),
                       label_names=tuple(str(n) for n in res.label_names))
    values = ds.origin.label_values(column)
    features = tuple(f for f in ds.features if f != column) or ds.features
    if isinstance(values, tuple) and len(values) == 2:
        codes, names = values
    else:
        codes, names = pd.factorize(pd.Series(values), sort=True)
    return replace(ds, features=features, label_column=column, labels=np.asarray(codes),
                   label_names=tuple(str(n) for n in names))


def original_rows(ds):
    """The user's rows as given, every row and column, aligned with ``ds.X`` by ``.used``.

    An upload's whole file as read (rows left out included, with their reason);
    a demo's full table; the features alone when nothing more is known.
    """
    original = getattr(ds.origin, "original", None)
    if isinstance(original, OriginalRows) and original.used.shape[0] == ds.n_rows:
        return original
    frame = getattr(ds.origin, "frame", None)
    if not (isinstance(frame, pd.DataFrame) and len(frame) == ds.n_rows):
        frame = ds.frame
    return OriginalRows.from_frame(frame)
