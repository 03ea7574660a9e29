"""Many users at once, in small (issue 24, items 2 and 4): everyone's flow ends, on their own data.

``python -m benchmarks.load crowd`` is the full run (8 users of 10,000 to 50,000
rows, alone and then together, with a latency table).  Here three users, each in
a browser context of their own, upload distinct tables of 2,000 to 4,000 rows at
the same moment and go on through Compare, Choose k and Segments together, on a
server of its own.  After every step the page must name the user's own file and
row count and no other user's file; every step must end (no error shown, no page
left running).  Nothing here is timed.  The crowd drives its own Chromium with
Playwright's async API, on a thread of its own (one renderer busy drawing must
not hold up the other users' clocks), beside the suite's sync one.
"""

import os

import pytest

from browser.conftest import require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_users_at_once_each_finish_on_their_own_data():
    require_browser()
    from benchmarks.load import crowd

    figures = crowd.run(sessions=3, low=2000, high=4000, alone=False,
                        root=os.environ.get("GMM_LOAD_ROOT"), say=lambda *_: None,
                        limit=400.0)
    assert figures["problems"] == []            # each page: own file and rows, nobody else's
    assert figures["complete"], figures["felt"]  # every step of every user ended
