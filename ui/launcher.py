"""``gmm-explorer``: start the dashboard from any folder, with Streamlit's options passed through.

``gmm-explorer --server.port 8600`` is ``streamlit run <installed app.py> --server.port 8600``.
The app's settings travel with it: Streamlit reads the ``.streamlit/config.toml`` beside the
main script, so the installed app behaves as ``streamlit run app.py`` in the repository does.
Streamlit is imported when the command runs, not when this module is imported.
"""

import pathlib
import sys

__all__ = ["APP", "main"]

#: The entry file: the repository's ``app.py``, or ``gmm_explorer/app.py`` once installed.
APP = pathlib.Path(__file__).resolve().parents[1] / "app.py"


def main(argv=None):
    """Run ``streamlit run APP *argv`` in this process; returns Streamlit's exit status."""
    from streamlit.web import cli

    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["-h"], ["--help"]):
        args = ["--help"]
    try:
        cli.main(["run", str(APP), *args], prog_name="gmm-explorer", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
