"""Smoke test: the entry file and every page run without an exception (Streamlit AppTest)."""

import pathlib

import pytest
from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def _app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return at.run()


def test_app_opens_on_data_page_with_the_demo_loaded():
    at = _app()
    assert not at.exception
    assert at.title[0].value == "Data"
    sidebar_text = [t.value for t in at.sidebar.text]
    assert "Mall customers" in sidebar_text
    assert any("rows ×" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_first_open(page):
    at = _app()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_pages_are_the_navigation_menu():
    """Every file in pages/ is listed in app.PAGES (adding a page is one line)."""
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    for page in PAGES:
        assert f'"{page}"' in source
