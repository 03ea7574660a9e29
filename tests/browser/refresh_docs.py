"""Refresh the README's screenshots: ``python -m tests.browser.refresh_docs [pytest options]``.

Test runs never touch ``docs/``: the browser tests save the screenshots the README shows in
``test-artifacts/docs/``. This command clears that folder, runs the browser tests (extra
arguments go to pytest, e.g. ``-k segments``), and only when they pass copies each screenshot
over its ``docs/*.png``. Review the change with ``git diff --stat docs/`` before committing.

The shots of rows with gaps (issue 20: ``docs/data_missing.png``, the Data page's counts, and
``docs/segments_missing.png``, one segment card) alone: ``python -m tests.browser.refresh_docs
-k missing`` (tests/browser/test_browser_missing.py shoots them at 1400 x 900).
"""

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC_SHOTS = ROOT / "test-artifacts" / "docs"  # where conftest.shoot saves them
DOCS = ROOT / "docs"


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    shutil.rmtree(DOC_SHOTS, ignore_errors=True)
    status = subprocess.call([sys.executable, "-m", "pytest", "tests/browser", "-m", "browser",
                              "-p", "no:cacheprovider", *args], cwd=ROOT)
    if status != 0:
        print(f"refresh_docs: the browser tests failed (exit status {status}); docs/ unchanged",
              file=sys.stderr)
        return status
    shots = sorted(DOC_SHOTS.glob("*.png"))
    for shot in shots:
        shutil.copyfile(shot, DOCS / shot.name)
        print(f"docs/{shot.name}")
    print(f"refresh_docs: {len(shots)} screenshot(s) copied to docs/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
