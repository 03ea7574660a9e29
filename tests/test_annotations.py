"""The public API of gmm_core is type-annotated (issue 22, item 5).

Public means reachable from the ``__all__`` of ``gmm_core`` or of one of its public modules
(every module under ``gmm_core`` whose dotted name has no part starting with ``_``): each
function listed there, and each listed class's ``__init__``, public methods and properties that
gmm_core defines (not those inherited from scikit-learn or ``Exception``).  Every parameter but
``self``/``cls`` and every return must carry an annotation.
"""

import importlib
import inspect
import pkgutil
from typing import get_args

import gmm_core
from gmm_core.data import SCALINGS
from gmm_core.mixture import COVARIANCE_TYPES, CRITERIA, INIT_METHODS
from gmm_core.mixture._estimator import NAN_POLICIES


def _public_modules():
    names = ["gmm_core"]
    for info in pkgutil.walk_packages(gmm_core.__path__, "gmm_core."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return [importlib.import_module(name) for name in names]


def _members(cls):
    """``(qualified name, function)`` of the methods and properties ``cls`` itself defines."""
    for attr, raw in vars(cls).items():
        if attr.startswith("_") and attr != "__init__":
            continue
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        elif isinstance(raw, property):
            raw = raw.fget
        if inspect.isfunction(raw):
            yield f"{cls.__module__}.{cls.__qualname__}.{attr}", raw


def _public_callables():
    found = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not getattr(obj, "__module__", "").startswith("gmm_core"):
                continue
            if inspect.isclass(obj):
                found.update(_members(obj))
            elif inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _unannotated(func):
    sig = inspect.signature(func)
    missing = [name for i, (name, p) in enumerate(sig.parameters.items())
               if p.annotation is inspect.Parameter.empty
               and not (i == 0 and name in ("self", "cls"))]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_walk_finds_the_public_api():
    found = _public_callables()
    for name in ("gmm_core.mixture._estimator.GaussianMixture.fit",
                 "gmm_core.mixture._estimator.GaussianMixture.__init__",
                 "gmm_core.data.reader.read_table", "gmm_core.plots.compare.gmm_figure",
                 "gmm_core.outputs.model_file.SegmentModel.from_json"):
        assert name in found
    assert len(found) > 200


def test_every_public_function_and_method_of_gmm_core_is_annotated():
    missing = {name: gaps for name, func in sorted(_public_callables().items())
               if (gaps := _unannotated(func))}
    listing = "\n".join(f"  {name}: {', '.join(gaps)}" for name, gaps in missing.items())
    assert not missing, f"{len(missing)} public callables lack annotations:\n{listing}"


def test_the_literal_types_list_the_values_the_code_accepts():
    from gmm_core.data.reader import MISSING_POLICIES
    from gmm_core.mixture import _typing as typing_aliases

    assert get_args(typing_aliases.CovarianceType) == COVARIANCE_TYPES
    assert get_args(typing_aliases.InitMethod) == INIT_METHODS
    assert get_args(typing_aliases.Scaling) == SCALINGS
    assert get_args(typing_aliases.Criterion) == CRITERIA
    assert get_args(typing_aliases.NanPolicy) == NAN_POLICIES
    assert get_args(typing_aliases.MissingPolicy) == MISSING_POLICIES
