"""Real-browser tests (Playwright driving Debian's chromium against one Streamlit server)."""
