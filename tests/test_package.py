"""The package: pyproject.toml agrees with requirements*.txt, and the built wheel runs anywhere.

The slow test builds the wheel from a copy of the sources, installs it into a fresh virtual
environment that sees this interpreter's packages (``--system-site-packages``, ``--no-index``:
nothing is downloaded), and, from a folder outside the repository, runs ``gmm-core --help`` and
starts ``gmm-explorer`` until Streamlit's health endpoint answers ``ok``.
"""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; 3.10 skips the checks that read it
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(name):
    """The requirement lines of a requirements file, without comments and ``-r`` includes."""
    lines = (line.split("#", 1)[0].strip()
             for line in (ROOT / name).read_text(encoding="utf-8").splitlines())
    return sorted(line for line in lines if line and not line.startswith("-"))


def _spec(requirement):
    return re.sub(r"\s+", "", requirement)


@pytest.mark.parametrize(("requirements", "extra"), [
    ("requirements.txt", None),
    ("requirements-scale.txt", "scale"),
    ("requirements-dev.txt", "dev"),
])
def test_pyproject_dependencies_equal_the_requirements_files(requirements, extra):
    project = PYPROJECT["project"]
    declared = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    declared = [d for d in declared if not d.startswith("gmm-explorer[")]  # dev includes scale
    assert sorted(map(_spec, declared)) == sorted(map(_spec, _requirements(requirements)))


def test_requirements_files_include_what_their_extra_includes():
    """``dev`` takes ``scale`` (hence the app's dependencies), as requirements-dev.txt does."""
    assert "-r requirements.txt" in (ROOT / "requirements-scale.txt").read_text()
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in dev and "-r requirements-scale.txt" in dev
    assert "gmm-explorer[scale]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


def test_every_subpackage_of_gmm_core_is_packaged():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "gmm_core").rglob("__init__.py")}
    assert found <= listed


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build_wheel(out):
    """Build from a copy, so that no stale build/ folder of the checkout leaks into the wheel."""
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "test-artifacts", "__pycache__", ".hypothesis",
        ".pytest_cache", ".venv", "tests", "benchmarks", "docs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "-w", str(out), str(src)],
                   check=True, cwd=out, timeout=600)
    (wheel,) = out.glob("gmm_explorer-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_installs_and_both_commands_run_outside_the_repository(tmp_path):
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=300)
    bin_ = venv / ("Scripts" if os.name == "nt" else "bin")
    # Run from the README's .venv, --system-site-packages sees the base interpreter's packages,
    # not the .venv's: a .pth file adds this interpreter's (after the new venv's own).
    inner = subprocess.run(
        [str(bin_ / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (pathlib.Path(inner) / "outer-site-packages.pth").write_text("\n".join(sorted(outer)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_}{os.pathsep}{env.get('PATH', '')}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*cmd):
        return subprocess.run(cmd, cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=300)

    installed = run(str(bin_ / "python"), "-m", "pip", "install", "--no-index", "--quiet",
                    "--disable-pip-version-check", str(wheel))
    assert installed.returncode == 0, installed.stderr

    where = run(str(bin_ / "python"), "-c",
                "import gmm_core, gmm_core.cli, pathlib; print(pathlib.Path(gmm_core.__file__))")
    assert where.returncode == 0, where.stderr
    assert pathlib.Path(where.stdout.strip()).is_relative_to(venv)

    helped = run(str(bin_ / "gmm-core"), "--help")
    assert helped.returncode == 0, helped.stderr
    assert "fit" in helped.stdout and "assign" in helped.stdout

    # The installed app finds its pages, its ui package and its Streamlit settings.
    app = run(str(bin_ / "python"), "-c",
              "import sys; from gmm_explorer.ui import launcher; d = launcher.APP.parent;"
              "sys.path.insert(0, str(d)); import ui.cache, ui.widgets;"
              "import re; pages = re.findall(r'st.Page\\(\"([^\"]+)\"', launcher.APP.read_text());"
              "assert pages and all((d / p).is_file() for p in pages), pages;"
              "assert (d / '.streamlit' / 'config.toml').is_file(); print(launcher.APP)")
    assert app.returncode == 0, app.stderr
    assert pathlib.Path(app.stdout.strip()).is_relative_to(venv)

    port = _free_port()
    log = open(tmp_path / "gmm-explorer.log", "w")
    proc = subprocess.Popen(
        [str(bin_ / "gmm-explorer"), "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline, answer = time.monotonic() + 90, None
        while answer != "ok" and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as resp:
                    answer = resp.read().decode().strip()
            except OSError:
                pass
        assert answer == "ok", (tmp_path / "gmm-explorer.log").read_text()[-2000:]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
