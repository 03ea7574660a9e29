"""Saved work on disk, so that it outlives a restart of the server (:mod:`ui.saved` keeps it).

:class:`DiskStore` writes each session's snapshot (:func:`ui.saved.snapshot`)
under its id in one directory (``GMM_SAVED_DIR``, default
``~/.cache/gmm-explorer/saved``): ``<id>.json`` for the state, ``<id>.table``
for an upload's bytes.  It writes only what changed since it last wrote (the
table once per upload), keeps at most ``max_entries`` ids and ``max_bytes``
of files, each for ``ttl`` seconds after its last write, and forgets the
oldest first.

The state is JSON, never a pickle: :func:`encode` tags what JSON lacks
(tuples, dicts whose keys are not strings -- the segment names are kept per
model key -- and numpy arrays) and :func:`decode` undoes it.  An id is a
filename only if it looks like one this app makes (:data:`ID_PATTERN`).
"""

import hashlib
import json
import os
import pathlib
import re
import threading
import time

import numpy as np

__all__ = ["DEFAULT_DIR", "ID_PATTERN", "DiskStore", "decode", "encode"]

#: Where saved work lives unless ``GMM_SAVED_DIR`` says otherwise.
DEFAULT_DIR = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) \
    / "gmm-explorer" / "saved"
#: The ids the app makes (``secrets.token_urlsafe(16)``); any other id is never a path.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def encode(value):
    """``value`` as plain JSON data; tuples, non-string keys and arrays are tagged.

    >>> encode({("a", 1): (1.5, None)})
    {'__items__': [[{'__tuple__': ['a', 1]}, {'__tuple__': [1.5, None]}]]}
    >>> decode(encode({("a", 1): (1.5, None)}))
    {('a', 1): (1.5, None)}
    """
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} on disk")


def decode(data):
    """The value :func:`encode` made ``data`` from."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__items__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__items__"]}
    if "__array__" in data:
        return np.asarray(data["__array__"], dtype=np.dtype(data["dtype"]))
    return {k: decode(v) for k, v in data.items()}


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key


class DiskStore:
    """Snapshots on disk under their ids, bounded in count, bytes and age (see the module docs)."""

    def __init__(self, directory, *, max_entries, max_bytes, ttl, clock=time.time):
        self.directory = pathlib.Path(directory)
        self.max_entries, self.max_bytes, self.ttl = int(max_entries), int(max_bytes), float(ttl)
        self._clock = clock
        self._written = {}           # id -> (digest of the state, digest of the table)
        self._lock = threading.Lock()

    def _paths(self, sid):
        if not isinstance(sid, str) or not ID_PATTERN.fullmatch(sid):
            return None
        return self.directory / f"{sid}.json", self.directory / f"{sid}.table"

    def put(self, sid, state):
        """Write ``state`` (with its ``"upload_bytes"``) under ``sid`` if it changed; ``True``
        if written."""
        paths = self._paths(sid)
        if paths is None:
            return False
        table = state.get("upload_bytes")
        if table is not None and len(table) > self.max_bytes:
            return False
        try:
            text = json.dumps(encode({k: v for k, v in state.items() if k != "upload_bytes"}))
        except (TypeError, ValueError):   # something JSON cannot hold: kept in memory only
            return False
        digests = (hashlib.blake2b(text.encode(), digest_size=16).hexdigest(), _identity(table))
        with self._lock:
            if self._written.get(sid) == digests:
                return False
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                if table is not None and (self._written.get(sid) or (None, None))[1] != digests[1]:
                    _write(paths[1], table)
                elif table is None:
                    paths[1].unlink(missing_ok=True)
                _write(paths[0], text.encode())
            except OSError:
                return False
            self._written[sid] = digests
            self._evict()
        return True

    def get(self, sid):
        """The state kept under ``sid``, ``None`` if there is none (or it expired or is
        unreadable)."""
        paths = self._paths(sid)
        if paths is None:
            return None
        try:
            if self._clock() - paths[0].stat().st_mtime > self.ttl:
                return None
            state = decode(json.loads(paths[0].read_text()))
            if paths[1].exists():
                state["upload_bytes"] = paths[1].read_bytes()
        except (OSError, ValueError, TypeError):
            return None
        return state if isinstance(state, dict) and "data" in state else None

    def _evict(self):
        files = []
        for path in self.directory.glob("*.json"):
            try:
                table = path.with_suffix(".table")
                size = path.stat().st_size + (table.stat().st_size if table.exists() else 0)
                files.append((path.stat().st_mtime, size, path))
            except OSError:
                continue
        files.sort()
        now, total = self._clock(), sum(size for _, size, _ in files)
        for i, (mtime, size, path) in enumerate(files):
            if (now - mtime <= self.ttl and total <= self.max_bytes
                    and len(files) - i <= self.max_entries):
                break
            path.unlink(missing_ok=True)
            path.with_suffix(".table").unlink(missing_ok=True)
            self._written.pop(path.stem, None)
            total -= size


def _identity(table):
    """What tells one upload's bytes from another's, cheaply (every run asks).

    The session keeps one bytes object per upload, so its address and length,
    with its first and last 64 KiB, change when the upload does; hashing all of
    a 200 MB table on every run would not do.
    """
    if table is None:
        return None
    sample = bytes(table[:65536]) + bytes(table[-65536:])
    return f"{id(table)}:{len(table)}:{hashlib.blake2b(sample, digest_size=16).hexdigest()}"


def _write(path, data):
    """Write ``data`` to ``path`` whole or not at all (a crash leaves the old file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
