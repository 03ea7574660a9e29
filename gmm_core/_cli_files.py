"""The CLI's rules for the files it touches: it never destroys what it did not write.

* ``--out`` may never be, contain or lie inside an input (paths compared after
  resolving links), checked before anything is read or written;
* ``assign`` lists the files it writes in a manifest (:data:`MANIFEST`) in its
  output folder, and ``--overwrite`` removes only the files a manifest lists --
  a folder holding anything else is refused, naming what is there;
* names given on the command line are checked by the model loader's own rule
  before a fit, so ``fit`` never writes a model its ``assign`` refuses;
* the model file is written beside its place and moved there whole
  (:func:`_write_new_file`): a run that dies leaves the old file or none, never half of one.

Every refusal is a :class:`CliError`: one line for the user, exit status 2.
"""

import contextlib
import glob
import json
import os
import tempfile

__all__ = ["MANIFEST", "MANIFEST_FORMAT", "CliError"]

MANIFEST = ".gmm-core-manifest.json"  # in an assign --out folder: the files assign wrote
MANIFEST_FORMAT = "gmm-core-assign-output"


class CliError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


def _first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _listed(names, most=3):
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def _local_path(path):
    """``path`` on this machine (``file://`` dropped, ``~`` expanded); None for other URLs."""
    path = str(path)
    if path.startswith("file://"):
        path = path[len("file://"):]
    elif "://" in path:
        return None
    return os.path.expanduser(path)


def _inside(path, folder):
    """True when the resolved ``path`` lies strictly inside the resolved ``folder``."""
    return path != folder and os.path.commonpath([path, folder]) == folder


def _check_out_apart(out, inputs):
    """Refuse an ``--out`` that is, contains or lies inside one of ``inputs``.

    ``inputs`` are the paths after glob expansion (``file://`` URLs are
    expanded here); the comparison is on resolved real paths, so a symbolic
    link, ``..`` or a hard link to an input does not slip through.  Only path
    names are looked at: nothing is read or written.
    """
    local_out = _local_path(out)
    if local_out is None:
        return
    target = os.path.realpath(local_out)
    for given in inputs:
        local = _local_path(given)
        if local is None:  # a remote input cannot be a local --out
            continue
        # local inputs come expanded; a file:// URL's glob is expanded here
        expanded = glob.glob(local) if str(given).startswith("file://") else []
        for path in expanded or [local]:
            real = os.path.realpath(path)
            if real == target or (os.path.exists(real) and os.path.exists(target)
                                  and os.path.samefile(real, target)):
                raise CliError(f"--out {out!r} is the input {path!r}: writing there would "
                               "destroy it. Choose another --out.")
            if _inside(target, real):
                raise CliError(f"--out {out!r} lies inside the input folder {path!r}: "
                               "choose an --out outside the inputs.")
            if _inside(real, target):
                raise CliError(f"--out {out!r} contains the input {path!r}: choose an --out "
                               "folder that holds no input.")


def _check_loadable_names(values, where, limit, context=""):
    """Refuse names (segments, features) that ``load_model`` -- hence ``assign`` -- refuses.

    Runs the loader's own rule (:func:`gmm_core.outputs.model_file.check_names`:
    non-empty unique text, length and count limits), so the two cannot drift apart.
    """
    from gmm_core.outputs.model_file import check_names

    try:
        check_names([str(v) for v in values], where, limit)
    except ValueError as exc:
        raise CliError(f"{context}{exc} ('assign' refuses such a model file); "
                       "nothing was fitted.") from None


def _read_manifest(folder):
    """The file names a previous ``assign`` listed in ``folder``'s manifest, or None."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        files = doc["files"]
        if doc.get("format") != MANIFEST_FORMAT or not all(isinstance(f, str) for f in files):
            raise ValueError("not a manifest")
    except (OSError, ValueError, KeyError, TypeError):
        raise CliError(f"{path!r} is not a manifest that 'assign' wrote, so the files of "
                       f"{folder!r} cannot be told apart from yours: move them elsewhere or "
                       "choose another --out.") from None
    return set(files)


def _write_new_file(path, text, *, replace=False):
    """Write ``text`` to ``path`` whole or not at all (FileExistsError if it exists).

    The text goes to a hidden file in the same folder first, then takes the
    name at once: by a hard link, which fails rather than replace a file that
    appeared meanwhile, or under ``replace`` by ``os.replace``.  Where hard
    links are not allowed, the name is claimed empty (``"x"``) and replaced.
    """
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 is too private for a model file
        if not replace:
            try:
                os.link(tmp, path)
                return
            except FileExistsError:
                raise
            except OSError:  # no hard links here: claim the name, then fill it at once
                open(path, "x").close()
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_manifest(folder, files, model_path, complete):
    doc = {"format": MANIFEST_FORMAT, "version": 1, "written_by": "python -m gmm_core assign",
           "model": str(model_path), "complete": complete, "files": sorted(files)}
    path = os.path.join(folder, MANIFEST)
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    os.replace(path + ".tmp", path)


def _plan_out_folder(args, out):
    """Check the ``assign`` output folder; returns the files of ours to delete first.

    Without ``--overwrite`` the folder must be empty (or absent).  With it,
    every entry must be one that a previous ``assign`` listed in its manifest;
    anything else -- a report, a subfolder, files written by hand -- is
    refused, never deleted.
    """
    if _local_path(out) is None:
        if args.overwrite:
            raise CliError(f"--overwrite works on a local --out folder only ({out!r} is a "
                           "URL): empty it yourself, or choose a new --out.")
        return []
    if os.path.exists(out) and not os.path.isdir(out):
        raise CliError(f"--out {args.out!r} is a file, not a folder: choose a folder for the "
                       "Parquet files.")
    entries = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if not entries:
        return []
    if not args.overwrite:
        raise CliError(f"The output folder {args.out!r} is not empty ({_listed(entries)}): "
                       "choose another --out, or add --overwrite to replace the files a "
                       "previous 'assign' wrote there.")
    listed = _read_manifest(out)
    ours = [e for e in entries if e != MANIFEST and listed is not None and e in listed
            and not os.path.isdir(os.path.join(out, e))]
    others = [e for e in entries if e != MANIFEST and e not in ours]
    if listed is None:
        raise CliError(f"The output folder {args.out!r} holds files that 'assign' did not "
                       f"write there (no {MANIFEST}): {_listed(others)}. --overwrite replaces "
                       "only a previous 'assign' output: move them elsewhere or choose "
                       "another --out.")
    if others:
        raise CliError(f"The output folder {args.out!r} holds {len(others)} file(s) that "
                       f"'assign' did not write there: {_listed(others)}. --overwrite replaces "
                       f"only the files listed in its {MANIFEST}: move those elsewhere or "
                       "choose another --out.")
    return ours
