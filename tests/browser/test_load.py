"""The soak in small (issue 24, item 1): uploads across tabs leave the server's memory flat.

``python -m benchmarks.load soak`` is the full run (60 uploads of 5 MB across
6 tabs).  Here: 12 uploads of distinct 1 MB tables across 3 tabs, each
followed by Compare, on a server of its own whose caches may hold only
:data:`CACHE_MB` MB (so they are full within the first uploads, as in the
long run).  The server's resident memory must not climb with the uploads:
over the last half its slope stays under :data:`MAX_SLOPE_MB` MB per upload.
Before the fix it climbed 15 MB per 1 MB upload here (every dataset, table and
file a session had loaded stayed alive).
``GMM_LOAD_ROOT`` serves another checkout instead (to see the test fail on one).
"""

import os

import pytest

from browser.conftest import require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: MB per upload the server's RSS may still climb over the last half of the uploads.
MAX_SLOPE_MB = 4.0
#: The server's cache budget (``GMM_CACHE_MB``) for this run.
CACHE_MB = 40


def test_many_uploads_across_tabs_keep_the_servers_memory_flat(browser):
    require_browser()
    from benchmarks.load import soak

    figures = soak.run(sessions=3, uploads=12, megabytes=1.0, linger=0.0,
                       env={"GMM_CACHE_MB": str(CACHE_MB)},
                       root=os.environ.get("GMM_LOAD_ROOT"), say=lambda *_: None,
                       browser=browser)
    curve = ", ".join(f"{v:.0f}" for v in figures["curve_mb"])
    assert figures["slope_mb_per_upload"] <= MAX_SLOPE_MB, f"RSS per upload (MB): {curve}"
