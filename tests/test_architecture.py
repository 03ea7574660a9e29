"""The folder tree is the architecture: this test reads every import and holds the rules.

Each module's imports are read from its source (function-level ones too, since
an import inside a function is still a dependency; those under ``if TYPE_CHECKING:``
are for annotations only and never run, so they are not), resolved to modules of the
project, and checked:

* no cycle among gmm_core's modules;
* no gmm_core module imports names from the package root (``from gmm_core
  import X``): the root re-exports, it is not a source;
* ``gmm_core/mixture/`` (the engine) imports nothing of gmm_core but ``errors``;
* nothing under gmm_core imports streamlit or ``sklearn.mixture``;
* only ``gmm_core/plots/`` and the HTML report import plotly;
* only the CLI imports argparse and distributed at module level;
* no file of the project is over 600 lines.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gmm_core"
MAX_LINES = 600


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name):
    return MODULES.get(name, pathlib.Path()).name == "__init__.py"


def _imports(path):
    """``(module, names, level)`` of every import statement, at any depth."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((base, tuple(a.name for a in node.names), node.lineno))
    return out


def _targets(module, names):
    """Project modules an import reaches: ``from pkg import submodule`` reaches the submodule."""
    if not module.startswith("gmm_core"):
        return []
    subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    rest = [n for n in names if f"{module}.{n}" not in MODULES]
    return subs + ([module] if rest or not names else [])


GRAPH = {name: sorted({t for m, ns, _ in _imports(path) for t in _targets(m, ns)} - {name})
         for name, path in MODULES.items()}


def _violations(rule):
    return [f"{name}:{line} imports {module}" for name, path in MODULES.items()
            for module, names, line in _imports(path) if rule(name, module, names)]


def test_the_graph_is_read():
    """The reader sees imports inside functions and resolves submodules (a guard on the test)."""
    assert "gmm_core.mixture._dask" in GRAPH["gmm_core.mixture._sources"]  # inside a function
    assert "gmm_core.mixture._blocked" in GRAPH["gmm_core.mixture._dask"]
    assert len(MODULES) > 30


def test_no_import_cycle():
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in GRAPH.get(node, []):
            if nxt not in MODULES:
                continue
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    assert cycles == []


def test_nothing_imports_names_from_the_package_root():
    def rule(name, module, names):
        return name != "gmm_core" and module == "gmm_core" and any(
            f"gmm_core.{n}" not in MODULES for n in names or ("*",))
    assert _violations(rule) == []


def test_the_engine_imports_only_errors_of_gmm_core():
    def rule(name, module, names):
        return (name.startswith("gmm_core.mixture") and module.startswith("gmm_core")
                and not module.startswith("gmm_core.mixture") and module != "gmm_core.errors")
    assert _violations(rule) == []


@pytest.mark.parametrize("banned", ["streamlit", "sklearn.mixture", "ui"])
def test_gmm_core_never_imports(banned):
    def rule(name, module, names):
        return module == banned or module.startswith(banned + ".") or (
            module == banned.rpartition(".")[0] and banned.rpartition(".")[2] in names)
    assert _violations(rule) == []


def test_only_plots_and_the_report_import_plotly():
    def rule(name, module, names):
        return (module.split(".")[0] == "plotly" and not name.startswith("gmm_core.plots")
                and name != "gmm_core.outputs.report")
    assert _violations(rule) == []
    assert any(m.startswith("plotly") for m, _, _ in _imports(MODULES["gmm_core.plots.compare"]))


def test_no_file_over_600_lines():
    skip = {".git", "test-artifacts", ".venv", "build"}  # not the project's: the README's venv
    files = [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_import_gmm_core_stays_light():
    """``import gmm_core`` loads neither the CLI, plotly, streamlit, Dask nor sklearn.mixture."""
    code = ("import sys, gmm_core; print(*[m in sys.modules for m in ('gmm_core.cli', 'plotly', "
            "'streamlit', 'dask', 'distributed', 'sklearn.mixture')])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False"] * 6
    assert len(__import__("gmm_core").__all__) <= 25


def test_pages_leave_the_session_to_ui():
    """Pages are layout only: session keys and access live in ``ui/`` (keys.py, session.py)."""
    touching = [p.name for p in (ROOT / "pages").glob("*.py")
                if "st.session_state" in p.read_text()]
    assert touching == []
