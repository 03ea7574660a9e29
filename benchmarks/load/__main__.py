"""``python -m benchmarks.load``: see :mod:`benchmarks.load`."""

import argparse
import json
import pathlib
import sys

from benchmarks.load import faults, soak


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load",
                                     description=__import__("benchmarks.load").load.__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("soak",
                       help="uploads across open tabs; server RSS curve, slope, after close")
    p.add_argument("--sessions", type=int, default=6)
    p.add_argument("--uploads", type=int, default=60)
    p.add_argument("--megabytes", type=float, default=5.0)
    p.add_argument("--linger", type=float, default=140.0,
                   help="seconds to wait after the tabs close (Streamlit keeps a closed tab's "
                        "session 120 s)")
    p.add_argument("--root", help="the app checkout to serve (default: this one)")
    f = sub.add_parser("faults", help="a tab closed during a fit; a server restart under a "
                                      "tab; a Dask worker killed during a CLI fit")
    f.add_argument("--megabytes", type=float, default=20.0, help="the long fit's table")
    f.add_argument("--only", action="append", choices=faults.FAULTS,
                   help="run only this fault (repeatable; default: all)")
    f.add_argument("--rows", type=int, default=2_000_000,
                   help="rows of the CLI fit a Dask worker is killed in (2 million: about 20 s)")
    f.add_argument("--root", help="the app checkout to serve (default: this one)")
    for q in (p, f):
        q.add_argument("--out", help="also write the figures to this JSON file")
        q.add_argument("--log", help="the server's log file")
    args = parser.parse_args(argv)
    if args.what == "soak":
        figures = soak.run(sessions=args.sessions, uploads=args.uploads,
                           megabytes=args.megabytes, linger=args.linger, root=args.root,
                           log=args.log)
    elif args.what == "faults":
        figures = faults.run(megabytes=args.megabytes, root=args.root, log=args.log,
                             only=args.only, rows=args.rows)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
